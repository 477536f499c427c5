using Pluralist.Analysis.Ranking;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Tests;

public class BradleyTerryTests
{
    private static readonly BradleyTerryOptions Unregularised = new() { Regularization = 1e-8, BootstrapReplicates = 0 };

    private static IEnumerable<PairComparison> Repeat(string a, string b, PairWinner w, int n) =>
        Enumerable.Repeat(new PairComparison(a, b, w), n);

    private static double Theta(BradleyTerryFit fit, string item) => fit.Scores.Single(s => s.Item == item).Theta;

    // The Newton step's derivatives as a loop over the outcomes z and the coordinates (θ_i, θ_j, log ν), as BradleyTerry
    // computed them before the entries were written out: the written-out form must give the same bits.
    private static void LoopDerivatives(double[] x, int size, int k, (int I, int J)[] pairs, double[] counts, double regularization, bool davidson, double[] exps, double[] grad, double[,] h)
    {
        Array.Clear(grad);
        Array.Clear(h);
        for (var i = 0; i < k; i++)
        {
            grad[i] -= regularization * x[i];
            h[i, i] += regularization;
        }

        if (davidson)
        {
            h[k, k] += 1e-9;
        }

        var idx = new int[3];
        var w = new double[9];
        var prob = new double[3];
        var y = new double[3];
        var g = new double[3];
        for (var p = 0; p < pairs.Length; p++)
        {
            var (i, j) = pairs[p];
            var (c0, c1, c2) = (counts[p * 3], counts[(p * 3) + 1], counts[(p * 3) + 2]);
            var n = c0 + c1 + c2;
            if (n == 0)
            {
                continue;
            }

            var d = exps[(p * 4) + 3];
            (prob[0], prob[1], prob[2]) = (exps[p * 4] / d, exps[(p * 4) + 1] / d, exps[(p * 4) + 2] / d);
            Array.Clear(w);
            (w[0], w[4], w[6], w[7], w[8]) = (1, 1, 0.5, 0.5, davidson ? 1 : 0);
            (y[0], y[1], y[2]) = (c0 + (davidson ? 0 : c2 / 2), c1 + (davidson ? 0 : c2 / 2), davidson ? c2 : 0);
            (idx[0], idx[1], idx[2]) = (i, j, davidson ? k : -1);
            var dims = davidson ? 3 : 2;
            Array.Clear(g);
            for (var z = 0; z < 3; z++)
            {
                for (var q = 0; q < dims; q++)
                {
                    grad[idx[q]] += (y[z] - (n * prob[z])) * w[(z * 3) + q];
                    g[q] += prob[z] * w[(z * 3) + q];
                }
            }

            for (var q = 0; q < dims; q++)
            {
                for (var r = 0; r < dims; r++)
                {
                    double s = 0;
                    for (var z = 0; z < 3; z++)
                    {
                        s += prob[z] * w[(z * 3) + q] * w[(z * 3) + r];
                    }

                    h[idx[q], idx[r]] += n * (s - (g[q] * g[r]));
                }
            }
        }
    }

    // The Cholesky solve as it was, indexing the arrays (bounds-checked): the reference for the one that reads through references.
    private static void IndexedCholeskySolve(double[] a, int stride, double[] b, double[] x, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var d = a[(j * stride) + j];
            for (var m = 0; m < j; m++)
            {
                d -= a[(j * stride) + m] * a[(j * stride) + m];
            }

            a[(j * stride) + j] = Math.Sqrt(d);
            for (var i = j + 1; i < n; i++)
            {
                var v = a[(i * stride) + j];
                for (var m = 0; m < j; m++)
                {
                    v -= a[(i * stride) + m] * a[(j * stride) + m];
                }

                a[(i * stride) + j] = v / a[(j * stride) + j];
            }
        }

        Array.Copy(b, x, n);
        for (var i = 0; i < n; i++)
        {
            for (var m = 0; m < i; m++)
            {
                x[i] -= a[(i * stride) + m] * x[m];
            }

            x[i] /= a[(i * stride) + i];
        }

        for (var i = n - 1; i >= 0; i--)
        {
            for (var m = i + 1; m < n; m++)
            {
                x[i] -= a[(m * stride) + i] * x[m];
            }

            x[i] /= a[(i * stride) + i];
        }
    }

    [Fact]
    public void Cholesky_solve_through_references_gives_the_bits_of_the_indexed_one()
    {
        var rng = new Random(21);
        for (var trial = 0; trial < 2000; trial++)
        {
            var n = 1 + rng.Next(9);
            var stride = n + rng.Next(3);
            // A = M Mᵀ + n I (definite), in the leading n × n block of a stride × stride array with junk around it.
            var m = new double[n * n];
            for (var i = 0; i < m.Length; i++)
            {
                m[i] = (rng.NextDouble() * 4) - 2;
            }

            var a = new double[stride * stride];
            for (var i = 0; i < a.Length; i++)
            {
                a[i] = rng.NextDouble();
            }

            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    var v = i == j ? n : 0.0;
                    for (var k = 0; k < n; k++)
                    {
                        v += m[(i * n) + k] * m[(j * n) + k];
                    }

                    a[(i * stride) + j] = v;
                }
            }

            var b = Enumerable.Range(0, stride).Select(_ => (rng.NextDouble() * 10) - 5).ToArray();
            var reference = (double[])a.Clone();
            var expected = new double[stride];
            var actual = new double[stride];
            IndexedCholeskySolve(reference, stride, b, expected, n);
            BradleyTerry.CholeskySolve(a, stride, b, actual, n);
            Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(reference.Select(BitConverter.DoubleToInt64Bits), a.Select(BitConverter.DoubleToInt64Bits));
        }

        Assert.Throws<ArgumentException>(() => BradleyTerry.CholeskySolve(new double[8], 3, new double[3], new double[3], 3));
        Assert.Throws<ArgumentException>(() => BradleyTerry.CholeskySolve([-1.0], 1, [1.0], new double[1], 1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Written_out_derivatives_equal_the_loop_over_outcomes_to_the_bit(bool davidson)
    {
        var rng = new Random(davidson ? 3 : 4);
        const int k = 6;
        var pairs = (from i in Enumerable.Range(0, k) from j in Enumerable.Range(i + 1, k - i - 1) select (i, j)).ToArray();
        for (var trial = 0; trial < 200; trial++)
        {
            var x = Enumerable.Range(0, k + 1).Select(_ => (rng.NextDouble() * 6) - 3).ToArray();
            // Some pairs unanswered, some with one outcome only, counts as a bootstrap replicate adds them.
            var counts = Enumerable.Range(0, pairs.Length * 3).Select(_ => rng.Next(5) == 0 ? 0 : (double)rng.Next(0, 9)).ToArray();
            var exps = new double[pairs.Length * 4];
            for (var p = 0; p < pairs.Length; p++)
            {
                var (a, b) = (x[pairs[p].i], x[pairs[p].j]);
                var c = davidson ? x[k] + ((a + b) / 2) : double.NegativeInfinity;
                var max = Math.Max(a, Math.Max(b, c));
                (exps[p * 4], exps[(p * 4) + 1], exps[(p * 4) + 2]) = (Math.Exp(a - max), Math.Exp(b - max), davidson ? Math.Exp(c - max) : 0);
                exps[(p * 4) + 3] = exps[p * 4] + exps[(p * 4) + 1] + exps[(p * 4) + 2];
            }

            var size = davidson ? k + 1 : k;
            var loopGrad = new double[k + 1];
            var loopH = new double[k + 1, k + 1];
            LoopDerivatives(x, size, k, pairs, counts, 0.1, davidson, exps, loopGrad, loopH);
            var grad = new double[k + 1];
            var h = Enumerable.Repeat(double.NaN, (k + 1) * (k + 1)).ToArray(); // stale values must be cleared
            BradleyTerry.Derivatives(x, size, k, pairs, counts, 0.1, davidson, exps, grad, h, k + 1);
            for (var q = 0; q < size; q++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(loopGrad[q] + 0.0), BitConverter.DoubleToInt64Bits(grad[q] + 0.0));
                for (var r = 0; r < size; r++)
                {
                    Assert.Equal(BitConverter.DoubleToInt64Bits(loopH[q, r]), BitConverter.DoubleToInt64Bits(h[(q * (k + 1)) + r]));
                }
            }
        }
    }

    [Fact]
    public void Two_items_without_ties_give_the_log_odds()
    {
        var data = Repeat("a", "b", PairWinner.Item0, 3).Concat(Repeat("a", "b", PairWinner.Item1, 1)).ToList();
        var fit = BradleyTerry.Fit(data, Unregularised with { Ties = TieHandling.Half });
        Assert.Equal(Math.Log(3), Theta(fit, "a") - Theta(fit, "b"), 5);
        Assert.Equal(0, Theta(fit, "a") + Theta(fit, "b"), 5);
        Assert.Equal(3, fit.Scores[0].Wins);
    }

    [Fact]
    public void Davidson_two_items_match_the_closed_form()
    {
        // Maximum likelihood reproduces the observed shares: π_a/π_b = w_a/w_b and ν = t/√(w_a w_b).
        var data = Repeat("a", "b", PairWinner.Item0, 4).Concat(Repeat("b", "a", PairWinner.Item0, 1)).Concat(Repeat("a", "b", PairWinner.Tie, 2)).ToList();
        var fit = BradleyTerry.Fit(data, Unregularised);
        Assert.Equal(Math.Log(4), Theta(fit, "a") - Theta(fit, "b"), 5);
        Assert.Equal(1.0, fit.TieParameter, 5);
        Assert.Equal(2, fit.Scores.Single(s => s.Item == "a").Ties);
    }

    [Fact]
    public void Ties_as_half_equal_one_win_each_per_two_ties()
    {
        var withTies = Repeat("a", "b", PairWinner.Item0, 3).Concat(Repeat("b", "c", PairWinner.Tie, 2)).Concat(Repeat("c", "a", PairWinner.Item0, 1)).ToList();
        var asWins = Repeat("a", "b", PairWinner.Item0, 3).Concat(Repeat("b", "c", PairWinner.Item0, 1)).Concat(Repeat("b", "c", PairWinner.Item1, 1))
            .Concat(Repeat("c", "a", PairWinner.Item0, 1)).ToList();
        var options = new BradleyTerryOptions { Ties = TieHandling.Half, BootstrapReplicates = 0 };
        var x = BradleyTerry.Fit(withTies, options);
        var y = BradleyTerry.Fit(asWins, options);
        foreach (var item in new[] { "a", "b", "c" })
        {
            Assert.Equal(Theta(y, item), Theta(x, item), 8);
        }

        Assert.True(double.IsNaN(x.TieParameter));
    }

    [Fact]
    public void Unbeaten_item_stays_finite_with_regularisation()
    {
        var fit = BradleyTerry.Fit(Repeat("a", "b", PairWinner.Item0, 10).ToList(), new BradleyTerryOptions { BootstrapReplicates = 0 });
        Assert.True(double.IsFinite(Theta(fit, "a")));
        Assert.True(Theta(fit, "a") > 1);
        Assert.Equal(0, fit.TieParameter); // no ties observed
    }

    [Fact]
    public void Recovers_planted_strengths_with_bootstrap_intervals()
    {
        var rng = new Random(4);
        double[] truth = [1.2, 0.6, 0, -0.6, -1.2];
        const double nu = 0.5;
        var data = new List<PairComparison>();
        for (var n = 0; n < 3000; n++)
        {
            var i = rng.Next(5);
            var j = (i + 1 + rng.Next(4)) % 5;
            double pi = Math.Exp(truth[i]), pj = Math.Exp(truth[j]), pt = nu * Math.Sqrt(pi * pj);
            var u = rng.NextDouble() * (pi + pj + pt);
            var w = u < pi ? PairWinner.Item0 : u < pi + pj ? PairWinner.Item1 : PairWinner.Tie;
            data.Add(new PairComparison($"img{i}", $"img{j}", w, Cluster: $"p{n % 60}"));
        }

        var fit = BradleyTerry.Fit(data, new BradleyTerryOptions { Regularization = 0.01, BootstrapReplicates = 200 });
        Assert.Equal(["img0", "img1", "img2", "img3", "img4"], fit.Scores.Select(s => s.Item));
        Assert.InRange(fit.TieParameter, nu - 0.1, nu + 0.1);
        for (var i = 0; i < 5; i++)
        {
            var s = fit.Scores.Single(x => x.Item == $"img{i}");
            Assert.InRange(s.Theta, truth[i] - 0.15, truth[i] + 0.15);
            Assert.True(s.Interval.Contains(s.Theta));
            Assert.True(s.Interval.Upper - s.Interval.Lower < 0.5);
        }
    }

    [Theory]
    [InlineData(TieHandling.Davidson)]
    [InlineData(TieHandling.Half)]
    public void Warm_started_replicates_give_the_intervals_of_cold_starts(TieHandling ties)
    {
        // Case study IV's shape: a prompt's 6 images, few raters (clusters), many neutral answers, one image never beaten;
        // some replicates draw no ties at all. The optimum of each replicate is unique, so where Newton starts changes
        // only the digits below the solver's tolerance (steps of 1e-10): the intervals must agree to 1e-8.
        var rng = new Random(11);
        var data = new List<PairComparison>();
        for (var n = 0; n < 90; n++)
        {
            var a = rng.Next(6);
            var b = (a + 1 + rng.Next(5)) % 6;
            var u = rng.NextDouble();
            var w = a == 0 ? PairWinner.Item0 : b == 0 ? PairWinner.Item1 : u < 0.15 ? PairWinner.Tie : u < 0.35 + (0.08 * a) ? PairWinner.Item0 : PairWinner.Item1;
            data.Add(new PairComparison($"img{a}", $"img{b}", w, $"rater{n % 7}"));
        }

        var warm = BradleyTerry.Fit(data, new BradleyTerryOptions { Ties = ties, BootstrapReplicates = 300, Seed = 3 });
        var cold = BradleyTerry.Fit(data, new BradleyTerryOptions { Ties = ties, BootstrapReplicates = 300, Seed = 3, WarmStartBootstrap = false });
        Assert.Equal(cold.Scores.Select(s => s.Item), warm.Scores.Select(s => s.Item));
        foreach (var (w, c) in warm.Scores.Zip(cold.Scores))
        {
            Assert.Equal(c.Theta, w.Theta); // the full-data fit starts at zero either way
            Assert.True(c.Interval.Upper - c.Interval.Lower > 0.1, "the replicates differ, so the intervals are not trivially equal");
            Assert.Equal(c.Interval.Lower, w.Interval.Lower, 1e-8);
            Assert.Equal(c.Interval.Upper, w.Interval.Upper, 1e-8);
        }
    }

    [Theory]
    [InlineData(TieHandling.Davidson, 90)]
    [InlineData(TieHandling.Half, 90)]
    [InlineData(TieHandling.Davidson, 600)]
    public void Stopping_on_the_predicted_step_stays_within_the_tolerance_of_a_fully_converged_fit(TieHandling ties, int answers)
    {
        // A solve stops once quadratic convergence predicts the next Newton step below a hundredth of the tolerance,
        // instead of taking steps until one is below it. The fully converged fit (StopOnPredictedStep off) is the
        // reference: scores, ν, log-likelihood and every bootstrap endpoint must agree to the tolerance (1e-10), and the
        // early stop must save iterations, or it would not be worth its difference.
        var rng = new Random(17);
        var data = new List<PairComparison>();
        for (var n = 0; n < answers; n++)
        {
            var a = rng.Next(6);
            var b = (a + 1 + rng.Next(5)) % 6;
            var u = rng.NextDouble();
            var w = u < 0.2 ? PairWinner.Tie : u < 0.3 + (0.09 * a) ? PairWinner.Item0 : PairWinner.Item1;
            data.Add(new PairComparison($"img{a}", $"img{b}", w, $"rater{n % 23}"));
        }

        var options = new BradleyTerryOptions { Ties = ties, BootstrapReplicates = 200, Seed = 9 };
        var early = BradleyTerry.Fit(data, options);
        var full = BradleyTerry.Fit(data, options with { StopOnPredictedStep = false });
        Assert.True(early.Iterations <= full.Iterations, $"early stop after {early.Iterations} iterations, full convergence after {full.Iterations}");
        // Over 30 subsamples (fits without intervals, as a replicate's solve) the early stop saves iterations.
        var subsamples = Enumerable.Range(0, 30).Select(i => data.Where((_, n) => (n + i) % 3 != 0).ToList()).ToList();
        var plain = options with { BootstrapReplicates = 0 };
        var saved = subsamples.Sum(d => BradleyTerry.Fit(d, plain with { StopOnPredictedStep = false }).Iterations - BradleyTerry.Fit(d, plain).Iterations);
        Assert.True(saved > 0, $"{saved} iterations saved over 30 subsamples");
        Assert.Equal(full.Scores.Select(s => s.Item), early.Scores.Select(s => s.Item));
        Assert.Equal(full.PenalizedLogLikelihood, early.PenalizedLogLikelihood, 1e-10);
        if (ties == TieHandling.Davidson)
        {
            Assert.Equal(full.TieParameter, early.TieParameter, 1e-10);
        }

        foreach (var (e, f) in early.Scores.Zip(full.Scores))
        {
            Assert.Equal(f.Theta, e.Theta, 1e-10);
            Assert.Equal(f.Interval.Lower, e.Interval.Lower, 1e-10);
            Assert.Equal(f.Interval.Upper, e.Interval.Upper, 1e-10);
        }
    }

    [Fact]
    public void Per_scope_fits_and_slider_conversion()
    {
        var rows = new[] { ("p1", "a", "b", -0.4), ("p1", "a", "b", -1.0), ("p1", "a", "b", 0.0), ("p2", "c", "d", 0.7) };
        var fits = BradleyTerry.FitPerScope(rows, r => r.Item1, r => PairComparison.FromPreference(r.Item2, r.Item3, r.Item4), new BradleyTerryOptions { BootstrapReplicates = 0 });
        Assert.Equal(["p1", "p2"], fits.Select(f => f.Scope));
        Assert.Equal("a", fits[0].Fit.Scores[0].Item);
        Assert.Equal("d", fits[1].Fit.Scores[0].Item);
        Assert.Throws<ArgumentException>(() => BradleyTerry.Fit([new PairComparison("a", "a", PairWinner.Tie)]));
    }

    [Fact]
    public void Cluster_cells_are_the_grouping_by_cluster_then_by_cell()
    {
        // 600 comparisons from 70 named clusters and some without one (each its own cluster), on 15 pairs × 3 slots.
        var rng = new Random(3);
        var comparisons = new List<PairComparison>();
        var slots = new (int Pair, int Slot)[600];
        for (var k = 0; k < 600; k++)
        {
            var cluster = rng.Next(10) == 0 ? null : $"r{rng.Next(70)}";
            comparisons.Add(new PairComparison("a", "b", PairWinner.Tie, cluster));
            slots[k] = (rng.Next(15), rng.Next(3));
        }

        // The grouping Fit used to build with LINQ: clusters in order of first appearance, each one's cells likewise.
        var expected = comparisons.Select((c, k) => (Key: c.Cluster ?? $"\u0001{k}", Index: k))
            .GroupBy(t => t.Key, StringComparer.Ordinal)
            .Select(g => g.GroupBy(t => slots[t.Index]).Select(cell => ((cell.Key.Pair * 3) + cell.Key.Slot, (double)cell.Count())).ToArray())
            .ToArray();
        var (start, cellAt, cellCount) = BradleyTerry.ClusterCells(comparisons, slots);
        Assert.Equal(expected.Length + 1, start.Length);
        Assert.True(expected.Length > 70);
        for (var c = 0; c < expected.Length; c++)
        {
            Assert.Equal(expected[c].Select(x => x.Item1), cellAt[start[c]..start[c + 1]]);
            Assert.Equal(expected[c].Select(x => x.Item2), cellCount[start[c]..start[c + 1]]);
        }

        Assert.Equal(600, cellCount.Sum());
    }

    [Fact]
    public void Replicate_percentile_gives_the_bits_of_the_percentile_in_place()
    {
        // The optimised sort against the library's: random columns with repeated values, sorted, reversed and constant
        // ones (the depth limit), and columns with NaNs, +0.0 and −0.0 (left to the library's sort).
        var rng = new Random(12);
        for (var trial = 0; trial < 3000; trial++)
        {
            var n = rng.Next(trial < 100 ? 20 : 400);
            var distinct = 1 + rng.Next(trial % 3 == 0 ? 5 : 1000);
            var values = Enumerable.Range(0, n).Select(_ => (rng.Next(distinct) - (distinct / 2) + 0.5) * (1 + rng.NextDouble())).ToArray();
            if (trial % 10 == 1)
            {
                Array.Sort(values);
            }
            else if (trial % 10 == 2)
            {
                Array.Sort(values);
                Array.Reverse(values);
            }
            else if (trial % 10 == 3 && n > 0)
            {
                Array.Fill(values, values[0]);
            }
            else if (trial % 10 == 4 && n > 2)
            {
                values[rng.Next(n)] = double.NaN;
                values[rng.Next(n)] = 0.0;
                values[rng.Next(n)] = -0.0;
            }

            var sorted = (double[])values.Clone();
            var expected = (double[])values.Clone();
            if (!values.Any(v => v == 0 || double.IsNaN(v)))
            {
                BradleyTerry.SortWithoutZerosOrNaNs(sorted, 2 * (System.Numerics.BitOperations.Log2((uint)Math.Max(1, n)) + 1));
                Array.Sort(expected);
                Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), sorted.Select(BitConverter.DoubleToInt64Bits));
            }

            foreach (var level in new[] { 0.95, 0.5, 0.99 })
            {
                var reference = Bootstrap.PercentileInPlace((double[])values.Clone(), level);
                var percentile = BradleyTerry.ReplicatePercentile((double[])values.Clone(), level);
                Assert.Equal(BitConverter.DoubleToInt64Bits(reference.Lower), BitConverter.DoubleToInt64Bits(percentile.Lower));
                Assert.Equal(BitConverter.DoubleToInt64Bits(reference.Upper), BitConverter.DoubleToInt64Bits(percentile.Upper));
            }
        }
    }

    public static TheoryData<TieHandling, int, bool, bool, int> LaneCases() => new()
    {
        // ties, replicates (not all multiples of four), warm start, stop on the predicted step, iteration limit
        { TieHandling.Davidson, 200, true, true, 100 },
        { TieHandling.Davidson, 37, true, true, 100 },
        { TieHandling.Half, 45, true, true, 100 },
        { TieHandling.Davidson, 22, false, true, 100 },
        { TieHandling.Davidson, 23, true, false, 100 },
        { TieHandling.Half, 7, false, false, 100 },
        { TieHandling.Davidson, 13, true, true, 2 },
        { TieHandling.Davidson, 3, true, true, 1 },
        { TieHandling.Davidson, 1, true, true, 100 },
        { TieHandling.Davidson, 6, true, true, 0 },
    };

    [Theory]
    [MemberData(nameof(LaneCases))]
    public void Replicates_in_lanes_give_the_bits_of_replicates_solved_one_at_a_time(TieHandling ties, int replicates, bool warm, bool predicted, int maxIterations)
    {
        // Case study IV's shapes: 2-7 images, few to many raters (clusters), neutral answers from none to most, an image that
        // never wins or is never compared in a replicate, replicates with and without ties in one block of four. Every
        // replicate's θ (before sorting) and every interval must have the bits of the one-at-a-time path.
        var rng = new Random(replicates * 7919 + maxIterations);
        var fits = 0;
        for (var trial = 0; trial < 60; trial++)
        {
            var items = 2 + rng.Next(6);
            var raters = 1 + rng.Next(trial % 3 == 0 ? 4 : 40);
            var answers = 1 + rng.Next(trial % 4 == 0 ? 6 : 120);
            var tieShare = trial % 5 == 0 ? 0 : trial % 5 == 1 ? 0.9 : rng.NextDouble() * 0.4;
            var loser = trial % 2 == 0 ? 0 : -1; // image 0 never wins
            var data = new List<PairComparison>();
            for (var n = 0; n < answers; n++)
            {
                var a = rng.Next(items);
                var b = (a + 1 + rng.Next(items - 1)) % items;
                var u = rng.NextDouble();
                var w = u < tieShare ? PairWinner.Tie : rng.NextDouble() < 0.3 + (0.1 * a) ? PairWinner.Item0 : PairWinner.Item1;
                if (a == loser && w == PairWinner.Item0)
                {
                    w = PairWinner.Item1;
                }
                else if (b == loser && w == PairWinner.Item1)
                {
                    w = PairWinner.Item0;
                }

                data.Add(new PairComparison($"img{a}", $"img{b}", w, trial % 7 == 0 && n % 3 == 0 ? null : $"rater{rng.Next(raters)}"));
            }

            var options = new BradleyTerryOptions
            {
                Ties = ties,
                BootstrapReplicates = replicates,
                Seed = trial,
                WarmStartBootstrap = warm,
                StopOnPredictedStep = predicted,
                MaxIterations = maxIterations,
            };
            var lanes = BradleyTerry.ReplicateThetas(data, options);
            var lanesInParallel = BradleyTerry.ReplicateThetas(data, options, parallel: true);
            var single = BradleyTerry.ReplicateThetas(data, options with { LaneReplicates = false });
            Assert.Equal(single.Length, lanes.Length);
            Assert.Equal(single.Length, lanesInParallel.Length);
            for (var i = 0; i < single.Length; i++)
            {
                Assert.True(BitConverter.DoubleToInt64Bits(single[i]) == BitConverter.DoubleToInt64Bits(lanes[i]), $"trial {trial}, entry {i}: {single[i]:R} one at a time, {lanes[i]:R} in lanes");
                Assert.Equal(BitConverter.DoubleToInt64Bits(lanes[i]), BitConverter.DoubleToInt64Bits(lanesInParallel[i]));
            }

            var fit = BradleyTerry.Fit(data, options);
            var reference = BradleyTerry.Fit(data, options with { LaneReplicates = false });
            foreach (var (l, r) in fit.Scores.Zip(reference.Scores))
            {
                Assert.Equal(r.Item, l.Item);
                Assert.Equal(BitConverter.DoubleToInt64Bits(r.Interval.Lower), BitConverter.DoubleToInt64Bits(l.Interval.Lower));
                Assert.Equal(BitConverter.DoubleToInt64Bits(r.Interval.Upper), BitConverter.DoubleToInt64Bits(l.Interval.Upper));
            }

            fits++;
        }

        Assert.Equal(60, fits);
    }
}

public class ReseedableRandomTests
{
    [Fact]
    public void Reseeding_gives_the_sequence_of_a_new_seeded_Random()
    {
        var reused = new ReseedableRandom(0);
        int[] seeds = [0, 1, 2, 42, int.MaxValue, int.MinValue, -7, .. Enumerable.Range(0, 200).Select(i => Seeds.For(1, i))];
        foreach (var seed in seeds)
        {
            var reference = new Random(seed);
            reused.Reseed(seed);
            foreach (var max in new[] { 1, 2, 3, 7, 40, 255, 1000, 1 << 20, int.MaxValue })
            {
                for (var i = 0; i < 30; i++)
                {
                    Assert.Equal(reference.Next(max), reused.Next(max));
                }
            }
        }
    }

    [Fact]
    public void Four_lanes_give_the_sequences_of_four_new_seeded_Randoms()
    {
        if (!ReseedableRandomLanes.IsSupported)
        {
            return; // without AVX the bootstrap draws with ReseedableRandom, one lane at a time
        }

        var lanes = new ReseedableRandomLanes();
        int[] seeds = [0, 1, 2, 42, int.MaxValue, int.MinValue, -7, 161803398, .. Enumerable.Range(0, 200).Select(i => Seeds.For(1, i))];
        var drawn = new int[30 * ReseedableRandomLanes.Lanes];
        for (var at = 0; at + 4 <= seeds.Length; at += 3)
        {
            var four = seeds.AsSpan(at, 4).ToArray();
            var references = four.Select(s => new Random(s)).ToArray();
            lanes.Reseed(System.Runtime.Intrinsics.Vector128.Create(four));
            foreach (var max in new[] { 1, 2, 3, 7, 40, 255, 1000, 1 << 20, int.MaxValue, 0 })
            {
                lanes.Next(max, 30, drawn);
                for (var d = 0; d < 30; d++)
                {
                    for (var l = 0; l < 4; l++)
                    {
                        Assert.Equal(references[l].Next(max), drawn[(d * 4) + l]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Percentile_in_place_is_the_percentile_of_the_values()
    {
        var rng = new Random(4);
        foreach (var n in new[] { 1, 2, 3, 10, 200, 1000 })
        {
            // Repeated values, negative and positive, and NaNs (dropped by both).
            var values = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.05 ? double.NaN : Math.Round((rng.NextDouble() * 4) - 2, 1)).ToArray();
            foreach (var level in new[] { 0.95, 0.9, 0.5 })
            {
                var expected = Bootstrap.Percentile(values, level);
                var actual = Bootstrap.PercentileInPlace((double[])values.Clone(), level);
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Lower), BitConverter.DoubleToInt64Bits(actual.Lower));
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Upper), BitConverter.DoubleToInt64Bits(actual.Upper));
            }
        }

        Assert.Equal(Interval.Undefined, Bootstrap.PercentileInPlace(new[] { double.NaN, double.NaN }, 0.95));
    }

    [Fact]
    public void Bootstrap_intervals_match_a_fit_whose_replicates_use_Random()
    {
        // The bootstrap written with a fresh Random per replicate and every replicate refitted by BradleyTerry.Fit.
        var rng = new Random(3);
        var data = Enumerable.Range(0, 120).Select(i =>
        {
            var a = rng.Next(4);
            var b = (a + 1 + rng.Next(3)) % 4;
            var u = rng.NextDouble();
            return new PairComparison($"i{a}", $"i{b}", u < 0.2 ? PairWinner.Tie : u < 0.4 + (0.1 * a) ? PairWinner.Item0 : PairWinner.Item1, $"r{i % 9}");
        }).ToList();
        var options = new BradleyTerryOptions { BootstrapReplicates = 60, Seed = 5 };
        var fit = BradleyTerry.Fit(data, options);
        var clusters = data.GroupBy(c => c.Cluster).Select(g => g.ToList()).ToList();
        var replicates = Enumerable.Range(0, 60).Select(b =>
        {
            var r = new Random(Seeds.For(5, b));
            var sample = Enumerable.Range(0, clusters.Count).SelectMany(_ => clusters[r.Next(clusters.Count)]).ToList();
            var refit = BradleyTerry.Fit(sample, options with { BootstrapReplicates = 0 });
            return fit.Scores.ToDictionary(s => s.Item, s => refit.Scores.Single(x => x.Item == s.Item).Theta);
        }).ToList();
        foreach (var s in fit.Scores)
        {
            var expected = Bootstrap.Percentile(replicates.Select(r => r[s.Item]), 0.95);
            Assert.Equal(expected.Lower, s.Interval.Lower, 6);
            Assert.Equal(expected.Upper, s.Interval.Upper, 6);
        }
    }
}
