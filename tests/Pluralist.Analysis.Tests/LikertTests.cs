using Pluralist.Analysis.Likert;
using Pluralist.Analysis.Reports;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Tests;

/// <summary>The DIVE Likert analyses against hand-worked cases and second implementations written here.</summary>
public class LikertTests
{
    private static long _id;

    private static LikertRow R(long participant, string image, string question, int value, int? ms = 5000) =>
        new(Interlocked.Increment(ref _id), participant, image, question, value, ms);

    [Fact]
    public void Cleaning_drops_speeders_straight_liners_and_attention_failures_with_the_first_rule_s_reason()
    {
        var rows = new List<LikertRow>
        {
            R(1, "a", "harm-self", 2, ms: 300), R(1, "b", "harm-self", 3), R(1, "c", "harm-self", 4), // one fast rating
        };
        rows.AddRange(Enumerable.Range(0, 10).Select(i => R(2, $"i{i}", "harm-self", 3, ms: i == 0 ? 100 : 4000))); // straight-liner, one of them fast too
        rows.AddRange([R(3, "att", "harm-self", 5), R(3, "x", "harm-self", 1), R(4, "att", "harm-self", 1), R(4, "y", "harm-self", 2)]);
        var result = LikertCleaning.Run(rows, new LikertCleaningOptions
        {
            AttentionItems = [new LikertAttentionItem("att", "harm-self", new HashSet<int> { 1, 2 })],
        });
        Assert.Equal([("too-fast", 17, 2, 15, 2), ("straight-line", 15, 9, 6, 1), ("attention-check", 6, 2, 4, 1)],
            result.Stages.Select(s => (s.Rule, s.RowsIn, s.Dropped, s.RowsOut, s.Raters)));
        Assert.Equal(4, result.Kept.Count); // participant 1's two slower ratings and participant 4's two
        Assert.DoesNotContain(result.Kept, r => r.Participant is 2 or 3);
        Assert.Equal("TOO_FAST", result.Dropped.Single(d => d.Row.Participant == 2 && d.Row.ClientMs == 100).Reason);
        Assert.All(result.Dropped.Where(d => d.Row.Participant == 3), d => Assert.Equal("ATTENTION_FAILED", d.Reason));
    }

    [Fact]
    public void Means_by_hand_and_a_point_interval_when_every_rater_gives_the_same_mean()
    {
        var rows = new[] { R(1, "a", "q", 1), R(1, "b", "q", 3), R(2, "a", "q", 2), R(2, "b", "q", 2), R(3, "a", "q", 5) };
        var all = (IReadOnlySet<long>)new HashSet<long> { 1, 2, 3 };
        var pair = (IReadOnlySet<long>)new HashSet<long> { 1, 2 };
        var means = LikertAnalysis.Means(rows, [("all", "all", all), ("g", "pair", pair)], new BootstrapOptions(300, 2));
        var everyone = means.Single(m => m.Group == "all");
        Assert.Equal((3, 5, 13 / 5.0), (everyone.Raters, everyone.Ratings, everyone.Mean));
        var both = means.Single(m => m.Group == "pair");
        Assert.Equal(2, both.Mean, 12);
        Assert.Equal(2, both.Interval.Lower, 12); // raters 1 and 2 both average 2 over two ratings
        Assert.Equal(2, both.Interval.Upper, 12);
        Assert.True(everyone.Interval.Lower < 2.2 && everyone.Interval.Upper > 3);
    }

    [Fact]
    public void Harm_difference_by_hand_uses_each_raters_latest_answer()
    {
        var rows = new List<LikertRow>
        {
            R(1, "a", "harm-self", 4), R(1, "a", "harm-others", 2),
            R(1, "b", "harm-self", 1), R(1, "b", "harm-others", 3),
            R(2, "a", "harm-self", 3), R(2, "a", "harm-others", 3),
            R(2, "b", "harm-self", 5), // no harm-others answer: not a pair
        };
        rows.Add(rows[0] with { RatingId = Interlocked.Increment(ref _id), Value = 5, SubmittedAt = DateTimeOffset.UnixEpoch.AddDays(1) }); // changed later
        var d = LikertAnalysis.Differences(rows, "harm-self", "harm-others", [("all", "all", (IReadOnlySet<long>)new HashSet<long> { 1, 2 })], new BootstrapOptions(100, 1)).Single();
        // Pairs: (1, a) 5 − 2 = 3, (1, b) 1 − 3 = −2, (2, a) 0.
        Assert.Equal((2, 3, 1 / 3.0, 1, 1, 1), (d.Raters, d.Pairs, d.MeanDifference, d.Positive, d.Zero, d.Negative));
    }

    [Fact]
    public void Permutation_p_of_the_group_effect_matches_exhaustive_enumeration()
    {
        // Six raters, three per group, each with two ratings: the exact p is the share of the 20 splits into 3 + 3
        // whose between-group sum of squares is at least the observed one.
        int[][] values = [[5, 4], [4, 4], [5, 3], [2, 3], [1, 2], [3, 3]];
        var rows = values.SelectMany((v, r) => v.Select((x, k) => R(r + 1, $"i{k}", "harm-self", x))).ToList();
        string Group(long id) => id <= 3 ? "a" : "b";
        var effect = LikertAnalysis.GroupEffects(rows, "gender", id => Group(id), 20_000, 3).Single();

        var means = values.Select(v => v.Average()).ToArray();
        double Ss(IReadOnlyList<int> first)
        {
            var grand = means.Average();
            var a = first.Select(i => means[i]).Average();
            var b = Enumerable.Range(0, 6).Except(first).Select(i => means[i]).Average();
            return (3 * (a - grand) * (a - grand)) + (3 * (b - grand) * (b - grand));
        }

        var observed = Ss([0, 1, 2]);
        Assert.Equal(observed, effect.BetweenGroupSs, 12);
        var splits = new List<int[]>();
        for (var i = 0; i < 6; i++)
        {
            for (var j = i + 1; j < 6; j++)
            {
                for (var k = j + 1; k < 6; k++)
                {
                    splits.Add([i, j, k]);
                }
            }
        }

        var exact = splits.Count(s => Ss(s) >= observed - 1e-12) / (double)splits.Count;
        Assert.Equal(20, splits.Count);
        Assert.Equal(0.1, exact, 12); // the observed split and its mirror image
        Assert.Equal(exact, effect.PermutationP, 2);
        Assert.Equal(["a", "b"], effect.Groups);
        Assert.NotNull(effect.Ordinal);
    }

    [Fact]
    public void Two_category_ordinal_model_is_the_logistic_regression_of_a_2x2_table()
    {
        // Group 0: 6 low, 4 high; group 1: 2 low, 8 high. P(low) = σ(α − β x): α = log(6/4), α − β = log(2/8),
        // so β = log(6·8 / (4·2)) and its standard error √(1/6 + 1/4 + 1/2 + 1/8).
        var y = new List<int>();
        var x = new List<double[]>();
        void Add(int value, double group, int n)
        {
            for (var i = 0; i < n; i++)
            {
                y.Add(value);
                x.Add([group]);
            }
        }

        Add(1, 0, 6);
        Add(2, 0, 4);
        Add(1, 1, 2);
        Add(2, 1, 8);
        var fit = OrdinalRegression.Fit(y, x);
        Assert.True(fit.Converged);
        Assert.Equal(Math.Log(6.0 / 4), fit.Thresholds[0], 6);
        Assert.Equal(Math.Log(48.0 / 8), fit.Coefficients[0], 6);
        Assert.Equal(Math.Sqrt((1 / 6.0) + (1 / 4.0) + (1 / 2.0) + (1 / 8.0)), fit.StandardErrors[0], 4);
        // Likelihood ratio against the null model, both log-likelihoods by hand.
        var ll1 = (6 * Math.Log(0.6)) + (4 * Math.Log(0.4)) + (2 * Math.Log(0.2)) + (8 * Math.Log(0.8));
        var ll0 = (8 * Math.Log(0.4)) + (12 * Math.Log(0.6));
        Assert.Equal(ll1, fit.LogLikelihood, 8);
        Assert.Equal(2 * (ll1 - ll0), fit.LikelihoodRatio, 6);
    }

    /// <summary>The proportional-odds log-likelihood written independently: P(Y = j) from the cumulative probabilities.</summary>
    private static double ReferenceLogLikelihood(IReadOnlyList<int> y, IReadOnlyList<double[]> x, int[] categories, double[] alpha, double[] beta)
    {
        double ll = 0;
        for (var n = 0; n < y.Count; n++)
        {
            var eta = x[n].Select((v, i) => v * beta[i]).Sum();
            double Cumulative(int j) => j < 0 ? 0 : j >= alpha.Length ? 1 : 1 / (1 + Math.Exp(-(alpha[j] - eta)));
            var c = Array.IndexOf(categories, y[n]);
            ll += Math.Log(Cumulative(c) - Cumulative(c - 1));
        }

        return ll;
    }

    [Fact]
    public void Five_category_ordinal_fit_is_a_stationary_point_of_an_independent_log_likelihood()
    {
        var rng = new Random(9);
        var y = new List<int>();
        var x = new List<double[]>();
        for (var n = 0; n < 300; n++)
        {
            var g = n % 3;
            var latent = (g == 1 ? 0.8 : g == 2 ? -0.5 : 0) + Math.Log(1 / rng.NextDouble() - 1); // logistic noise
            y.Add(latent < -1.5 ? 1 : latent < -0.3 ? 2 : latent < 0.6 ? 3 : latent < 1.8 ? 4 : 5);
            x.Add([g == 1 ? 1 : 0, g == 2 ? 1 : 0]);
        }

        var fit = OrdinalRegression.Fit(y, x);
        Assert.True(fit.Converged);
        var categories = fit.Categories.ToArray();
        var alpha = fit.Thresholds.ToArray();
        var beta = fit.Coefficients.ToArray();
        var ll = ReferenceLogLikelihood(y, x, categories, alpha, beta);
        Assert.Equal(ll, fit.LogLikelihood, 8);
        // Every central-difference partial derivative of the reference is zero at the fit, and nudging any
        // parameter lowers the log-likelihood (it is concave, so this is the maximum).
        const double h = 1e-5;
        for (var i = 0; i < alpha.Length + beta.Length; i++)
        {
            double At(double delta)
            {
                var a = (double[])alpha.Clone();
                var b = (double[])beta.Clone();
                if (i < a.Length)
                {
                    a[i] += delta;
                }
                else
                {
                    b[i - a.Length] += delta;
                }

                return ReferenceLogLikelihood(y, x, categories, a, b);
            }

            Assert.InRange((At(h) - At(-h)) / (2 * h), -1e-4, 1e-4);
            Assert.True(At(0.05) < ll && At(-0.05) < ll);
        }

        // The planted shifts: group 1 rates higher (β > 0), group 2 lower.
        Assert.True(beta[0] > 0.3 && beta[1] < -0.1, $"{beta[0]} {beta[1]}");
        Assert.True(fit.LikelihoodRatioP < 0.01);
    }

    [Fact]
    public void Report_likert_section_cleans_and_shows_only_groups_of_the_minimum_size()
    {
        var rng = new Random(4);
        var rows = new List<LikertRow>();
        for (var p = 1; p <= 14; p++)
        {
            for (var image = 0; image < 6; image++)
            {
                var shift = p <= 7 ? 1 : 0;
                rows.Add(R(p, $"{image}", "harm-self", Math.Clamp(1 + shift + rng.Next(3), 1, 5)));
                rows.Add(R(p, $"{image}", "harm-others", Math.Clamp(1 + rng.Next(3), 1, 5), ms: p == 14 ? 200 : 4000));
            }
        }

        var markers = Enumerable.Range(1, 14).ToDictionary(p => (long)p, p => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
        {
            ["gender"] = p <= 7 ? "woman" : p <= 12 ? "man" : "tiny",
        });
        var report = StudyReportBuilder.Build(new StudyReportInput
        {
            StudyKey = "s",
            StudyTitle = "S",
            Rows = [],
            Ratings = rows,
            LikertQuestions = ["harm-self", "harm-others"],
            Axes = ["gender"],
            Markers = markers,
            MinGroupSize = 5,
            Permutations = 99,
            BootstrapReplicates = 50,
        });
        var tables = report.Sections.Single(s => s.Id == "likert").Tables.ToDictionary(t => t.Name);
        Assert.Equal(6, tables["likert_cleaning"].Rows[0][4]); // participant 14's six fast harm-others ratings
        Assert.DoesNotContain(tables.Values.SelectMany(t => t.Rows).SelectMany(r => r), c => c is string s && s.Contains("tiny", StringComparison.Ordinal));
        var women = tables["likert_means"].Rows.Single(r => (string)r[0]! == "harm-self" && (string)r[2]! == "woman");
        var expected = rows.Where(r => r.Participant <= 7 && r.Question == "harm-self").Average(r => r.Value);
        Assert.Equal(expected, (double)women[5]!, 12);
        Assert.Contains(tables["likert_harm_difference"].Rows, r => (string)r[0]! == "all");
        var test = tables["likert_group_tests"].Rows.Single(r => (string)r[1]! == "harm-self");
        Assert.Equal("man; woman", test[2]);
        Assert.True((double)test[6]! < 0.05, $"permutation p {test[6]}");
        Assert.Contains(tables["likert_ordinal"].Rows, r => (string)r[2]! == "woman vs man" && (double)r[3]! > 0);
        Assert.True(tables.ContainsKey("likert_gai"));
    }
}
