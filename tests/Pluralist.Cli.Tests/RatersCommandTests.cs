using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Data;

namespace Pluralist.Cli.Tests;

/// <summary>
/// The offline persona rater end to end on the demo study: a run, its resume and cache, the export's flag, datasets
/// untouched, and the comparison showing that steering by persona brings the raters closer to each group.
/// </summary>
public class RatersCommandTests
{
    [Fact]
    public async Task Offline_raters_run_resume_export_and_compare_on_the_demo_study()
    {
        var dir = CliRunner.TempDir();
        var probe = CliRunner.Shipped("probe32.safetensors");
        Assert.True(CliRunner.Run(dir, "simulate", "--data", "d", "--demo", "--participants", "0").Code == 0);

        // The demo batch hands each pair to 3 people; a group's mean needs more of them per pair.
        var data = new DataDirectory(Path.Combine(dir, "d"));
        await using (var db = PluralistDatabase.CreateContext(DatabaseOptions.Resolve(data, null, null)))
        {
            await db.Batches.ExecuteUpdateAsync(s => s.SetProperty(b => b.Overlap, 1000));
        }

        var (simCode, _, simErr) = CliRunner.Run(dir, "simulate", "--data", "d", "--participants", "70", "--answers", "18", "--behaviours", "careful=1", "--seed", "4");
        Assert.True(simCode == 0, simErr);
        var (before, _, beforeErr) = CliRunner.Run(dir, "dataset", "build", "livs-default", "--protocol", "livs", "--out", "before", "--data", "d");
        Assert.True(before == 0, beforeErr);

        string[] run = ["raters", "run", "--study", "livs-default", "--personas", "from-study", "--axes", "age-band,gender,disability", "--items", "24", "--probe", probe, "--json", "--data", "d"];
        var (code, output, err) = CliRunner.Run(dir, run);
        Assert.True(code == 0, err);
        using (var first = JsonDocument.Parse(output))
        {
            var r = first.RootElement;
            Assert.Equal("offline-persona-from-study-pairwise", r.GetProperty("run").GetString());
            Assert.True(r.GetProperty("personas").GetInt32() >= 10, output);
            Assert.Equal(r.GetProperty("planned").GetInt32(), r.GetProperty("rated").GetInt32());
            Assert.Equal(0, r.GetProperty("withoutAnswer").GetInt32());
            Assert.Equal(0, r.GetProperty("cached").GetInt32());
            Assert.Contains("rated ", err, StringComparison.Ordinal); // progress on stderr
        }

        await using (var db = PluralistDatabase.CreateContext(DatabaseOptions.Resolve(data, null, null)))
        {
            var answers = await db.SyntheticAnswers.ToListAsync();
            Assert.All(answers, a => Assert.Equal(a.CriteriaShown.Count, a.Scores.Count));
            Assert.All(answers, a => Assert.All(a.Scores, s => Assert.InRange(s, -1, 1)));
            // Each persona's item has its twin without persona: same pair, criteria and side.
            var plain = answers.Where(a => a.PersonaKey.Length == 0).Select(a => a.ItemKey).ToHashSet();
            Assert.All(answers.Where(a => a.PersonaKey.Length > 0), a => Assert.Contains(a.ItemKey, plain));
            Assert.Contains(answers, a => a.Image0OnLeft == true);
            Assert.Contains(answers, a => a.Image0OnLeft == false);
            Assert.Equal(24, answers.Select(a => a.PairId).Distinct().Count());
        }

        // Again: everything is there, nothing is asked.
        var (again, againOut, againErr) = CliRunner.Run(dir, run);
        Assert.True(again == 0, againErr);
        using (var resumed = JsonDocument.Parse(againOut))
        {
            Assert.Equal(resumed.RootElement.GetProperty("planned").GetInt32(), resumed.RootElement.GetProperty("alreadyDone").GetInt32());
            Assert.Equal(0, resumed.RootElement.GetProperty("rated").GetInt32());
        }

        // A second run asking the same things takes every answer from the cache.
        var (copy, copyOut, copyErr) = CliRunner.Run(dir, [.. run, "--name", "copy"]);
        Assert.True(copy == 0, copyErr);
        using (var cached = JsonDocument.Parse(copyOut))
        {
            Assert.Equal(cached.RootElement.GetProperty("planned").GetInt32(), cached.RootElement.GetProperty("cached").GetInt32());
        }

        // The same name with other settings is refused, naming the option.
        var (clash, _, clashErr) = CliRunner.Run(dir, [.. run[..^2], "--seed", "9", "--data", "d"]);
        Assert.Equal(1, clash);
        Assert.Contains("--name", clashErr, StringComparison.Ordinal);

        // Every exported row says it is synthetic; the training dataset is the same as before the run.
        Assert.Equal(0, CliRunner.Run(dir, "raters", "export", "--study", "livs-default", "--run", "copy", "--out", "synthetic.csv", "--data", "d").Code);
        var lines = File.ReadAllLines(Path.Combine(dir, "synthetic.csv"));
        Assert.StartsWith("synthetic,", lines[0], StringComparison.Ordinal);
        Assert.True(lines.Length > 100);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("true,livs-default,copy,offline-persona,offline,", l, StringComparison.Ordinal));
        Assert.Equal(0, CliRunner.Run(dir, "dataset", "build", "livs-default", "--protocol", "livs", "--out", "after", "--data", "d").Code);
        foreach (var file in Directory.GetFiles(Path.Combine(dir, "before")).Select(Path.GetFileName).Where(f => f!.EndsWith(".csv", StringComparison.Ordinal)))
        {
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "before", file!)), File.ReadAllText(Path.Combine(dir, "after", file!)));
        }

        // Asked for by name, one run's answers join the dataset, each row flagged; people's rows and splits are unchanged.
        var (withRun, withOut, withErr) = CliRunner.Run(dir, "dataset", "build", "livs-default", "--protocol", "livs", "--include-synthetic", "copy", "--out", "with-copy", "--data", "d");
        Assert.True(withRun == 0, withErr);
        var people = File.ReadAllLines(Path.Combine(dir, "before", "pairs.jsonl"));
        var rows = File.ReadAllLines(Path.Combine(dir, "with-copy", "pairs.jsonl")).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject()).ToList();
        var human = rows.Where(r => r["synthetic_run"] is null).ToList();
        var synthetic = rows.Where(r => r["synthetic_run"] is not null).ToList();
        Assert.All(rows, r => Assert.True(r.ContainsKey("synthetic_run")));
        Assert.Equal(people, human.Select(r =>
        {
            r.Remove("synthetic_run");
            return r.ToJsonString();
        }));
        Assert.NotEmpty(synthetic);
        Assert.All(synthetic, r => Assert.Equal("copy", r["synthetic_run"]!.GetValue<string>()));
        Assert.All(synthetic, r => Assert.Null(r["participant"]));
        Assert.All(synthetic, r => Assert.Null(r["group"]));
        Assert.Contains($"{rows.Count} rows", withOut, StringComparison.Ordinal);
        await using (var db = PluralistDatabase.CreateContext(DatabaseOptions.Resolve(data, null, null)))
        {
            // Only the named run's answers: every source answer is one of its valid answers.
            var copyRun = await db.SyntheticRuns.SingleAsync(r => r.Name == "copy");
            var valid = (await db.SyntheticAnswers.Where(a => a.RunId == copyRun.Id && a.Status == Pluralist.Core.Model.SyntheticStatus.Ok).Select(a => a.Id).ToListAsync()).ToHashSet();
            Assert.All(synthetic.SelectMany(r => r["source_answers"]!.AsArray()), a => Assert.Contains(a!.GetValue<long>(), valid));
        }

        var csvLines = File.ReadAllLines(Path.Combine(dir, "with-copy", "pairs.csv"));
        Assert.EndsWith(",synthetic_run", csvLines[0], StringComparison.Ordinal);
        Assert.Equal(synthetic.Count, csvLines.Count(l => l.EndsWith(",copy", StringComparison.Ordinal)));
        Assert.Contains("Synthetic rows", File.ReadAllText(Path.Combine(dir, "with-copy", "README.md")), StringComparison.Ordinal);
        Assert.DoesNotContain("synthetic", File.ReadAllText(Path.Combine(dir, "before", "README.md")), StringComparison.OrdinalIgnoreCase);

        // An unknown run is an error naming the option and the runs there are; nothing is written.
        var (unknown, _, unknownErr) = CliRunner.Run(dir, "dataset", "build", "livs-default", "--protocol", "livs", "--include-synthetic", "nope", "--out", "with-nope", "--data", "d");
        Assert.Equal(1, unknown);
        Assert.Contains("--include-synthetic", unknownErr, StringComparison.Ordinal);
        Assert.Contains("'nope'", unknownErr, StringComparison.Ordinal);
        Assert.Contains("copy", unknownErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "with-nope")));
        var (parquet, _, parquetErr) = CliRunner.Run(dir, "dataset", "build", "livs-default", "--protocol", "livs", "--format", "parquet", "--include-synthetic", "copy", "--out", "with-parquet", "--data", "d");
        Assert.Equal(1, parquet);
        Assert.Contains("--include-synthetic", parquetErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "with-parquet")));

        // The world plants group effects; personas carrying them must track their groups better than no persona.
        var (cmp, cmpOut, cmpErr) = CliRunner.Run(dir, "raters", "compare", "--study", "livs-default", "--run", "offline-persona-from-study-pairwise", "--axes", "age-band,gender,disability", "--no-intersections", "--replicates", "300", "--json", "--data", "d");
        Assert.True(cmp == 0, cmpErr);
        using var report = JsonDocument.Parse(cmpOut);
        var groups = report.RootElement.GetProperty("groups").EnumerateArray().ToList();
        var everyone = groups[0];
        Assert.Equal("everyone", everyone.GetProperty("axis").GetString());
        Assert.True(everyone.GetProperty("steered").GetDouble() > everyone.GetProperty("unsteered").GetDouble(), cmpOut);
        Assert.True(everyone.GetProperty("gainInterval")[0].GetDouble() > 0, cmpOut);
        var scored = groups.Skip(1).ToList();
        Assert.True(scored.Count >= 4, cmpOut);
        Assert.True(scored.Average(g => g.GetProperty("gain").GetDouble()) > 0.03, cmpOut);
        Assert.True(scored.Count(g => g.GetProperty("gain").GetDouble() > 0) >= scored.Count - 1, cmpOut);
        Assert.NotEmpty(report.RootElement.GetProperty("worst").EnumerateArray());

        var (missing, _, missingErr) = CliRunner.Run(dir, "raters", "compare", "--study", "livs-default", "--run", "nope", "--data", "d");
        Assert.Equal(1, missing);
        Assert.Contains("runs: ", missingErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_refused_naming_the_option()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "raters", "run", "--study", "x", "--personas", "everyone", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("--personas", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "raters", "run", "--study", "x", "--endpoint", "ftp://host", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("--endpoint", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "raters", "run", "--study", "x", "--model", "gpt-x", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("--model", err, StringComparison.Ordinal);
    }
}
