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

        string output;
        (code, output, err) = CliRunner.Run(dir, ["reward", "train", "livs-default", "--group-by", "disability", "--steps", "20", "--out", "r.safetensors", "--json", "r.json", .. Data]);
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
}
