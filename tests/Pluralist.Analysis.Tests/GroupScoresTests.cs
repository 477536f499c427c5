using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Evaluation;
using Pluralist.Analysis.Ranking;
using Pluralist.Analysis.Reports;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;

namespace Pluralist.Analysis.Tests;

/// <summary>Case study IV: per-group Bradley-Terry scores per criterion and prompt, their orientation and the App. I spread.</summary>
public class GroupScoresTests
{
    private static readonly RaterProfile[] Profiles =
    [
        new("w1", new Dictionary<string, string?> { ["gender"] = "woman" }),
        new("w2", new Dictionary<string, string?> { ["gender"] = "woman" }),
        new("m1", new Dictionary<string, string?> { ["gender"] = "man" }),
    ];

    /// <summary>
    /// Two items, no ties, ridge λ: with θ_a = t = −θ_b the penalised log-likelihood is
    /// w log σ(2t) + l log σ(−2t) − λt², whose derivative 2w σ(−2t) − 2l σ(2t) − 2λt is decreasing in t;
    /// its root found by bisection is an implementation independent of the Newton solver.
    /// </summary>
    private static double TwoItemTheta(int wins, int losses, double lambda)
    {
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        double lo = -20, hi = 20;
        for (var i = 0; i < 200; i++)
        {
            var mid = (lo + hi) / 2;
            var d = (2 * wins * Sigmoid(-2 * mid)) - (2 * losses * Sigmoid(2 * mid)) - (2 * lambda * mid);
            (lo, hi) = d > 0 ? (mid, hi) : (lo, mid);
        }

        return (lo + hi) / 2;
    }

    [Fact]
    public void Each_groups_scores_match_the_two_item_optimum_solved_by_bisection()
    {
        var answers = new List<CriterionPreference>();
        // Women: a beats b 5 times, b beats a once. The man: b beats a 3 times. Everyone: a 5, b 4.
        for (var k = 0; k < 3; k++)
        {
            answers.Add(new("a", "b", "w1", "safety", -0.7, "p1"));
            answers.Add(new("a", "b", "m1", "safety", 0.4, "p1"));
        }

        answers.Add(new("b", "a", "w2", "safety", 0.5, "p1")); // a preferred, pair written the other way round
        answers.Add(new("a", "b", "w2", "safety", -1, "p1"));
        answers.Add(new("a", "b", "w2", "safety", 0.2, "p1"));
        var rows = IntersectionalScores.FromPreferences(answers, Profiles, ["gender"], options: new BradleyTerryOptions { BootstrapReplicates = 0, Regularization = 0.1 });
        double Theta(string group, string item) => rows.Single(r => r.Group == group && r.Item == item && r.Criterion == "safety").Theta;
        Assert.Equal(TwoItemTheta(5, 1, 0.1), Theta("woman", "a"), 8);
        Assert.Equal(-TwoItemTheta(5, 1, 0.1), Theta("woman", "b"), 8);
        Assert.Equal(TwoItemTheta(0, 3, 0.1), Theta("man", "a"), 8);
        Assert.Equal(TwoItemTheta(5, 4, 0.1), Theta(IntersectionalScores.Everyone, "a"), 8);
        var woman = rows.Single(r => r.Group == "woman" && r.Item == "a");
        Assert.Equal(("p1", 6, 5.0, 0, 2), (woman.Scope, woman.Comparisons, woman.Wins, woman.Ties, woman.Raters));
    }

    [Fact]
    public void Scores_and_intervals_do_not_change_when_pairs_are_written_the_other_way_round()
    {
        var rng = new Random(11);
        var raters = Enumerable.Range(0, 12).Select(i => $"r{i}").ToArray();
        var profiles = raters.Select((r, i) => new RaterProfile(r, new Dictionary<string, string?> { ["gender"] = i % 2 == 0 ? "woman" : "man", ["age"] = i < 6 ? "young" : "old" })).ToList();
        var answers = new List<CriterionPreference>();
        foreach (var r in raters)
        {
            for (var k = 0; k < 20; k++)
            {
                var prompt = $"p{rng.Next(3)}";
                var i = rng.Next(4);
                var j = (i + 1 + rng.Next(3)) % 4;
                var value = Math.Round((rng.NextDouble() * 2) - 1 + (i < j ? 0.3 : -0.3), 1);
                answers.Add(new($"{prompt}-{i}", $"{prompt}-{j}", r, k % 2 == 0 ? "safety" : "comfort", Math.Clamp(value, -1, 1), prompt));
            }
        }

        var reversed = answers.Select((a, n) => n % 3 == 0 ? a with { Item0 = a.Item1, Item1 = a.Item0, Preference = -a.Preference } : a).ToList();
        var options = new BradleyTerryOptions { BootstrapReplicates = 60, Seed = 4 };
        var before = IntersectionalScores.FromPreferences(answers, profiles, ["gender", "age"], options: options);
        var after = IntersectionalScores.FromPreferences(reversed, profiles, ["gender", "age"], options: options);
        Assert.True(before.Count > 100);
        var byKey = after.ToDictionary(s => (s.Axis, s.Group, s.Criterion, s.Scope, s.Item));
        Assert.Equal(before.Count, byKey.Count);
        foreach (var s in before)
        {
            var t = byKey[(s.Axis, s.Group, s.Criterion, s.Scope, s.Item)];
            Assert.Equal(s.Theta, t.Theta, 7);
            Assert.Equal(s.Interval.Lower, t.Interval.Lower, 7);
            Assert.Equal(s.Interval.Upper, t.Interval.Upper, 7);
            Assert.Equal((s.Comparisons, s.Wins, s.Ties), (t.Comparisons, t.Wins, t.Ties));
        }

        // The mis-specified statistic this replaces: the mean oriented preference changes with the order.
        Assert.NotEqual(answers.Average(a => a.Preference), reversed.Average(a => a.Preference), 6);
    }

    [Fact]
    public void Each_groups_scores_are_the_bits_of_a_plain_fit_of_the_groups_own_answers()
    {
        var rng = new Random(23);
        var raters = Enumerable.Range(0, 14).Select(i => $"r{i}").ToArray();
        var profiles = raters.Select((r, i) => new RaterProfile(r, new Dictionary<string, string?> { ["gender"] = i % 2 == 0 ? "woman" : "man", ["age"] = i < 7 ? "young" : "old" })).ToList();
        var answers = new List<CriterionPreference>();
        for (var n = 0; n < 600; n++)
        {
            // Answers interleaved across raters, criteria and prompts; one prompt's scope missing (null) on some answers.
            var r = raters[rng.Next(raters.Length)];
            var prompt = rng.Next(4);
            var i = rng.Next(4);
            var j = (i + 1 + rng.Next(3)) % 4;
            var value = Math.Clamp(Math.Round((rng.NextDouble() * 2) - 1 + (i < j ? 0.3 : -0.3), 1), -1, 1);
            answers.Add(new($"p{prompt}-{i}", $"p{prompt}-{j}", r, n % 3 == 0 ? "safety" : n % 3 == 1 ? "comfort" : "accuracy", value, prompt == 3 ? null : $"p{prompt}"));
        }

        var options = new BradleyTerryOptions { BootstrapReplicates = 40, Seed = 9 };
        var scores = IntersectionalScores.FromPreferences(answers, profiles, ["gender", "age"], options: options);
        var groups = new List<(string Axis, string Group, HashSet<string> Members)> { (IntersectionalScores.Everyone, IntersectionalScores.Everyone, [.. raters]) };
        groups.AddRange(IdentityGroups.Assign(profiles, ["gender", "age"], true).Select(g => (g.Key.Axis, g.Key.Group, g.Value)));
        var expected = new List<GroupBradleyTerryScore>();
        foreach (var (axis, group, members) in groups)
        {
            // The plain computation: the group's answers per (criterion, scope), in input order, each fitted on its own.
            foreach (var criterion in answers.Select(a => a.Criterion).Distinct().Order(StringComparer.Ordinal))
            {
                foreach (var scope in answers.Select(a => a.Scope ?? "").Distinct().Order(StringComparer.Ordinal))
                {
                    var mine = answers.Where(a => members.Contains(a.Rater) && a.Criterion == criterion && (a.Scope ?? "") == scope).ToList();
                    if (mine.Count == 0)
                    {
                        continue;
                    }

                    var fit = BradleyTerry.Fit([.. mine.Select(a => PairComparison.FromPreference(a.Item0, a.Item1, a.Preference, a.Rater))], options);
                    var count = mine.Select(a => a.Rater).Distinct().Count();
                    expected.AddRange(fit.Scores.Select(s => new GroupBradleyTerryScore(axis, group, criterion, s.Item, s.Theta, s.Interval, s.Comparisons, mine[0].Scope, s.Wins, s.Ties, count)));
                }
            }
        }

        Assert.True(expected.Count > 300);
        Assert.Equal(expected.Count, scores.Count);
        for (var k = 0; k < expected.Count; k++)
        {
            var (e, s) = (expected[k], scores[k]);
            Assert.Equal((e.Axis, e.Group, e.Criterion, e.Scope, e.Item, e.Comparisons, e.Wins, e.Ties, e.Raters), (s.Axis, s.Group, s.Criterion, s.Scope, s.Item, s.Comparisons, s.Wins, s.Ties, s.Raters));
            Assert.Equal(BitConverter.DoubleToInt64Bits(e.Theta), BitConverter.DoubleToInt64Bits(s.Theta));
            Assert.Equal(BitConverter.DoubleToInt64Bits(e.Interval.Lower), BitConverter.DoubleToInt64Bits(s.Interval.Lower));
            Assert.Equal(BitConverter.DoubleToInt64Bits(e.Interval.Upper), BitConverter.DoubleToInt64Bits(s.Interval.Upper));
        }
    }

    [Fact]
    public void Rater_bootstrap_interval_is_a_point_when_every_rater_answers_alike_and_wider_when_they_differ()
    {
        var alike = new List<CriterionPreference>();
        var differ = new List<CriterionPreference>();
        foreach (var r in new[] { "w1", "w2" })
        {
            alike.Add(new("a", "b", r, "safety", -1));
            alike.Add(new("a", "b", r, "safety", 1));
            alike.Add(new("a", "b", r, "safety", -1));
        }

        differ.AddRange(Enumerable.Repeat(new CriterionPreference("a", "b", "w1", "safety", -1), 3));
        differ.AddRange(Enumerable.Repeat(new CriterionPreference("a", "b", "w2", "safety", 1), 3));
        var options = new BradleyTerryOptions { BootstrapReplicates = 200, Seed = 2 };
        var same = IntersectionalScores.FromPreferences(alike, Profiles, ["gender"], options: options).Single(s => s.Group == "woman" && s.Item == "a");
        Assert.Equal(same.Theta, same.Interval.Lower, 9);
        Assert.Equal(same.Theta, same.Interval.Upper, 9);
        var split = IntersectionalScores.FromPreferences(differ, Profiles, ["gender"], options: options).Single(s => s.Group == "woman" && s.Item == "a");
        // Replicates draw two raters: (w1, w1), (w1, w2) or (w2, w2), that is a 6-0, 3-3 or 0-6, each pure draw with
        // probability 1/4, so the 2.5% and 97.5% percentiles are the two one-sided optima.
        Assert.Equal(TwoItemTheta(6, 0, 0.1), split.Interval.Upper, 6);
        Assert.Equal(TwoItemTheta(0, 6, 0.1), split.Interval.Lower, 6);
        Assert.Equal(0, split.Theta, 9);
    }

    private static CleaningRow Row(long id, long participant, string criterion, double asShown, long prompt, long left, long right, bool reverse)
    {
        // The same answer to the same screen (left image, right image, slider value), stored with either canonical order.
        var (image0, image1, image0OnLeft) = reverse ? (right, left, false) : (left, right, true);
        return new CleaningRow
        {
            AnswerId = id,
            AnnotationId = id,
            AssignmentId = id,
            ParticipantId = participant,
            BatchId = 1,
            PairId = (prompt * 100) + Math.Min(left, right),
            PromptId = prompt,
            Image0Id = image0,
            Image1Id = image1,
            PairKind = PairKind.Annotation,
            Criterion = criterion,
            ScoreAsShown = asShown,
            Image0OnLeft = image0OnLeft,
        };
    }

    private static StudyReport Report(bool reverse)
    {
        var rows = ReportRows(reverse).ToList();
        var markers = Enumerable.Range(1, 14).ToDictionary(p => (long)p, p => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
        {
            ["gender"] = p <= 7 ? "woman" : p <= 12 ? "man" : "tiny",
            ["age"] = p % 2 == 0 ? "young" : "old",
        });
        return StudyReportBuilder.Build(new StudyReportInput
        {
            StudyKey = "s",
            StudyTitle = "S",
            Rows = rows,
            Axes = ["gender", "age"],
            Markers = markers,
            MinGroupSize = 5,
            Permutations = 9,
            BootstrapReplicates = 30,
        });
    }

    [Fact]
    public void Report_group_scores_and_spread_are_the_same_whichever_image_is_image_0()
    {
        var a = Report(reverse: false);
        var b = Report(reverse: true);
        var ta = a.Tables.ToDictionary(t => t.Name);
        var tb = b.Tables.ToDictionary(t => t.Name);
        Assert.True(ta["group_scores"].Rows.Count > 50);
        Assert.Equal(ta["group_scores"].Columns, ["axis", "group", "criterion", "prompt", "image", "theta", "lower", "upper", "comparisons", "wins", "ties", "participants"]);
        foreach (var name in new[] { "group_scores", "spread_per_group" })
        {
            static string Key(IReadOnlyList<object?> r) => string.Join("|", r.Take(5).Select(ReportTable.Format));
            var left = ta[name].Rows.ToDictionary(Key);
            var right = tb[name].Rows.ToDictionary(Key);
            Assert.Equal(left.Keys.Order(), right.Keys.Order());
            foreach (var (key, row) in left)
            {
                for (var c = 5; c < row.Count; c++)
                {
                    if (row[c] is double x)
                    {
                        Assert.Equal(x, (double)right[key][c]!, 7);
                    }
                    else
                    {
                        Assert.Equal(row[c], right[key][c]);
                    }
                }
            }
        }

        // Small groups (tiny: 2 participants) and small intersections never appear; everyone and the shown groups do.
        var groups = ta["group_scores"].Rows.Select(r => ((string)r[0]!, (string)r[1]!)).Distinct().ToList();
        Assert.Contains((IntersectionalScores.Everyone, IntersectionalScores.Everyone), groups);
        Assert.Contains(("gender", "woman"), groups);
        Assert.DoesNotContain(groups, g => g.Item2.Contains("tiny", StringComparison.Ordinal));
        Assert.All(ta["spread_per_group"].Rows.Where(r => (string)r[0]! != IntersectionalScores.Everyone), r => Assert.True((int)r[3]! >= 5));
        Assert.Contains(a.Sections.Single(s => s.Id == "group-scores").Charts, c => c.Id.StartsWith("group-scores-", StringComparison.Ordinal));

        // The spread of everyone on safety, by hand from the values as shown.
        var values = ReportRows(reverse: false).Where(r => r.Criterion == "safety").Select(r => r.ScoreAsShown!.Value).ToArray();
        var mean = values.Average();
        var spread = ta["spread_per_group"].Rows.Single(r => (string)r[0]! == IntersectionalScores.Everyone && (string)r[2]! == "safety");
        Assert.Equal(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1), (double)spread[5]!, 12);
        Assert.Equal(values.Count(v => v == 0) / (double)values.Length, (double)spread[7]!, 12);
    }

    private static IEnumerable<CleaningRow> ReportRows(bool reverse)
    {
        var rng = new Random(8);
        long id = 0;
        for (var p = 1; p <= 14; p++)
        {
            for (var k = 0; k < 12; k++)
            {
                var prompt = 1 + rng.Next(2);
                var left = (prompt * 10) + rng.Next(3);
                var right = (prompt * 10) + ((left % 10) + 1 + rng.Next(2)) % 3;
                var value = Math.Round((rng.NextDouble() * 2) - 1, 1);
                id++;
                yield return Row(id, p, k % 2 == 0 ? "safety" : "comfort", value, prompt, left, right, reverse && id % 2 == 0);
            }
        }
    }
}
