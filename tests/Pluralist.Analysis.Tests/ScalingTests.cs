using Pluralist.Analysis.Evaluation;
using Pluralist.Analysis.Reports;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;

namespace Pluralist.Analysis.Tests;

public class ScalingTests
{
    private static double Logit(double p) => Math.Log(p / (1 - p));

    [Fact]
    public void Two_criteria_give_the_saturated_logistic_fit_by_hand_and_a_warning()
    {
        // Saturated: each criterion's fitted p is its observed share, so the slope is the difference of the logits over
        // the difference of x, with SE √(1/w₁ + 1/l₁ + 1/w₂ + 1/l₂)/|x₂ − x₁|.
        var t = DataScaling.Trend([(9, 30, 20), (99, 60, 15)]);
        double x1 = Math.Log(10), x2 = Math.Log(100);
        var slope = (Logit(60 / 75.0) - Logit(30 / 50.0)) / (x2 - x1);
        Assert.Equal(slope, t.Slope, 8);
        Assert.Equal(Logit(0.6) - (slope * x1), t.Intercept, 8);
        Assert.Equal(Math.Sqrt((1 / 30.0) + (1 / 20.0) + (1 / 60.0) + (1 / 15.0)) / (x2 - x1), t.SlopeSe, 8);
        Assert.NotNull(t.Warning);
        Assert.Contains("only 2 criteria", t.Warning, StringComparison.Ordinal);
        Assert.True(double.IsNaN(t.Dispersion)); // no residual degrees of freedom
        // Two criteria: two permutations, the observed one is the more extreme: p = 1/2.
        Assert.Equal(1, t.SpearmanRho, 12);
        Assert.Equal(0.5, t.SpearmanPGreater, 12);
    }

    [Fact]
    public void Five_criteria_match_the_score_equations_the_likelihood_and_enumeration_written_here()
    {
        (int Labels, int Wins, int Losses)[] c = [(0, 20, 22), (40, 31, 25), (150, 28, 17), (600, 44, 21), (2000, 50, 18)];
        var t = DataScaling.Trend(c, permutations: 0);
        Assert.Null(t.Warning);

        // At the maximum the score equations hold: Σ (w − m p) = 0 and Σ x (w − m p) = 0.
        var x = c.Select(v => Math.Log(1 + v.Labels)).ToArray();
        double s0 = 0, s1 = 0, ll1 = 0;
        for (var i = 0; i < c.Length; i++)
        {
            var p = 1 / (1 + Math.Exp(-(t.Intercept + (t.Slope * x[i]))));
            var m = c[i].Wins + c[i].Losses;
            s0 += c[i].Wins - (m * p);
            s1 += x[i] * (c[i].Wins - (m * p));
            ll1 += (c[i].Wins * Math.Log(p)) + (c[i].Losses * Math.Log(1 - p));
        }

        Assert.Equal(0, s0, 6);
        Assert.Equal(0, s1, 6);
        var pooled = c.Sum(v => v.Wins) / (double)c.Sum(v => v.Wins + v.Losses);
        var ll0 = c.Sum(v => (v.Wins * Math.Log(pooled)) + (v.Losses * Math.Log(1 - pooled)));
        Assert.Equal(2 * (ll1 - ll0), t.LikelihoodRatio, 6);
        Assert.True(t.Slope > 0);

        // Spearman without ties: 1 − 6 Σ d² / (n (n² − 1)); labels rank 1..5, win rates 0.476, 0.554, 0.622, 0.677, 0.735.
        var rates = c.Select(v => (double)v.Wins / (v.Wins + v.Losses)).ToArray();
        var rl = RanksByCounting(x);
        var rr = RanksByCounting(rates);
        var d2 = rl.Zip(rr, (a, b) => (a - b) * (a - b)).Sum();
        Assert.Equal(1 - (6 * d2 / (5 * 24.0)), t.SpearmanRho, 12);

        // Exact p by enumerating the 120 orders of the label ranks recursively.
        var all = new List<double[]>();
        Permute(rl.ToList(), [], all);
        Assert.Equal(120, all.Count);
        double Rho(double[] a) => 1 - (6 * a.Zip(rr, (u, v) => (u - v) * (u - v)).Sum() / (5 * 24.0));
        var observed = Rho(rl);
        Assert.Equal(all.Count(a => Rho(a) >= observed - 1e-12) / 120.0, t.SpearmanPGreater, 12);
        Assert.Equal(all.Count(a => Math.Abs(Rho(a)) >= Math.Abs(observed) - 1e-12) / 120.0, t.SpearmanPTwoSided, 12);
        Assert.True(t.ExactPermutation);
        Assert.Equal(120, t.PermutationsUsed);
    }

    [Fact]
    public void Ranks_average_ties_and_many_criteria_use_random_permutations()
    {
        Assert.Equal([1.5, 1.5, 3, 4.5, 4.5], DataScaling.Ranks([2, 2, 5, 7, 7]));
        // Ten criteria in perfect order: the exact p is 1/10!, so random permutations almost never reach it: p = 1/(1 + B).
        var c = Enumerable.Range(0, 10).Select(i => (Labels: 10 * (i + 1), Wins: 10 + i, Losses: 10)).ToList();
        var t = DataScaling.Trend(c, permutations: 499, seed: 3);
        Assert.False(t.ExactPermutation);
        Assert.Equal(1, t.SpearmanRho, 12);
        Assert.Equal(1 / 500.0, t.SpearmanPGreater, 12);
    }

    [Fact]
    public void Points_list_training_only_and_unlabelled_criteria_and_the_trend_skips_unanswered_ones()
    {
        var labels = new Dictionary<string, int> { ["safety"] = 120, ["comfort"] = 5, ["joy"] = 3 };
        var j = new List<ABJudgement>();
        void Add(string criterion, int aligned, int neutral, int baseline)
        {
            for (var i = 0; i < aligned + neutral + baseline; i++)
            {
                var pref = i < aligned ? ABPreference.Aligned : i < aligned + neutral ? ABPreference.Neutral : ABPreference.Base;
                j.Add(new ABJudgement($"p{i % 4}", $"r{i % 7}", criterion, pref));
            }
        }

        Add("safety", 30, 5, 10);
        Add("comfort", 12, 3, 12);
        Add("diversity", 8, 0, 9);
        Add("joy", 0, 4, 0); // only ties: no win rate
        var r = DataScaling.Analyze(labels, j, new Statistics.BootstrapOptions(200, 1));
        Assert.Equal(["comfort", "diversity", "joy", "safety"], r.Points.Select(p => p.Criterion));
        Assert.Equal([5, 0, 3, 120], r.Points.Select(p => p.Labels));
        Assert.Equal((30, 5, 10), (r.Points[3].Counts.Wins, r.Points[3].Counts.Ties, r.Points[3].Counts.Losses));
        Assert.True(double.IsNaN(r.Points[2].Counts.WinRate));
        Assert.Equal(3, r.Trend.Criteria);
        Assert.NotNull(r.Trend.Warning);
    }

    [Fact]
    public void Report_section_says_why_it_is_empty_and_gives_the_tables_with_a_training_dataset()
    {
        var rows = new List<CleaningRow>();
        long id = 0;
        var criteria = new[] { "safety", "comfort", "diversity", "inclusion" };
        var rng = new Random(5);
        for (var p = 1; p <= 8; p++)
        {
            for (var prompt = 1; prompt <= 6; prompt++)
            {
                for (var c = 0; c < criteria.Length; c++)
                {
                    id++;
                    var pref = rng.NextDouble() < 0.4 + (0.1 * c) ? 0.5 : -0.5;
                    rows.Add(new CleaningRow
                    {
                        AnswerId = id,
                        AnnotationId = id,
                        AssignmentId = id,
                        ParticipantId = p,
                        BatchId = 1,
                        PairId = prompt,
                        PromptId = prompt,
                        Image0Id = prompt * 10,
                        Image1Id = (prompt * 10) + 1,
                        PairKind = PairKind.Evaluation,
                        Criterion = criteria[c],
                        ScoreAsShown = pref,
                        Image0OnLeft = true,
                    });
                }
            }
        }

        var input = new StudyReportInput { StudyKey = "s", StudyTitle = "S", Rows = rows, Permutations = 50, BootstrapReplicates = 50 };
        var none = StudyReportBuilder.Build(input).Sections.Single(s => s.Id == "scaling");
        Assert.Empty(none.Tables);
        Assert.Contains("--training", none.Paragraphs[0], StringComparison.Ordinal);

        var labels = new Dictionary<string, int> { ["safety"] = 10, ["comfort"] = 100, ["diversity"] = 1000, ["inclusion"] = 10000 };
        var with = StudyReportBuilder.Build(input with { TrainingLabels = labels, TrainingDataset = "demo-crit", TrainingLabelsWithoutCriterion = 7 }).Sections.Single(s => s.Id == "scaling");
        var points = with.Tables.Single(t => t.Name == "scaling_per_criterion");
        Assert.Equal(4, points.Rows.Count);
        foreach (var row in points.Rows)
        {
            var c = (string)row[0]!;
            var expected = rows.Where(r => r.Criterion == c);
            Assert.Equal(labels[c], row[1]);
            Assert.Equal(expected.Count(r => r.Preference > 0), row[2]);
            Assert.Equal(expected.Count(r => r.Preference < 0), row[4]);
        }

        var trend = with.Tables.Single(t => t.Name == "scaling_trend").Rows.Single();
        Assert.Equal(4, trend[0]);
        Assert.Null(trend[^1]); // four criteria: no warning
        Assert.Contains(with.Paragraphs, p => p.Contains("7 train rows name no criterion", StringComparison.Ordinal));
        Assert.Single(with.Charts);
    }

    private static double[] RanksByCounting(double[] v) => v.Select(a => 1.0 + v.Count(b => b < a)).ToArray();

    private static void Permute(List<double> rest, List<double> prefix, List<double[]> output)
    {
        if (rest.Count == 0)
        {
            output.Add([.. prefix]);
            return;
        }

        for (var i = 0; i < rest.Count; i++)
        {
            var next = new List<double>(rest);
            next.RemoveAt(i);
            Permute(next, [.. prefix, rest[i]], output);
        }
    }
}
