using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pluralist.Cli.Tests;

/// <summary>
/// The closed experiment of docs/alignment.md at its default size, on the shipped base and probe: the issue's proof that
/// Diffusion-DPO moves the model toward what the simulated annotators preferred and that shuffled labels do not.
/// About 8 minutes on 2 cores.
/// </summary>
public class LivsSimExperimentTests
{
    [Fact]
    public void Default_size_aligns_toward_the_annotators_and_the_shuffled_label_control_does_not()
    {
        var dir = CliRunner.TempDir();
        var (code, output, err) = CliRunner.Run(
            dir,
            "experiment", "livs-sim", "--seed", "1", "--out", "sim",
            "--model", CliRunner.Shipped("base32-small.safetensors"),
            "--probe", CliRunner.Shipped("probe32.safetensors"));
        Assert.True(code == 0, err + output);

        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "sim", "results.json")));
        var root = results.RootElement;
        Assert.Equal("default", root.GetProperty("size").GetString());
        (int Wins, int Losses, double P) Overall(string arm)
        {
            var c = root.GetProperty(arm).GetProperty("table").GetProperty("overall").GetProperty("counts");
            return (c.GetProperty("wins").GetInt32(), c.GetProperty("losses").GetInt32(), c.GetProperty("signTestP").GetDouble());
        }

        // The issue's criterion: aligned preferred over the base in more non-neutral answers, sign-test p below 0.01
        // (measured on the development machine: 1005 wins, 442 losses, p 1.2e-50).
        var aligned = Overall("aligned");
        Assert.True(aligned.Wins > aligned.Losses && aligned.P < 0.01, $"aligned vs base {aligned}\n{output}");

        // The control trained on the same pairs with shuffled labels shows no such gain (measured: 275 wins, 410 losses).
        var control = Overall("control");
        Assert.False(control.Wins > control.Losses && control.P < 0.01, $"control vs base {control}\n{output}");

        // Same judges, same draws: the aligned model beats the control (measured: 1052 wins, 451 losses, p 1.7e-55).
        var headToHead = Overall("alignedVsControl");
        Assert.True(headToHead.Wins > headToHead.Losses && headToHead.P < 0.01, $"aligned vs control {headToHead}\n{output}");

        // DPO read the dataset as `dataset build` writes it.
        Assert.True(File.Exists(Path.Combine(dir, "sim", "dataset", "pairs.csv")));
        Assert.True(root.GetProperty("labels").GetInt32() > 500, $"labels {root.GetProperty("labels")}");
        Directory.Delete(dir, recursive: true);
    }
}

/// <summary>
/// The side-by-side comparison of docs/alignment.md (<c>--arms all</c>) at the compact size on the shipped base and probe:
/// every arm trained on the same labels, each against the base and its own shuffled-label control, judged per consented group.
/// One DPO step per run: the test checks the wiring and the counts, not that an arm separates from its control (at
/// <c>--size small</c>, 30 steps, DPO does not reliably beat its control: p 0.25, 0.052, 0.62 in seeds 1-3, docs/alignment.md;
/// the default-size test above is the separation test).
/// </summary>
public class LivsSimComparisonTests
{
    private static readonly string[] Arms = ["dpo", "lora", "group-robust", "kto", "mapo"];

    [Fact]
    public void Compact_comparison_reports_every_arm_against_base_and_its_own_control_with_the_worst_group()
    {
        var dir = CliRunner.TempDir();
        var (code, output, err) = CliRunner.Run(
            dir,
            "experiment", "livs-sim", "--size", "compact", "--seed", "2", "--arms", "all", "--dpo-steps", "1", "--out", "cmp",
            "--model", CliRunner.Shipped("base32-small.safetensors"),
            "--probe", CliRunner.Shipped("probe32.safetensors"));
        Assert.True(code == 0, err + output);

        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "cmp", "results.json")));
        var root = results.RootElement;
        Assert.Equal("compact", root.GetProperty("size").GetString());
        Assert.Equal("Compare", root.GetProperty("objective").GetString());

        // The recruitment quota: 5 of the 10 annotators and 5 of the 10 judges are mobility-limited, so the dataset keeps the group.
        Assert.Equal(5, root.GetProperty("annotatorsPerGroup").GetProperty("mobility").GetInt32());
        Assert.Equal(5, root.GetProperty("judgesPerGroup").GetProperty("mobility").GetInt32());
        Assert.True(root.GetProperty("labelsPerGroup").GetProperty("mobility").GetInt32() > 0, root.GetProperty("labelsPerGroup").ToString());
        int labels = root.GetProperty("labels").GetInt32();

        var arms = root.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(Arms, arms.Select(a => a.GetProperty("arm").GetString()));
        Assert.Equal(["Dpo", "Dpo", "GroupRobust", "Kto", "Mapo"], arms.Select(a => a.GetProperty("objective").GetString()));
        Assert.Equal(["full", "per-group-lora", "full", "full", "full"], arms.Select(a => a.GetProperty("mode").GetString()));
        var adapters = arms[1].GetProperty("pairsPerAdapter");
        Assert.Equal(["mobility", "none"], adapters.EnumerateObject().Select(p => p.Name));
        Assert.True(adapters.EnumerateObject().Sum(p => p.Value.GetInt32()) <= labels);

        int? judged = null;
        foreach (var arm in arms)
        {
            string name = arm.GetProperty("arm").GetString()!;
            foreach (var (key, first, second) in new[] { ("aligned", name, "base"), ("control", $"{name} control", "base"), ("alignedVsControl", name, $"{name} control") })
            {
                var c = arm.GetProperty(key);
                Assert.Equal(first, c.GetProperty("name").GetString());
                Assert.Equal(second, c.GetProperty("versus").GetString());
                var overall = Counts(c.GetProperty("table").GetProperty("overall"));

                // every comparison is judged by the same judges with the same draws: the same number of judgements
                Assert.Equal(c.GetProperty("judgementsKept").GetInt32(), overall.Wins + overall.Ties + overall.Losses);
                judged ??= c.GetProperty("judgementsKept").GetInt32() + c.GetProperty("judgementsDropped").GetInt32();
                Assert.Equal(judged, c.GetProperty("judgementsKept").GetInt32() + c.GetProperty("judgementsDropped").GetInt32());

                // the groups partition the judgements, and the worst group is the one with the lowest win rate
                var groups = c.GetProperty("perGroup").EnumerateArray().Select(g => (Scope: g.GetProperty("scope").GetString()!, Counts: Counts(g))).ToList();
                // (a group whose judges' answers were all removed by cleaning has no row: with one pair per judge at this size, it happens)
                Assert.NotEmpty(groups);
                Assert.Subset(new HashSet<string> { "disability=mobility", "disability=none" }, groups.Select(g => g.Scope).ToHashSet());
                Assert.Equal(overall.Wins, groups.Sum(g => g.Counts.Wins));
                Assert.Equal(overall.Losses, groups.Sum(g => g.Counts.Losses));
                Assert.Equal(overall.Ties, groups.Sum(g => g.Counts.Ties));
                var rated = groups.Where(g => g.Counts.Wins + g.Counts.Losses > 0).ToList();
                Assert.Equal(rated.Count == 0 ? null : rated.MinBy(g => (double)g.Counts.Wins / (g.Counts.Wins + g.Counts.Losses)).Scope, c.GetProperty("worstGroup").GetString());
            }

            Assert.Contains($"{name,-14} vs base", output, StringComparison.Ordinal);
            Assert.Contains($"{name,-14} vs control", output, StringComparison.Ordinal);
        }

        // Case study IV with both groups fitted (the quota), and the reward model on every comparison.
        var iv = LivsSimEvaluatorAssertions.CaseStudyIV(root);
        Assert.Empty(iv.GetProperty("hiddenGroups").EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, iv.GetProperty("accessibilityLargestScoreDifference").ValueKind);
        LivsSimEvaluatorAssertions.Reward(root, arms.SelectMany(a => new[] { a.GetProperty("aligned"), a.GetProperty("control"), a.GetProperty("alignedVsControl") }));
        Assert.Contains("planted accessibility effect:", output, StringComparison.Ordinal);
        Assert.Contains("lora vs base", output, StringComparison.Ordinal);

        // The training ran: each full arm's steps, each adapter's steps for lora, logged per run.
        Assert.Equal(4 * 2, Regex.Count(output, @"4/6 \w+ \((dpo|group-robust|kto|mapo) (aligned|control)\): \d+ pairs, 1 steps"));
        Assert.Equal(2 * 2, Regex.Count(output, @"4/6 Dpo \(lora (aligned|control) \[(mobility|none)\]\): \d+ pairs, 1 steps"));
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("--arms", "--arms", "dpo,fancy")]
    [InlineData("--arms", "--arms", "dpo,dpo")]
    [InlineData("--objective", "--arms", "dpo", "--objective", "kto")]
    [InlineData("--lora-lr", "--lora-lr", "0.01")]
    [InlineData("--lora-lr", "--arms", "lora", "--lora-lr", "0")]
    [InlineData("--reward-steps", "--reward-steps", "0")]
    [InlineData("--reward-steps", "--no-reward", "--reward-steps", "10")]
    public void Bad_comparison_options_name_the_option(string option, params string[] extra)
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, ["experiment", "livs-sim", "--size", "compact", "--out", "cmp", .. extra]);
        Assert.Equal(1, code);
        Assert.Contains(option, err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "cmp")));
    }

    private static (int Wins, int Ties, int Losses, double P) Counts(JsonElement summary)
    {
        var c = summary.GetProperty("counts");
        return (c.GetProperty("wins").GetInt32(), c.GetProperty("ties").GetInt32(), c.GetProperty("losses").GetInt32(), c.GetProperty("signTestP").GetDouble());
    }
}

/// <summary>
/// Case study IV and the reward model inside the closed experiment (single objective, compact size, one DPO step): the
/// sections exist and their counts add up; the reward model's cost is printed.
/// </summary>
public class LivsSimEvaluatorTests
{
    [Fact]
    public void Compact_run_reports_case_study_IV_and_the_reward_model_beside_the_judges()
    {
        var dir = CliRunner.TempDir();
        var (code, output, err) = CliRunner.Run(
            dir,
            "experiment", "livs-sim", "--size", "compact", "--seed", "1", "--dpo-steps", "1", "--reward-steps", "30", "--out", "ev",
            "--model", CliRunner.Shipped("base32-small.safetensors"),
            "--probe", CliRunner.Shipped("probe32.safetensors"));
        Assert.True(code == 0, err + output);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "ev", "results.json")));
        var root = results.RootElement;
        LivsSimEvaluatorAssertions.CaseStudyIV(root);
        var model = LivsSimEvaluatorAssertions.Reward(root, [root.GetProperty("aligned"), root.GetProperty("control"), root.GetProperty("alignedVsControl")]);
        Assert.Equal(30, model.GetProperty("steps").GetInt32());
        Assert.Equal("world-clip", model.GetProperty("backbone").GetString());
        Assert.Matches(@"world-clip, [\d,]+ parameters, 30 steps, .* s training, [\d.]+ s in all", output);
        Assert.Contains("case study IV (per-group Bradley-Terry scores", output, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}

/// <summary>Checks of results.json's case study IV and reward sections shared by the experiment tests.</summary>
internal static class LivsSimEvaluatorAssertions
{
    private static readonly string[] Criteria = ["accessibility", "comfort", "diversity", "inclusivity", "invitingness", "safety"];

    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;

    /// <summary>Case study IV: everyone's and each shown group's Bradley-Terry scores, centred per fit; the spreads per criterion.</summary>
    public static JsonElement CaseStudyIV(JsonElement root)
    {
        var iv = root.GetProperty("caseStudyIV");
        Assert.True(iv.GetProperty("answers").GetInt32() > 0);
        var hidden = iv.GetProperty("hiddenGroups").EnumerateArray().Select(g => g.GetString()).ToHashSet();
        var scores = iv.GetProperty("scores").EnumerateArray().ToList();
        Assert.NotEmpty(scores);
        foreach (var fit in scores.GroupBy(s => (Axis: s.GetProperty("axis").GetString(), Group: s.GetProperty("group").GetString(), Criterion: s.GetProperty("criterion").GetString(), Scope: s.GetProperty("scope").GetString())))
        {
            Assert.Contains(fit.Key.Axis, new[] { "all", "disability" });
            Assert.DoesNotContain(fit.Key.Group, hidden);
            Assert.Contains(fit.Key.Criterion, Criteria);
            Assert.True(Math.Abs(fit.Sum(s => s.GetProperty("theta").GetDouble())) < 1e-6, $"scores of {fit.Key} are not centred");
            foreach (var s in fit)
            {
                double lower = Number(s.GetProperty("interval").GetProperty("lower")), upper = Number(s.GetProperty("interval").GetProperty("upper"));
                Assert.True(double.IsNaN(lower) || double.IsNaN(upper) || lower <= upper + 1e-12, s.ToString());
            }
        }

        var perCriterion = iv.GetProperty("perCriterion").EnumerateArray().ToList();
        Assert.Equal(scores.Select(s => s.GetProperty("criterion").GetString()).Distinct().Order(StringComparer.Ordinal), perCriterion.Select(c => c.GetProperty("criterion").GetString()));
        foreach (var c in perCriterion)
        {
            Assert.True(Number(c.GetProperty("varianceEveryone")) >= 0, c.ToString());
        }

        return iv;
    }

    /// <summary>
    /// The reward model: held-out accuracy in [0, 1] on answers that add up to the cleaned answers, and per comparison its
    /// verdict on exactly the kept judgements, the judges' tally equal to the A/B table, groups partitioning the overall row.
    /// </summary>
    public static JsonElement Reward(JsonElement root, IEnumerable<JsonElement> comparisons)
    {
        var model = root.GetProperty("rewardModel");
        Assert.Equal(JsonValueKind.Null, model.GetProperty("notRun").ValueKind);
        Assert.Equal(root.GetProperty("caseStudyIV").GetProperty("answers").GetInt32(), model.GetProperty("trainAnswers").GetInt32() + model.GetProperty("heldOutAnswers").GetInt32());
        Assert.NotEmpty(model.GetProperty("heldOutPrompts").EnumerateArray());
        foreach (var key in new[] { "heldOut", "heldOutWithoutGroup", "constant" })
        {
            var row = model.GetProperty(key);
            Assert.Equal(model.GetProperty("heldOutAnswers").GetInt32(), row.GetProperty("answers").GetInt32());
            Assert.InRange(row.GetProperty("correct").GetInt32(), 0, row.GetProperty("nonNeutral").GetInt32());
        }

        Assert.True(model.GetProperty("seconds").GetDouble() >= model.GetProperty("trainSeconds").GetDouble());
        foreach (var c in comparisons)
        {
            var rows = c.GetProperty("reward").EnumerateArray().ToList();
            var overall = rows[0];
            Assert.Equal("overall", overall.GetProperty("scope").GetString());
            int n = overall.GetProperty("judgements").GetInt32();
            Assert.Equal(c.GetProperty("judgementsKept").GetInt32(), n);
            foreach (var row in rows)
            {
                Assert.Equal(row.GetProperty("judgements").GetInt32(), row.GetProperty("modelWins").GetInt32() + row.GetProperty("modelTies").GetInt32() + row.GetProperty("modelLosses").GetInt32());
                var judges = row.GetProperty("judges");
                Assert.Equal(judges.GetProperty("wins").GetInt32() + judges.GetProperty("losses").GetInt32(), row.GetProperty("compared").GetInt32());
                Assert.InRange(row.GetProperty("agree").GetInt32(), 0, row.GetProperty("compared").GetInt32());
                double kappa = Number(row.GetProperty("kappa"));
                Assert.True(double.IsNaN(kappa) || kappa is >= -1 and <= 1, row.ToString());
            }

            var table = c.GetProperty("table").GetProperty("overall").GetProperty("counts");
            foreach (var k in new[] { "wins", "ties", "losses" })
            {
                Assert.Equal(table.GetProperty(k).GetInt32(), overall.GetProperty("judges").GetProperty(k).GetInt32());
                Assert.Equal(overall.GetProperty("judges").GetProperty(k).GetInt32(), rows.Skip(1).Sum(r => r.GetProperty("judges").GetProperty(k).GetInt32()));
            }

            foreach (var k in new[] { "judgements", "modelWins", "modelTies", "modelLosses", "compared", "agree" })
            {
                Assert.Equal(overall.GetProperty(k).GetInt32(), rows.Skip(1).Sum(r => r.GetProperty(k).GetInt32()));
            }

            // the judges' per-group tally is case study II's per-group row
            foreach (var g in c.GetProperty("perGroup").EnumerateArray())
            {
                var mine = rows.Single(r => r.GetProperty("scope").GetString() == g.GetProperty("scope").GetString());
                Assert.Equal(g.GetProperty("counts").GetProperty("wins").GetInt32(), mine.GetProperty("judges").GetProperty("wins").GetInt32());
            }
        }

        return model;
    }
}
