using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pluralist.Cli.Tests;

/// <summary><c>experiment livs-sim --scaling</c> and <c>--per-criterion</c> at the compact size with one or two steps: wiring, not separation.</summary>
public class LivsSimScalingTests
{
    [Fact]
    public void Scaling_curve_trains_nested_pools_and_reports_each_point_with_a_trend()
    {
        var dir = CliRunner.TempDir();
        var (code, output, err) = CliRunner.Run(
            dir,
            "experiment", "livs-sim", "--size", "compact", "--seed", "1", "--scaling", "3,6,10", "--dpo-steps", "1", "--out", "sc",
            "--model", CliRunner.Shipped("base32-small.safetensors"),
            "--probe", CliRunner.Shipped("probe32.safetensors"));
        Assert.True(code == 0, err + output);

        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "sc", "scaling.json")));
        var root = results.RootElement;
        Assert.Equal("compact", root.GetProperty("size").GetString());
        Assert.Equal(1, root.GetProperty("steps").GetInt32());
        var points = root.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([3, 6, 10], points.Select(p => p.GetProperty("annotators").GetInt32()));

        // 3 pairs per annotator at this size: the annotations grow with the pool, so do the labels (nested pools)
        Assert.Equal([9, 18, 30], points.Select(p => p.GetProperty("annotations").GetInt32()));
        var labels = points.Select(p => p.GetProperty("labels").GetInt32()).ToList();
        Assert.True(labels[0] > 0 && labels[0] <= labels[1] && labels[1] <= labels[2], string.Join(",", labels));

        // Smaller pools are subsets: point N's labels are exactly the larger pool's labels of participants 1..N.
        var sets = points.Select(p => Labels(Path.Combine(dir, "sc", "scaling", $"annotators-{p.GetProperty("annotators").GetInt32()}", "dataset", "pairs.jsonl"))).ToList();
        Assert.Equal(labels, sets.Select(s => s.Count));
        for (int i = 0; i < points.Count; i++)
        {
            int n = points[i].GetProperty("annotators").GetInt32();
            Assert.All(sets[i], l => Assert.InRange(l.Participant, 1, n));
            for (int j = i + 1; j < points.Count; j++)
            {
                Assert.True(sets[i].SetEquals(sets[j].Where(l => l.Participant <= n)), $"{n} annotators: not the first {n} of the pool of {points[j].GetProperty("annotators").GetInt32()}");
            }
        }

        int? judged = null;
        foreach (var p in points)
        {
            int n = p.GetProperty("annotators").GetInt32();
            foreach (var (key, first, second) in new[] { ("aligned", $"aligned {n}", "base"), ("control", $"control {n}", "base"), ("alignedVsControl", $"aligned {n}", $"control {n}") })
            {
                var c = p.GetProperty(key);
                Assert.Equal(first, c.GetProperty("name").GetString());
                Assert.Equal(second, c.GetProperty("versus").GetString());
                var counts = c.GetProperty("table").GetProperty("overall").GetProperty("counts");
                Assert.Equal(c.GetProperty("judgementsKept").GetInt32(), counts.GetProperty("wins").GetInt32() + counts.GetProperty("ties").GetInt32() + counts.GetProperty("losses").GetInt32());

                // the same judges with the same draws judge every comparison
                judged ??= c.GetProperty("judgementsKept").GetInt32() + c.GetProperty("judgementsDropped").GetInt32();
                Assert.Equal(judged, c.GetProperty("judgementsKept").GetInt32() + c.GetProperty("judgementsDropped").GetInt32());
                Assert.True(counts.GetProperty("winRateInterval").TryGetProperty("lower", out _));
            }

            Assert.True(p.GetProperty("trainingPairs").GetInt32() <= p.GetProperty("labels").GetInt32());
        }

        // The trend over log2(annotators) uses the points with non-tied answers, with their scores.
        foreach (var t in new[] { "alignedTrend", "controlTrend", "alignedVsControlTrend" })
        {
            var trend = root.GetProperty(t);
            Assert.InRange(trend.GetProperty("points").GetInt32(), 0, 3);
            Assert.All(trend.GetProperty("scores").EnumerateArray().Select(s => s.GetDouble()), s => Assert.Contains(s, new[] { Math.Log2(3), Math.Log2(6), Math.Log2(10) }));
        }

        Assert.Contains("annotators annotations labels", output, StringComparison.Ordinal);
        Assert.Contains("trend over log2(annotators), aligned vs base", output, StringComparison.Ordinal);
        Assert.Equal(3 * 2, Regex.Count(output, @"4/6 Dpo \((aligned|control) (3|6|10)\): \d+ pairs, 1 steps"));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Per_criterion_models_train_on_their_criterion_only_and_report_labels_against_win_rate()
    {
        var dir = CliRunner.TempDir();
        var (code, output, err) = CliRunner.Run(
            dir,
            "experiment", "livs-sim", "--size", "compact", "--seed", "1", "--per-criterion", "1,2", "--criteria", "comfort,safety,diversity", "--out", "pc",
            "--model", CliRunner.Shipped("base32-small.safetensors"),
            "--probe", CliRunner.Shipped("probe32.safetensors"));
        Assert.True(code == 0, err + output);

        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "pc", "per-criterion.json")));
        var root = results.RootElement;
        Assert.Equal(["comfort", "safety", "diversity"], root.GetProperty("criteria").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal([1, 2], root.GetProperty("steps").EnumerateArray().Select(c => c.GetInt32()));

        // The dataset holds one per-criterion label per non-neutral answer; each model's labels are its criterion's rows.
        var rows = File.ReadLines(Path.Combine(dir, "pc", "per-criterion", "dataset", "pairs.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("criterion").GetString()).ToList();
        var perCriterion = root.GetProperty("labelsPerCriterion");
        foreach (var c in new[] { "comfort", "safety", "diversity" })
        {
            Assert.Equal(rows.Count(r => r == c), perCriterion.GetProperty(c).GetInt32());
        }

        var models = root.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(
            new (string?, int)[] { ("comfort", 1), ("safety", 1), ("diversity", 1), ("comfort", 2), ("safety", 2), ("diversity", 2) },
            models.Select(m => (m.GetProperty("criterion").GetString(), m.GetProperty("steps").GetInt32())));
        foreach (var m in models)
        {
            var c = m.GetProperty("criterion").GetString()!;
            Assert.Equal(perCriterion.GetProperty(c).GetInt32(), m.GetProperty("labels").GetInt32());
            Assert.Equal(m.GetProperty("labels").GetInt32(), m.GetProperty("trainingPairs").GetInt32()); // per-criterion labels have no ties
            Assert.Equal(c, m.GetProperty("onCriterion").GetProperty("scope").GetString());

            // its own criterion's row is the row of the full table against the base
            var row = m.GetProperty("versus").GetProperty("table").GetProperty("perCriterion").EnumerateArray().FirstOrDefault(s => s.GetProperty("scope").GetString() == c);
            if (row.ValueKind != JsonValueKind.Undefined)
            {
                Assert.Equal(row.GetProperty("counts").GetProperty("wins").GetInt32(), m.GetProperty("onCriterion").GetProperty("counts").GetProperty("wins").GetInt32());
            }
        }

        // Issue 21's analysis per step count: one point per criterion with its labels, and the too-few-criteria warning (3 < 4).
        var scaling = root.GetProperty("scaling").EnumerateArray().ToList();
        Assert.Equal([1, 2], scaling.Select(s => s.GetProperty("steps").GetInt32()));
        foreach (var s in scaling)
        {
            var report = s.GetProperty("report");
            Assert.Equal(3, report.GetProperty("points").GetArrayLength());
            Assert.Contains("too few", report.GetProperty("trend").GetProperty("warning").GetString(), StringComparison.Ordinal);
        }

        Assert.Contains("labels vs win rate across", output, StringComparison.Ordinal);
        Assert.Equal(6, Regex.Count(output, @"4/6 Dpo \((comfort|safety|diversity) (1|2)\): \d+ pairs, (1|2) steps"));
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("--scaling", "--scaling", "0,x")]
    [InlineData("--scaling", "--scaling", "10,x")]
    [InlineData("--scaling", "--scaling", "20,10")]
    [InlineData("--scaling", "--scaling", "10,10")]
    [InlineData("--scaling", "--scaling", "10", "--arms", "dpo")]
    [InlineData("--scaling", "--scaling", "10", "--per-criterion", "5")]
    [InlineData("--per-criterion", "--per-criterion", "500,-1")]
    [InlineData("--per-criterion", "--per-criterion", "")]
    [InlineData("--dpo-steps", "--per-criterion", "5", "--dpo-steps", "3")]
    [InlineData("--criteria", "--criteria", "comfort")]
    [InlineData("--criteria", "--per-criterion", "5", "--criteria", "comfort,beauty")]
    [InlineData("--criteria", "--per-criterion", "5", "--criteria", "comfort,comfort")]
    public void Bad_scaling_options_name_the_option_and_write_nothing(string option, params string[] extra)
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, ["experiment", "livs-sim", "--size", "compact", "--out", "sc", .. extra]);
        Assert.Equal(1, code);
        Assert.Contains(option, err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "sc")));
        Directory.Delete(dir, recursive: true);
    }

    private static HashSet<(long Participant, string Answers)> Labels(string pairsJsonl) =>
        [.. File.ReadLines(pairsJsonl).Select(l => JsonDocument.Parse(l).RootElement).Select(o => (o.GetProperty("participant").GetInt64(), o.GetProperty("source_answers").ToString()))];
}
