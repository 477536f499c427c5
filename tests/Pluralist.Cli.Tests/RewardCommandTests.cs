using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Cli.Tests;

/// <summary><c>pluralist reward train|evaluate</c> on the simulated demo study, with A/B evaluation pairs between two generator names.</summary>
public class RewardCommandTests
{
    private static readonly string[] Data = ["--data", "d"];

    private static DatabaseOptions Options(string dir) => new(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dir, "d", "pluralist.db")}");

    [Fact]
    public async Task Train_then_evaluate_held_out_and_ab_with_named_errors()
    {
        var dir = CliRunner.TempDir();
        await DemoWithAbPairsAsync(dir);

        var (code, output, err) = CliRunner.Run(dir, ["reward", "train", "livs-default", "--group-by", "disability", "--steps", "20", "--out", "r.safetensors", "--json", "r.json", .. Data]);
        Assert.True(code == 0, err);
        Assert.Contains("step 20/20", err, StringComparison.Ordinal); // progress on stderr
        Assert.Contains("held out by prompt", output, StringComparison.Ordinal);
        foreach (var model in new[] { "group-conditioned\toverall", "group-conditioned, scored without group\toverall", "criterion-only\toverall", "constant\toverall" })
        {
            Assert.Contains(model, output, StringComparison.Ordinal);
        }

        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "r.json"))))
        {
            Assert.Equal(4, json.RootElement.GetProperty("Models").GetArrayLength());
            Assert.True(json.RootElement.GetProperty("HeldOutAnswers").GetInt32() > 0);
        }

        (code, output, err) = CliRunner.Run(dir, ["reward", "evaluate", "livs-default", "--model", "r.safetensors", "--aligned", "aligned", "--base", "base", "--json", "e.json", .. Data]);
        Assert.True(code == 0, err);
        Assert.Contains("prompts held out in training", output, StringComparison.Ordinal);
        Assert.Contains("automatic (reward model), shown beside the human A/B result and never in place of it", output, StringComparison.Ordinal);
        var overall = output.Split('\n').Single(l => l.StartsWith("overall\t", StringComparison.Ordinal)).Split('\t');
        Assert.Equal(12, overall.Length);
        Assert.True(int.Parse(overall[1], System.Globalization.CultureInfo.InvariantCulture) + int.Parse(overall[2], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(File.Exists(Path.Combine(dir, "e.json")));
        Assert.Contains("conditioned on the person's consented group (disability)", output, StringComparison.Ordinal);
        AssertGroupConditionedAgreement(File.ReadAllText(Path.Combine(dir, "e.json")));

        // Bad input names the option, the file or the study.
        (code, _, err) = CliRunner.Run(dir, ["reward", "train", "livs-default", "--group-by", "pilots", "--out", "x.safetensors", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("--group-by pilots", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, ["reward", "train", "livs-default", "--criteria", "beauty", "--out", "x.safetensors", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("--criteria beauty", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, ["reward", "train", "livs-default", "--split-by", "moon", "--out", "x.safetensors", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("--split-by 'moon'", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "x.safetensors")));
        (code, _, err) = CliRunner.Run(dir, ["reward", "evaluate", "livs-default", "--model", "r.safetensors", "--aligned", "nope", "--base", "base", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("--aligned nope --base base", err, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "bad.safetensors"), "not a model");
        (code, _, err) = CliRunner.Run(dir, ["reward", "evaluate", "livs-default", "--model", "bad.safetensors", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("bad.safetensors", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, ["reward", "train", "no-such-study", "--out", "x.safetensors", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("study 'no-such-study'", err, StringComparison.Ordinal);
    }

    /// <summary>The A/B answers against the model's judgement conditioned on the person's group: counts that add up, kappa in [-1, 1].</summary>
    private static void AssertGroupConditionedAgreement(string json)
    {
        using var e = JsonDocument.Parse(json);
        var ab = e.RootElement.GetProperty("ab");
        Assert.Equal(["disability"], ab.GetProperty("GroupBy").EnumerateArray().Select(x => x.GetString()));
        var rows = ab.GetProperty("PerCriterion").EnumerateArray().Append(ab.GetProperty("Overall")).ToList();
        foreach (var row in rows)
        {
            var human = row.GetProperty("Human");
            int compared = row.GetProperty("Compared").GetInt32();
            Assert.Equal(human.GetProperty("Wins").GetInt32() + human.GetProperty("Losses").GetInt32(), compared);
            Assert.InRange(row.GetProperty("Agree").GetInt32(), 0, compared);
            Assert.InRange(row.GetProperty("ComparedWithGroup").GetInt32(), 0, compared);
            Assert.True(row.GetProperty("ModelAligned").GetInt32() + row.GetProperty("ModelBase").GetInt32() <= row.GetProperty("Pairs").GetInt32());
            if (row.GetProperty("Kappa").ValueKind == JsonValueKind.Number)
            {
                Assert.InRange(row.GetProperty("Kappa").GetDouble(), -1, 1);
            }
        }

        var overall = ab.GetProperty("Overall");
        Assert.Equal(rows.SkipLast(1).Sum(r => r.GetProperty("Compared").GetInt32()), overall.GetProperty("Compared").GetInt32());
        Assert.Equal(rows.SkipLast(1).Sum(r => r.GetProperty("Agree").GetInt32()), overall.GetProperty("Agree").GetInt32());

        // the demo's participants consent to the disability question and the model knows the group of 5 or more ("none")
        Assert.True(overall.GetProperty("ComparedWithGroup").GetInt32() > 0, overall.ToString());
    }

    /// <summary>
    /// The reward model end to end on a real CLIP layout run by ONNX Runtime: the committed tiny ONNX CLIP
    /// (tests/Pluralist.Pipeline.Tests/Onnx/tiny-clip, made by tools/onnx/make_tiny_clip.py; no Python here), <c>reward train</c> and <c>reward evaluate</c> with
    /// <c>--onnx-clip</c>, group-conditioned, held-out accuracy and the A/B agreement; the backbone is recorded and checked.
    /// </summary>
    [Fact]
    public async Task Train_and_evaluate_on_the_onnx_clip_backbone()
    {
        var dir = CliRunner.TempDir();
        await DemoWithAbPairsAsync(dir);
        string onnx = Path.Combine(AppContext.BaseDirectory, "tiny-clip");
        var (code, output, err) = CliRunner.Run(dir, ["reward", "train", "livs-default", "--group-by", "disability", "--steps", "30", "--onnx-clip", onnx, "--out", "o.safetensors", "--json", "o.json", .. Data]);
        Assert.True(code == 0, err + output);
        Assert.Contains("backbone onnx-clip:tiny-clip", output, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "o.json"))))
        {
            var root = json.RootElement;
            Assert.Equal("onnx-clip:tiny-clip", root.GetProperty("Backbone").GetString());
            Assert.True(root.GetProperty("TrainAnswers").GetInt32() > 0 && root.GetProperty("HeldOutAnswers").GetInt32() > 0, root.ToString());
            foreach (var model in root.GetProperty("Models").EnumerateArray())
            {
                var overall = model.GetProperty("Overall");
                Assert.Equal(root.GetProperty("HeldOutAnswers").GetInt32(), overall.GetProperty("Answers").GetInt32());
                Assert.InRange(overall.GetProperty("Correct").GetInt32(), 0, overall.GetProperty("NonNeutral").GetInt32());
                Assert.InRange(overall.GetProperty("Accuracy").GetDouble(), 0, 1);
                Assert.True(overall.GetProperty("LogLoss").GetDouble() is > 0 and < 5, overall.ToString());
            }
        }

        (code, output, err) = CliRunner.Run(dir, ["reward", "evaluate", "livs-default", "--model", "o.safetensors", "--onnx-clip", onnx, "--aligned", "aligned", "--base", "base", "--json", "oe.json", .. Data]);
        Assert.True(code == 0, err + output);
        Assert.Contains("(onnx-clip:tiny-clip)", output, StringComparison.Ordinal);
        Assert.Contains("conditioned on the person's consented group (disability)", output, StringComparison.Ordinal);
        AssertGroupConditionedAgreement(File.ReadAllText(Path.Combine(dir, "oe.json")));

        // scored with another backbone than it was trained on: refused, naming both
        (code, _, err) = CliRunner.Run(dir, ["reward", "evaluate", "livs-default", "--model", "o.safetensors", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("trained on backbone 'onnx-clip:tiny-clip'", err, StringComparison.Ordinal);
    }

    /// <summary>The demo study with evaluation pairs between "aligned" and "base" images, answered by simulated participants, cleaned.</summary>
    private static async Task DemoWithAbPairsAsync(string dir)
    {
        var (code, _, err) = CliRunner.Run(dir, ["simulate", "--demo", "--seed", "1", .. Data]);
        Assert.True(code == 0, err);

        // Half of each prompt's images become "aligned", the other half "base", one evaluation pair per prompt and index;
        // then simulated participants answer them (the app hands out evaluation pairs as it does annotation pairs).
        await using (var db = PluralistDatabase.CreateContext(Options(dir)))
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
            var images = await db.Images.Where(i => i.StudyId == study.Id).OrderBy(i => i.Id).ToListAsync();
            foreach (var prompt in images.GroupBy(i => i.PromptId))
            {
                var list = prompt.ToList();
                int half = list.Count / 2;
                for (int i = 0; i < half; i++)
                {
                    list[i].Generator = "base";
                    list[half + i].Generator = "aligned";
                    db.Pairs.Add(new Pair { StudyId = study.Id, Image0Id = list[i].Id, Image1Id = list[half + i].Id, Kind = PairKind.Evaluation, CreatedAt = DateTimeOffset.UtcNow });
                }
            }

            await db.SaveChangesAsync();
        }

        (code, _, err) = CliRunner.Run(dir, ["simulate", "--participants", "10", "--answers", "20", "--seed", "2", .. Data]);
        Assert.True(code == 0, err);
        Assert.Equal(0, CliRunner.Run(dir, ["clean", "livs-default", .. Data]).Code);
    }
}
