using Pluralist.Core.Cleaning;
using static Pluralist.Core.Tests.Cleaning.RowFactory;

namespace Pluralist.Core.Tests.Cleaning;

public class OrdinalRaterModelTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    // The model written again from its definition: P(Y = k) = σ(τ_k − aθ) − σ(τ_{k−1} − aθ), with the priors of the docs.
    private static double DirectLogLikelihood(IReadOnlyList<OrdinalLabel> labels, OrdinalRaterFit fit, double[] theta, double[] a, double[] tau)
    {
        var items = fit.Items.ToList();
        var raters = fit.Raters.ToList();
        var cats = fit.UsedCategories.ToList();
        var sum = 0.0;
        foreach (var l in labels)
        {
            var eta = a[raters.IndexOf(l.Rater)] * theta[items.IndexOf(l.Item)];
            var k = cats.IndexOf(l.Category);
            var upper = k < tau.Length ? Sigmoid(tau[k] - eta) : 1;
            var lower = k > 0 ? Sigmoid(tau[k - 1] - eta) : 0;
            sum += Math.Log(upper - lower);
        }

        return sum;
    }

    private static double DirectLogPosterior(IReadOnlyList<OrdinalLabel> labels, OrdinalRaterFit fit, double[] x)
    {
        var (theta, a, tau) = Split(fit, x);
        return DirectLogLikelihood(labels, fit, theta, a, tau) - theta.Sum(t => t * t / 2) - a.Sum(v => (v - 1) * (v - 1) / 8) - tau.Sum(t => t * t / 200);
    }

    private static (double[] Theta, double[] A, double[] Tau) Split(OrdinalRaterFit fit, double[] x)
    {
        var i = fit.Items.Count;
        var j = fit.Raters.Count;
        return (x[..i], x[i..(i + j)], x[(i + j)..]);
    }

    private static double[] Parameters(OrdinalRaterFit fit) => [.. fit.Location, .. fit.Discrimination, .. fit.Thresholds];

    // Raters of known discrimination label items of known location through the model itself.
    private static List<OrdinalLabel> Simulate(double[] discrimination, int items, int categories, double coverage, int seed)
    {
        var rng = new Random(seed);
        var tau = Enumerable.Range(0, categories - 1).Select(k => -1.5 + (3.0 * k / (categories - 2))).ToArray();
        var labels = new List<OrdinalLabel>();
        for (var i = 0; i < items; i++)
        {
            var theta = Normal(rng);
            for (var j = 0; j < discrimination.Length; j++)
            {
                if (rng.NextDouble() > coverage)
                {
                    continue;
                }

                // Latent response a θ + logistic noise, cut at the thresholds.
                var u = rng.NextDouble();
                var latent = (discrimination[j] * theta) + Math.Log(u / (1 - u));
                labels.Add(new OrdinalLabel($"i{i}", $"r{j}", tau.Count(t => latent > t)));
            }
        }

        return labels;
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void Category_probabilities_match_a_hand_computation()
    {
        // τ = (−1, 1), a = 2, θ = 0.5 → η = 1: P(0) = σ(−2) = 0.119203, P(1) = σ(0) − σ(−2) = 0.380797, P(2) = 1 − σ(0) = 0.5.
        double[] tau = [-1, 1];
        Assert.Equal(0.1192029220, OrdinalRaterModel.CategoryProbability(0, 1, tau), 9);
        Assert.Equal(0.3807970780, OrdinalRaterModel.CategoryProbability(1, 1, tau), 9);
        Assert.Equal(0.5, OrdinalRaterModel.CategoryProbability(2, 1, tau), 12);

        // Far in the upper tail the difference is taken where it does not cancel: σ(−30) − σ(−40) ≈ e^−30 − e^−40.
        var tail = OrdinalRaterModel.CategoryProbability(1, 41, [1, 11]);
        Assert.InRange(tail / (Math.Exp(-30) - Math.Exp(-40)), 1 - 1e-6, 1 + 1e-6);

        // Reliability a|a| / (a² + π²/3): a = 0 → 0, a = π/√3 → 1/2, reversed raters negative, monotone.
        Assert.Equal(0, OrdinalRaterModel.Reliability(0));
        Assert.Equal(0.5, OrdinalRaterModel.Reliability(Math.PI / Math.Sqrt(3)), 12);
        Assert.Equal(-0.5, OrdinalRaterModel.Reliability(-Math.PI / Math.Sqrt(3)), 12);
        Assert.True(OrdinalRaterModel.Reliability(2) > OrdinalRaterModel.Reliability(1.9));

        // Slider bins.
        Assert.Equal([0, 0, 1, 2, 3, 4, 4], new[] { -1, -0.5, -0.2, 0, 0.49, 0.5, 1 }.Select(OrdinalRaterModel.SliderCategory));
    }

    [Fact]
    public void Fit_is_a_stationary_point_of_the_log_posterior_computed_directly_and_its_errors_match_a_numerical_hessian()
    {
        var labels = Simulate([1.5, 1.0, 0.5, 2.0], 14, 4, 0.85, 11);
        var fit = OrdinalRaterModel.Fit(labels, tolerance: 1e-9);
        Assert.True(fit.Converged);
        Assert.True(fit.ExactCovariance);
        Assert.True(fit.MaxGradient < 1e-9);
        var x = Parameters(fit);
        var (theta, a, tau) = Split(fit, x);
        Assert.Equal(DirectLogLikelihood(labels, fit, theta, a, tau), fit.LogLikelihood, 9);
        Assert.Equal(DirectLogPosterior(labels, fit, x), fit.LogPosterior, 9);
        for (var c = 1; c < tau.Length; c++)
        {
            Assert.True(tau[c] > tau[c - 1]);
        }

        // Central differences of the direct log posterior: gradient zero, and the inverse of the negative Hessian gives the errors.
        const double h = 1e-4;
        var n = x.Length;
        double F(int p, double dp, int q, double dq)
        {
            var y = (double[])x.Clone();
            y[p] += dp;
            y[q] += dq;
            return DirectLogPosterior(labels, fit, y);
        }

        var hessian = new double[n, n];
        for (var p = 0; p < n; p++)
        {
            Assert.True(Math.Abs((F(p, h, p, 0) - F(p, -h, p, 0)) / (2 * h)) < 1e-6, $"gradient of parameter {p}");
            for (var q = 0; q < n; q++)
            {
                hessian[p, q] = -(F(p, h, q, h) - F(p, h, q, -h) - F(p, -h, q, h) + F(p, -h, q, -h)) / (4 * h * h);
            }
        }

        var covariance = GaussJordanInverse(hessian);
        for (var i = 0; i < fit.Items.Count; i++)
        {
            Assert.Equal(Math.Sqrt(covariance[i, i]), fit.LocationSe[i], 4);
        }

        for (var j = 0; j < fit.Raters.Count; j++)
        {
            var p = fit.Items.Count + j;
            Assert.Equal(Math.Sqrt(covariance[p, p]), fit.DiscriminationSe[j], 4);
        }
    }

    [Fact]
    public void Fit_recovers_the_order_of_rater_discriminations_and_finds_the_noise_and_reversed_raters()
    {
        double[] truth = [0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8, 3.2, 0, -1.5];
        var labels = Simulate(truth, 250, 5, 0.8, 5);
        var fit = OrdinalRaterModel.Fit(labels);
        Assert.True(fit.Converged);
        var estimate = truth.Select((_, j) => fit.Discrimination[fit.Raters.ToList().IndexOf($"r{j}")]).ToArray();
        var se = truth.Select((_, j) => fit.DiscriminationSe[fit.Raters.ToList().IndexOf($"r{j}")]).ToArray();
        Assert.True(Spearman(truth, estimate) >= 0.95, $"rank correlation {Spearman(truth, estimate)}: {string.Join(", ", estimate)}");

        // The noise rater's 95% interval covers 0 and they are the least reliable of the raters who are not reversed.
        Assert.InRange(0, estimate[8] - (1.96 * se[8]), estimate[8] + (1.96 * se[8]));
        Assert.Equal(8, Enumerable.Range(0, 9).MinBy(j => estimate[j]));
        Assert.True(estimate[9] + (1.96 * se[9]) < 0, "the reversed rater's interval is below 0");
        Assert.True(fit.ReliabilityAt(fit.Raters.ToList().IndexOf("r9")) < 0);

        // Items whose labels are high get high locations: the location orders the items as their mean label does (roughly).
        var items = fit.Items.ToList();
        var means = fit.Items.Select(i => labels.Where(l => l.Item == i && l.Rater != "r9" && l.Rater != "r8").Average(l => (double)l.Category)).ToArray();
        Assert.True(Spearman(means, [.. fit.Location]) > 0.9);
    }

    [Theory]
    [InlineData(10, 250, 5, 0.8, 2000, false)] // exact covariance, Newton steps
    [InlineData(10, 120, 5, 0.8, 2000, true)] // the same with some labels given twice (an item's row entry added to twice)
    [InlineData(40, 60, 5, 0.5, 2000, true)] // many reversed and noise raters: Newton steps that fail and are undone, then sweeps
    [InlineData(1001, 40, 4, 0.05, 30, false)] // more raters and thresholds than the exact limit: per-rater errors, coordinate sweeps only
    public void Flat_hessian_and_labels_observed_once_per_point_give_the_bits_of_the_dictionaries_and_recomputation(int raters, int items, int categories, double coverage, int maxIterations, bool repeats)
    {
        var discrimination = Enumerable.Range(0, raters).Select(j => raters == 40 ? (j % 3 == 0 ? -1.5 : j % 3 == 1 ? 0 : 2.5) : j % 7 == 6 ? -1.0 : 0.3 + (j % 5 * 0.6)).ToArray();
        var labels = Simulate(discrimination, items, categories, coverage, 17);
        if (repeats)
        {
            labels = [.. labels, .. labels.Where((_, n) => n % 9 == 4).Select(l => l with { Category = Math.Min(categories - 1, l.Category + 1) })];
        }

        var fast = OrdinalRaterModel.Fit(labels, maxIterations, 1e-6, reference: false);
        var reference = OrdinalRaterModel.Fit(labels, maxIterations, 1e-6, reference: true);
        Assert.Equal(raters <= OrdinalRaterModel.ExactCovarianceLimit, fast.ExactCovariance);
        Assert.Equal(reference.Iterations, fast.Iterations);
        Assert.Equal(reference.Converged, fast.Converged);
        Assert.Equal(reference.Raters, fast.Raters);
        Assert.Equal(reference.Items, fast.Items);
        double[][] expected = [[.. reference.Discrimination], [.. reference.DiscriminationSe], [.. reference.Location], [.. reference.LocationSe], [.. reference.Thresholds], [reference.LogLikelihood, reference.LogPosterior, reference.MaxGradient]];
        double[][] actual = [[.. fast.Discrimination], [.. fast.DiscriminationSe], [.. fast.Location], [.. fast.LocationSe], [.. fast.Thresholds], [fast.LogLikelihood, fast.LogPosterior, fast.MaxGradient]];
        for (var p = 0; p < expected.Length; p++)
        {
            Assert.Equal(expected[p].Select(BitConverter.DoubleToInt64Bits), actual[p].Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Fact]
    public void Observe_from_one_exponential_per_bound_gives_the_bits_of_four_sigmoid_calls()
    {
        var rng = new Random(12);
        double[] special = [0, -0.0, 1e-300, -1e-300, 30, -30, 700, -700, 745.2, -745.2, 1e308, -1e308, double.PositiveInfinity, double.NegativeInfinity];
        for (var n = 0; n < 20_000; n++)
        {
            var k = 2 + rng.Next(5);
            var tau = new double[k - 1];
            var at = (rng.NextDouble() - 0.5) * 8;
            for (var c = 0; c < tau.Length; c++)
            {
                tau[c] = at;
                at += rng.NextDouble() * 3;
            }

            var eta = n % 10 == 0 ? special[rng.Next(special.Length)] : (rng.NextDouble() - 0.5) * (n % 3 == 0 ? 80 : 10);
            var y = rng.Next(k);
            var expected = ObserveWithFourSigmoids(y, eta, tau);
            var actual = OrdinalRaterModel.Observe(y, eta, tau);
            double[] e = [expected.LogP, expected.Lu, expected.Ll, expected.Luu, expected.Lll, expected.Lul];
            double[] a = [actual.LogP, actual.Lu, actual.Ll, actual.Luu, actual.Lll, actual.Lul];
            Assert.True(e.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(a.Select(BitConverter.DoubleToInt64Bits)), $"y {y}, eta {eta}, tau {string.Join(", ", tau)}");
        }

        // A NaN gives NaNs (their sign bit is not kept: it is no number either way).
        Assert.True(double.IsNaN(OrdinalRaterModel.SigmoidPair(double.NaN).Plus) && double.IsNaN(OrdinalRaterModel.SigmoidPair(double.NaN).Minus));
        foreach (var x in special.Concat([0.5, -0.5, 1e-17, -1e-17]))
        {
            var (plus, minus) = OrdinalRaterModel.SigmoidPair(x);
            Assert.Equal(BitConverter.DoubleToInt64Bits(ModelSigmoid(x)), BitConverter.DoubleToInt64Bits(plus));
            Assert.Equal(BitConverter.DoubleToInt64Bits(ModelSigmoid(-x)), BitConverter.DoubleToInt64Bits(minus));
        }
    }

    // OrdinalRaterModel.Observe as it was: a sigmoid call (one or two exponentials) per use.
    private static (double LogP, double Lu, double Ll, double Luu, double Lll, double Lul) ObserveWithFourSigmoids(int y, double eta, double[] tau)
    {
        var k = tau.Length + 1;
        var hasU = y < k - 1;
        var hasL = y > 0;
        var u = hasU ? tau[y] - eta : double.PositiveInfinity;
        var l = hasL ? tau[y - 1] - eta : double.NegativeInfinity;
        double p;
        if (hasL && l > 0)
        {
            p = ModelSigmoid(-l) - (hasU ? ModelSigmoid(-u) : 0);
        }
        else
        {
            p = (hasU ? ModelSigmoid(u) : 1) - (hasL ? ModelSigmoid(l) : 0);
        }

        p = Math.Max(p, 1e-300);
        double fu = 0, fl = 0, dfu = 0, dfl = 0;
        if (hasU)
        {
            var s = ModelSigmoid(u);
            fu = s * (1 - s);
            dfu = fu * (1 - (2 * s));
        }

        if (hasL)
        {
            var s = ModelSigmoid(l);
            fl = s * (1 - s);
            dfl = fl * (1 - (2 * s));
        }

        return (Math.Log(p), fu / p, -fl / p, (dfu / p) - (fu * fu / (p * p)), (-dfl / p) - (fl * fl / (p * p)), fu * fl / (p * p));
    }

    // OrdinalRaterModel's sigmoid (one or two exponentials).
    private static double ModelSigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    [Fact]
    public void Unused_categories_are_collapsed_and_one_category_is_refused()
    {
        var labels = Simulate([1.5, 1.0, 2.0], 30, 3, 1, 2).Select(l => l with { Category = l.Category * 2 }).ToList();
        var fit = OrdinalRaterModel.Fit(labels);
        Assert.Equal([0, 2, 4], fit.UsedCategories);
        Assert.Equal(2, fit.Thresholds.Count);
        var ex = Assert.Throws<ArgumentException>(() => OrdinalRaterModel.Fit([new("i", "r", 3), new("j", "s", 3)]));
        Assert.Contains("every label is in category 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rater_reliability_rule_with_the_ordinal_model_drops_the_noise_rater_only()
    {
        var rng = new Random(8);
        var rows = new List<CleaningRow>();
        for (var pair = 1; pair <= 40; pair++)
        {
            var truth = (rng.NextDouble() * 2) - 1;
            for (var p = 1; p <= 6; p++)
            {
                var v = p == 6 ? (rng.NextDouble() * 2) - 1 : Math.Clamp(truth + ((rng.NextDouble() - 0.5) * 0.4), -1, 1);
                rows.AddRange(Answer(p, pair, Math.Round(v, 2), Math.Round(Math.Clamp(v + 0.05, -1, 1), 2)));
            }
        }

        var rules = CleaningRuleSet.Parse("""{"version": "v", "rules": [ {"rule": "rater-reliability", "model": "ordinal", "parameters": {"minReliability": 0.3}} ]}""", "r.json");
        Assert.Equal(RaterModels.Ordinal, rules.Rules[0].Model);
        var m = CleaningEngine.Match(rows, rules.Rules[0]);
        Assert.All(rows.Select((r, i) => (r, i)), x => Assert.Equal(x.r.ParticipantId == 6, m[x.i]));

        // The default model is still Dawid-Skene; "model" is refused on other rules and for unknown models, naming the path.
        Assert.Equal(RaterModels.DawidSkene, CleaningRuleSet.Parse("""{"version": "v", "rules": [ {"rule": "rater-reliability"} ]}""", "r.json").Rules[0].Model);
        var bad = Assert.Throws<CleaningRulesException>(() => CleaningRuleSet.Parse("""{"version": "v", "rules": [ {"rule": "rater-reliability", "model": "irt"} ]}""", "r.json"));
        Assert.Contains("r.json: $.rules[0].model", bad.Message, StringComparison.Ordinal);
        Assert.Throws<CleaningRulesException>(() => CleaningRuleSet.Parse("""{"version": "v", "rules": [ {"rule": "duplicate", "model": "ordinal"} ]}""", "r.json"));
    }

    private static double Spearman(double[] x, double[] y)
    {
        static double[] Ranks(double[] v)
        {
            var order = v.Select((value, i) => (value, i)).OrderBy(t => t.value).ToArray();
            var r = new double[v.Length];
            for (var k = 0; k < order.Length; k++)
            {
                r[order[k].i] = k;
            }

            return r;
        }

        var (rx, ry) = (Ranks(x), Ranks(y));
        var (mx, my) = (rx.Average(), ry.Average());
        return rx.Zip(ry).Sum(t => (t.First - mx) * (t.Second - my)) / Math.Sqrt(rx.Sum(v => (v - mx) * (v - mx)) * ry.Sum(v => (v - my) * (v - my)));
    }

    private static double[,] GaussJordanInverse(double[,] m)
    {
        var n = m.GetLength(0);
        var a = new double[n, 2 * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                a[i, j] = m[i, j];
            }

            a[i, n + i] = 1;
        }

        for (var c = 0; c < n; c++)
        {
            var pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(a[r, c]));
            for (var j = 0; j < 2 * n; j++)
            {
                (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            }

            var d = a[c, c];
            for (var j = 0; j < 2 * n; j++)
            {
                a[c, j] /= d;
            }

            for (var r = 0; r < n; r++)
            {
                if (r != c)
                {
                    var f = a[r, c];
                    for (var j = 0; j < 2 * n; j++)
                    {
                        a[r, j] -= f * a[c, j];
                    }
                }
            }
        }

        var inv = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                inv[i, j] = a[i, n + j];
            }
        }

        return inv;
    }
}
