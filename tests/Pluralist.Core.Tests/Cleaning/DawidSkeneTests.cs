using Pluralist.Core.Cleaning;
using static Pluralist.Core.Tests.Cleaning.RowFactory;

namespace Pluralist.Core.Tests.Cleaning;

public class DawidSkeneTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    // Items with a true class; raters label every item correctly with their accuracy, otherwise uniformly among the
    // other classes; the last rater is a spammer labelling uniformly at random.
    private static (List<CategoricalLabel> Labels, int[] Truth) Simulate(int items, double[] accuracies, int seed)
    {
        var rng = new Random(seed);
        var truth = Enumerable.Range(0, items).Select(_ => rng.NextDouble() switch { < 0.4 => 0, < 0.6 => 1, _ => 2 }).ToArray();
        var labels = new List<CategoricalLabel>();
        for (var i = 0; i < items; i++)
        {
            for (var j = 0; j < accuracies.Length; j++)
            {
                int label;
                if (double.IsNaN(accuracies[j]))
                {
                    label = rng.Next(3);
                }
                else if (rng.NextDouble() < accuracies[j])
                {
                    label = truth[i];
                }
                else
                {
                    label = (truth[i] + 1 + rng.Next(2)) % 3;
                }

                labels.Add(new CategoricalLabel($"i{i}", $"r{j}", Classes[label]));
            }
        }

        return (labels, truth);
    }

    [Fact]
    public void Em_matches_a_second_implementation_written_in_probability_space()
    {
        var (labels, _) = Simulate(40, [0.8, 0.7, 0.6, double.NaN], 4);
        // Drop a few labels so items have different numbers of them.
        labels = labels.Where((_, n) => n % 7 != 3).ToList();
        var fit = DawidSkene.Fit(labels, Classes, smoothing: 0.01, maxIterations: 5000, tolerance: 1e-13);
        Assert.True(fit.Converged);

        // Naive EM: dictionaries, products of probabilities, the same start (vote shares) and smoothing.
        const double s = 0.01;
        var items = labels.Select(l => l.Item).Distinct().ToList();
        var raters = labels.Select(l => l.Rater).Distinct().ToList();
        var t = items.ToDictionary(i => i, i => Classes.Select(c => labels.Count(l => l.Item == i && l.Class == c) / (double)labels.Count(l => l.Item == i)).ToArray());
        var prior = new double[3];
        var theta = new Dictionary<(string R, int K, int L), double>();
        for (var iter = 0; iter < 3000; iter++)
        {
            for (var k = 0; k < 3; k++)
            {
                prior[k] = items.Average(i => t[i][k]);
            }

            foreach (var r in raters)
            {
                for (var k = 0; k < 3; k++)
                {
                    var mine = labels.Where(l => l.Rater == r).ToList();
                    var den = mine.Sum(l => t[l.Item][k]);
                    for (var l = 0; l < 3; l++)
                    {
                        theta[(r, k, l)] = (mine.Where(x => x.Class == Classes[l]).Sum(x => t[x.Item][k]) + s) / (den + (3 * s));
                    }
                }
            }

            foreach (var i in items)
            {
                var p = Enumerable.Range(0, 3).Select(k => prior[k] * labels.Where(l => l.Item == i).Aggregate(1.0, (acc, l) => acc * theta[(l.Rater, k, Array.IndexOf(Classes, l.Class))])).ToArray();
                t[i] = p.Select(v => v / p.Sum()).ToArray();
            }
        }

        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(prior[k], fit.Priors[k], 6);
        }

        for (var j = 0; j < fit.Raters.Count; j++)
        {
            for (var k = 0; k < 3; k++)
            {
                for (var l = 0; l < 3; l++)
                {
                    Assert.Equal(theta[(fit.Raters[j], k, l)], fit.ConfusionAt(j, k, l), 6);
                }
            }

            Assert.Equal(Enumerable.Range(0, 3).Sum(k => prior[k] * theta[(fit.Raters[j], k, k)]), fit.Accuracy[j], 6);
        }

        for (var i = 0; i < fit.Items.Count; i++)
        {
            for (var k = 0; k < 3; k++)
            {
                Assert.Equal(t[fit.Items[i]][k], fit.Posterior[i][k], 6);
            }

            var mine = labels.Where(l => l.Item == fit.Items[i]).ToList();
            Assert.Equal(1 - mine.Average(l => t[l.Item][Array.IndexOf(Classes, l.Class)]), fit.Difficulty[i], 6);
        }
    }

    [Fact]
    public void Three_class_path_gives_the_bits_of_the_loop_over_classes()
    {
        var (labels, _) = Simulate(60, [0.85, 0.7, 0.55, double.NaN, 0.9], 8);
        labels = labels.Where((_, n) => n % 5 != 1).ToList();
        var items = labels.Select(l => l.Item).Distinct().ToList();
        var raters = labels.Select(l => l.Rater).Distinct().ToList();
        var byItem = items.Select(i => labels.Where(l => l.Item == i).ToList()).ToList();
        var start = new int[items.Count + 1];
        for (var i = 0; i < items.Count; i++)
        {
            start[i + 1] = start[i] + byItem[i].Count;
        }

        var rater = byItem.SelectMany(g => g.Select(l => raters.IndexOf(l.Rater))).ToArray();
        var cls = byItem.SelectMany(g => g.Select(l => Array.IndexOf(Classes, l.Class))).ToArray();
        var rng = new Random(3);
        var begin = Enumerable.Range(0, items.Count).SelectMany(_ =>
        {
            var w = new[] { rng.NextDouble(), rng.NextDouble(), rng.NextDouble() };
            return w.Select(x => x / w.Sum());
        }).ToArray();
        foreach (var maxIterations in new[] { 1, 7, 500 })
        {
            var (written, loop) = ((double[])begin.Clone(), (double[])begin.Clone());
            var (writtenWork, loopWork) = (new DawidSkeneWorkspace(3, raters.Count), new DawidSkeneWorkspace(3, raters.Count));
            var a = DawidSkene.FitCoded(3, raters.Count, start, rater, cls, written, writtenWork, maxIterations: maxIterations, tolerance: 1e-12);
            var b = DawidSkene.FitCoded(3, raters.Count, start, rater, cls, loop, loopWork, maxIterations: maxIterations, tolerance: 1e-12, anyClassCount: true);
            Assert.Equal(b, a);
            Assert.Equal(loop, written);
            Assert.Equal(loopWork.Priors[..3], writtenWork.Priors[..3]);
            Assert.Equal(loopWork.Theta[..(raters.Count * 9)], writtenWork.Theta[..(raters.Count * 9)]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Three_class_path_in_vector_lanes_gives_the_bits_of_the_loop_on_repeated_labels_and_unused_raters(int seed)
    {
        // Coded labels as a bootstrap replicate lays them out: items of 1-30 labels, a rater labelling an item several times,
        // raters (the last ones) that label nothing, an offset first label and posteriors with zeros.
        var rng = new Random(seed);
        const int raters = 23;
        var items = 50 + rng.Next(100);
        var start = new int[items + 1];
        start[0] = 3;
        var rater = new List<int> { -1, -1, -1 };
        var cls = new List<int> { -1, -1, -1 };
        for (var i = 0; i < items; i++)
        {
            var n = 1 + rng.Next(30);
            for (var a = 0; a < n; a++)
            {
                rater.Add(rng.Next(raters - 3));
                cls.Add(rng.NextDouble() < 0.7 ? i % 3 : rng.Next(3));
            }

            start[i + 1] = rater.Count;
        }

        var begin = new double[items * 3];
        for (var i = 0; i < items; i++)
        {
            var w = new[] { rng.NextDouble(), i % 4 == 0 ? 0 : rng.NextDouble(), rng.NextDouble() };
            for (var c = 0; c < 3; c++)
            {
                begin[(i * 3) + c] = w[c] / w.Sum();
            }
        }

        foreach (var maxIterations in new[] { 1, 2, 13, 400 })
        {
            var (written, loop) = ((double[])begin.Clone(), (double[])begin.Clone());
            var (writtenWork, loopWork) = (new DawidSkeneWorkspace(3, raters), new DawidSkeneWorkspace(3, raters));
            var a = DawidSkene.FitCoded(3, raters, start, [.. rater], [.. cls], written, writtenWork, smoothing: 0.02, maxIterations: maxIterations, tolerance: 1e-10);
            var b = DawidSkene.FitCoded(3, raters, start, [.. rater], [.. cls], loop, loopWork, smoothing: 0.02, maxIterations: maxIterations, tolerance: 1e-10, anyClassCount: true);
            Assert.Equal(BitConverter.DoubleToInt64Bits(b.LogLikelihood), BitConverter.DoubleToInt64Bits(a.LogLikelihood));
            Assert.Equal((b.Iterations, b.Converged), (a.Iterations, a.Converged));
            Assert.Equal(loop.Select(BitConverter.DoubleToInt64Bits), written.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(loopWork.Priors[..3].Select(BitConverter.DoubleToInt64Bits), writtenWork.Priors[..3].Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(loopWork.Theta[..(raters * 9)].Select(BitConverter.DoubleToInt64Bits), writtenWork.Theta[..(raters * 9)].Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Repeated_items_reusing_their_first_copys_values_give_the_bits_of_computing_every_item(int seed)
    {
        // A bootstrap sample over items: draws with replacement, a drawn item keeping its labels and starting posterior.
        var rng = new Random(seed);
        const int raters = 15;
        var pool = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, 1 + rng.Next(12)).Select(_ => (Rater: rng.Next(raters), Class: rng.Next(3))).ToArray()).ToArray();
        var poolStart = pool.Select(_ => { var w = new[] { rng.NextDouble(), rng.NextDouble(), rng.NextDouble() }; return w.Select(x => x / w.Sum()).ToArray(); }).ToArray();
        var draws = Enumerable.Range(0, pool.Length).Select(_ => rng.Next(pool.Length)).ToArray();
        var start = new int[draws.Length + 1];
        var (rater, cls, begin, sameAs) = (new List<int>(), new List<int>(), new List<double>(), new int[draws.Length]);
        for (var i = 0; i < draws.Length; i++)
        {
            rater.AddRange(pool[draws[i]].Select(l => l.Rater));
            cls.AddRange(pool[draws[i]].Select(l => l.Class));
            begin.AddRange(poolStart[draws[i]]);
            start[i + 1] = rater.Count;
            sameAs[i] = Array.IndexOf(draws, draws[i]) is var first && first < i ? first : -1;
        }

        Assert.Contains(sameAs, x => x >= 0);
        foreach (var maxIterations in new[] { 1, 3, 300 })
        {
            var (reused, every) = (begin.ToArray(), begin.ToArray());
            var (reusedWork, everyWork) = (new DawidSkeneWorkspace(3, raters), new DawidSkeneWorkspace(3, raters));
            var a = DawidSkene.FitCoded(3, raters, start, [.. rater], [.. cls], reused, reusedWork, maxIterations: maxIterations, tolerance: 1e-11, sameItemAs: sameAs);
            var b = DawidSkene.FitCoded(3, raters, start, [.. rater], [.. cls], every, everyWork, maxIterations: maxIterations, tolerance: 1e-11);
            Assert.Equal(BitConverter.DoubleToInt64Bits(b.LogLikelihood), BitConverter.DoubleToInt64Bits(a.LogLikelihood));
            Assert.Equal((b.Iterations, b.Converged), (a.Iterations, a.Converged));
            Assert.Equal(every.Select(BitConverter.DoubleToInt64Bits), reused.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(everyWork.Theta[..(raters * 9)].Select(BitConverter.DoubleToInt64Bits), reusedWork.Theta[..(raters * 9)].Select(BitConverter.DoubleToInt64Bits));
        }

        // A repeat whose labels or start differ from its first copy's is refused, naming the items.
        var wrong = sameAs.ToArray();
        var other = Enumerable.Range(1, draws.Length - 1).First(i => sameAs[i] < 0 && !pool[draws[i]].SequenceEqual(pool[draws[0]]));
        wrong[other] = 0;
        var ex = Assert.Throws<ArgumentException>(() => DawidSkene.FitCoded(3, raters, start, [.. rater], [.. cls], begin.ToArray(), new DawidSkeneWorkspace(3, raters), sameItemAs: wrong));
        Assert.Contains($"item {other} is given as a repeat of item 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Three_class_path_refuses_a_rater_or_class_out_of_range_and_decreasing_starts_naming_them()
    {
        var work = new DawidSkeneWorkspace(3, 2);
        var post = new double[6];
        var ex = Assert.Throws<ArgumentException>(() => DawidSkene.FitCoded(3, 2, [0, 2, 3], [0, 2, 1], [0, 1, 2], post, work));
        Assert.Contains("label 1 has rater 2 and class 1; there are 2 raters and 3 classes", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => DawidSkene.FitCoded(3, 2, [0, 2, 3], [0, 1, 1], [0, 3, 2], post, work));
        Assert.Contains("label 1 has rater 1 and class 3", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => DawidSkene.FitCoded(3, 2, [0, 2, 1], [0, 1, 1], [0, 1, 2], post, work));
        Assert.Contains("item 1's labels start at 2 and end at 1", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => DawidSkene.FitCoded(3, 2, [0, 2, 4], [0, 1, 1], [0, 1, 2], post, work));
        Assert.Contains("4 labels need as many raters and classes; there are 3 and 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Em_recovers_rater_accuracies_and_finds_the_spammer()
    {
        var (labels, truth) = Simulate(400, [0.9, 0.85, 0.8, 0.75, double.NaN], 7);
        var fit = DawidSkene.Fit(labels, Classes);
        double[] expected = [0.9, 0.85, 0.8, 0.75, 1 / 3.0];
        for (var j = 0; j < 5; j++)
        {
            Assert.InRange(fit.Accuracy[fit.Raters.ToList().IndexOf($"r{j}")], expected[j] - 0.06, expected[j] + 0.06);
        }

        var right = Enumerable.Range(0, 400).Count(i => Array.IndexOf(fit.Posterior[fit.Items.ToList().IndexOf($"i{i}")], fit.Posterior[fit.Items.ToList().IndexOf($"i{i}")].Max()) == truth[i]);
        Assert.True(right >= 380, $"{right} of 400 items in their true class");
    }

    [Fact]
    public void Rater_reliability_rule_drops_every_row_of_an_unreliable_rater_only()
    {
        var rng = new Random(3);
        var rows = new List<CleaningRow>();
        for (var pair = 1; pair <= 60; pair++)
        {
            var sign = rng.Next(3) - 1; // -1, 0, +1
            for (var p = 1; p <= 6; p++)
            {
                double v = p == 6 ? rng.Next(3) - 1 : rng.NextDouble() < 0.9 ? sign : rng.Next(3) - 1;
                rows.AddRange(Answer(p, pair, v * 0.6));
            }
        }

        var m = CleaningEngine.Match(rows, Rule("rater-reliability", ("minReliability", 0.6), ("minItems", 10)));
        Assert.All(rows.Select((r, i) => (r, i)), x => Assert.Equal(x.r.ParticipantId == 6, m[x.i]));

        // A rater with fewer labels than minItems is never dropped.
        Assert.All(CleaningEngine.Match(rows, Rule("rater-reliability", ("minReliability", 0.6), ("minItems", 61))), Assert.False);

        var run = CleaningEngine.Run(rows, new CleaningRuleSet("t/1", [Rule("rater-reliability", ("minReliability", 0.6))]));
        Assert.Equal(60, run.Report.Stages.Single().Dropped);
        Assert.All(run.Verdicts.Where(v => !v.Kept), v => Assert.Equal("LOW_RELIABILITY", v.ReasonCode));
        Assert.Throws<CleaningRulesException>(() => CleaningRuleSet.Parse("{\"version\": \"v\", \"rules\": [ {\"rule\": \"rater-reliability\", \"parameters\": {\"minReliability\": 1.5}} ]}", "r.json"));
    }
}
