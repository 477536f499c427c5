using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Likert;
using Pluralist.Analysis.Reports;
using Pluralist.Analysis.Statistics;
using Pluralist.Core.Cleaning;

namespace Pluralist.Analysis.Tests;

public class RaterQualityTests
{
    private static readonly string[] Classes = ["image_0", "neutral", "image_1"];

    private static List<CategoricalLabel> Labels(int items, double[] accuracy, int seed)
    {
        var rng = new Random(seed);
        var labels = new List<CategoricalLabel>();
        for (var i = 0; i < items; i++)
        {
            var truth = rng.Next(3);
            for (var j = 0; j < accuracy.Length; j++)
            {
                if ((i + j) % 5 == 0)
                {
                    continue; // not every rater labels every item
                }

                var c = rng.NextDouble() < accuracy[j] ? truth : rng.Next(3);
                labels.Add(new CategoricalLabel($"i{i}", $"r{j}", Classes[c]));
            }
        }

        return labels;
    }

    // Type 7 quantile (R's default), written again here.
    private static double Quantile(IEnumerable<double> values, double q)
    {
        var s = values.Where(double.IsFinite).Order().ToArray();
        var h = (s.Length - 1) * q;
        var lo = (int)h;
        return lo + 1 < s.Length ? s[lo] + ((h - lo) * (s[lo + 1] - s[lo])) : s[lo];
    }

    [Fact]
    public void Dawid_skene_intervals_are_the_percentiles_of_refits_on_resampled_items_and_raters()
    {
        var labels = Labels(40, [0.9, 0.8, 0.6, 0.3], 2);
        const int replicates = 30;
        const int seed = 9;
        var report = RaterQuality.Analyze(labels, Classes, replicates, seed);
        var full = DawidSkene.Fit(labels, Classes);
        Assert.Equal(full.Accuracy, report.Raters.Select(r => r.Accuracy));
        Assert.Equal(full.Difficulty, report.Items.Select(i => i.Difficulty));

        // The same resampling done by hand: items (with all their labels, renamed) for raters, raters for items.
        var items = labels.Select(l => l.Item).Distinct().ToList();
        var posterior = items.ToDictionary(i => i, i => full.Posterior[full.Items.ToList().IndexOf(i)]);
        var raters = labels.Select(l => l.Rater).Distinct().ToList();
        var accuracy = raters.ToDictionary(r => r, _ => new List<double>());
        var difficulty = items.ToDictionary(i => i, _ => new List<double>());
        for (var b = 0; b < replicates; b++)
        {
            var rng = new Random(Seeds.For(seed, b));
            var sample = new List<CategoricalLabel>();
            var start = new Dictionary<string, double[]>();
            for (var n = 0; n < items.Count; n++)
            {
                var drawn = items[rng.Next(items.Count)];
                start[$"draw{n}"] = posterior[drawn];
                sample.AddRange(labels.Where(l => l.Item == drawn).Select(l => new CategoricalLabel($"draw{n}", l.Rater, l.Class)));
            }

            var fit = DawidSkene.Fit(sample, Classes, maxIterations: RaterQuality.ReplicateIterations, tolerance: RaterQuality.ReplicateTolerance * labels.Count, start: start);
            foreach (var (r, j) in fit.Raters.Select((r, j) => (r, j)))
            {
                accuracy[r].Add(fit.Accuracy[j]);
            }

            rng = new Random(Seeds.For(seed, replicates + b));
            sample.Clear();
            for (var n = 0; n < raters.Count; n++)
            {
                var drawn = raters[rng.Next(raters.Count)];
                sample.AddRange(labels.Where(l => l.Rater == drawn).Select(l => new CategoricalLabel(l.Item, $"draw{n}", l.Class)));
            }

            fit = DawidSkene.Fit(sample, Classes, maxIterations: RaterQuality.ReplicateIterations, tolerance: RaterQuality.ReplicateTolerance * labels.Count, start: posterior);
            foreach (var (i, k) in fit.Items.Select((i, k) => (i, k)))
            {
                difficulty[i].Add(fit.Difficulty[k]);
            }
        }

        foreach (var r in report.Raters)
        {
            Assert.Equal(Quantile(accuracy[r.Rater], 0.025), r.Interval.Lower, 9);
            Assert.Equal(Quantile(accuracy[r.Rater], 0.975), r.Interval.Upper, 9);
        }

        foreach (var i in report.Items)
        {
            Assert.Equal(Quantile(difficulty[i.Item], 0.025), i.Interval.Lower, 9);
            Assert.Equal(Quantile(difficulty[i.Item], 0.975), i.Interval.Upper, 9);
        }

        // The worst rater's interval is below the best one's.
        Assert.True(report.Raters.Single(r => r.Rater == "r3").Interval.Upper < report.Raters.Single(r => r.Rater == "r0").Interval.Lower);
    }

    [Fact]
    public void Coded_replicates_give_the_bits_of_refits_of_the_relabelled_labels_on_any_thread_count()
    {
        // Raters label different numbers of items, and one rater appears first on a later item, so the replicates' item and
        // rater orders differ from the full fit's.
        var labels = Labels(30, [0.9, 0.75, 0.6, 0.4, 0.2], 5).Where((_, n) => n % 6 != 2).ToList();
        labels.Insert(0, labels[^1]);
        labels.RemoveAt(labels.Count - 1);
        const int replicates = 12;
        const int seed = 4;
        var one = RaterQuality.Analyze(labels, Classes, replicates, seed, maxDegreeOfParallelism: 1);
        var many = RaterQuality.Analyze(labels, Classes, replicates, seed, maxDegreeOfParallelism: 4);
        Assert.Equal(one.Raters.Select(r => (r.Rater, r.Accuracy, r.Interval)), many.Raters.Select(r => (r.Rater, r.Accuracy, r.Interval)));
        Assert.Equal(one.Items.Select(i => (i.Item, i.Difficulty, i.Interval)), many.Items.Select(i => (i.Item, i.Difficulty, i.Interval)));

        // The plain computation: relabelled CategoricalLabels refitted by DawidSkene.Fit, exactly as before the coded path.
        var full = DawidSkene.Fit(labels, Classes);
        var byItem = labels.GroupBy(l => l.Item).Select(g => g.ToArray()).ToArray();
        var byRater = labels.GroupBy(l => l.Rater).Select(g => g.ToArray()).ToArray();
        var posterior = full.Items.Select((item, i) => (item, i)).ToDictionary(t => t.item, t => full.Posterior[t.i]);
        var accuracy = full.Raters.ToDictionary(r => r, _ => new double[replicates]);
        var difficulty = full.Items.ToDictionary(i => i, _ => new double[replicates]);
        for (var b = 0; b < replicates; b++)
        {
            foreach (var draws in accuracy.Values.Concat(difficulty.Values))
            {
                draws[b] = double.NaN;
            }

            var rng = new Random(Seeds.For(seed, b));
            var sample = new List<CategoricalLabel>();
            var start = new Dictionary<string, double[]>();
            for (var n = 0; n < byItem.Length; n++)
            {
                var drawn = byItem[rng.Next(byItem.Length)];
                start[$"{n}"] = posterior[drawn[0].Item];
                sample.AddRange(drawn.Select(l => l with { Item = $"{n}" }));
            }

            var fit = DawidSkene.Fit(sample, Classes, maxIterations: RaterQuality.ReplicateIterations, tolerance: RaterQuality.ReplicateTolerance * labels.Count, start: start);
            for (var j = 0; j < fit.Raters.Count; j++)
            {
                accuracy[fit.Raters[j]][b] = fit.Accuracy[j];
            }

            rng = new Random(Seeds.For(seed, replicates + b));
            sample.Clear();
            for (var n = 0; n < byRater.Length; n++)
            {
                sample.AddRange(byRater[rng.Next(byRater.Length)].Select(l => l with { Rater = $"{n}" }));
            }

            fit = DawidSkene.Fit(sample, Classes, maxIterations: RaterQuality.ReplicateIterations, tolerance: RaterQuality.ReplicateTolerance * labels.Count, start: posterior);
            for (var i = 0; i < fit.Items.Count; i++)
            {
                difficulty[fit.Items[i]][b] = fit.Difficulty[i];
            }
        }

        Assert.All(one.Raters, r => Assert.Equal(Bootstrap.Percentile(accuracy[r.Rater], 0.95), r.Interval));
        Assert.All(one.Items, i => Assert.Equal(Bootstrap.Percentile(difficulty[i.Item], 0.95), i.Interval));
    }

    [Fact]
    public void Ordinal_intervals_are_wald_intervals_and_the_reliability_interval_is_the_transformed_discrimination_interval()
    {
        var rng = new Random(4);
        var labels = new List<OrdinalLabel>();
        for (var i = 0; i < 40; i++)
        {
            var theta = (rng.NextDouble() * 4) - 2;
            for (var j = 0; j < 5; j++)
            {
                var latent = (j == 4 ? 0 : 1.5 * theta) + ((rng.NextDouble() - 0.5) * 2);
                labels.Add(new OrdinalLabel($"i{i}", $"r{j}", latent < -1 ? 1 : latent < 1 ? 3 : 5));
            }
        }

        var report = RaterQuality.AnalyzeOrdinal(labels, level: 0.9);
        var fit = OrdinalRaterModel.Fit(labels);
        const double z = 1.6448536269514722; // the 0.95 normal quantile
        Assert.Equal([1, 3, 5], report.UsedCategories);
        foreach (var (r, j) in report.Raters.Select((r, j) => (r, j)))
        {
            Assert.Equal(fit.Discrimination[j], r.Discrimination, 12);
            Assert.Equal(fit.Discrimination[j] - (z * fit.DiscriminationSe[j]), r.DiscriminationInterval.Lower, 9);
            Assert.Equal(fit.Discrimination[j] + (z * fit.DiscriminationSe[j]), r.DiscriminationInterval.Upper, 9);
            double Rel(double a) => a * Math.Abs(a) / ((a * a) + (Math.PI * Math.PI / 3));
            Assert.Equal(Rel(r.Discrimination), r.Reliability, 12);
            Assert.Equal(Rel(r.DiscriminationInterval.Lower), r.ReliabilityInterval.Lower, 12);
            Assert.Equal(Rel(r.DiscriminationInterval.Upper), r.ReliabilityInterval.Upper, 12);
        }

        foreach (var i in report.Items)
        {
            Assert.Equal(labels.Where(l => l.Item == i.Item).Average(l => l.Category), i.MeanCategory, 12);
            Assert.Equal(i.Location - (z * i.StandardError), i.Interval.Lower, 12);
        }

        // The rater answering noise is the least reliable.
        Assert.Equal("r4", report.Raters.MinBy(r => r.Reliability)!.Rater);
    }

    // Six careful participants and one answering at random on 36 pairs × 2 criteria; five Likert raters and one at random.
    private static StudyReportInput Study(bool likert = true, int participants = 7)
    {
        var rng = new Random(12);
        var rows = new List<CleaningRow>();
        long id = 0;
        for (var pair = 1; pair <= 36; pair++)
        {
            foreach (var criterion in new[] { "safety", "comfort" })
            {
                var truth = (rng.NextDouble() * 2) - 1;
                for (var p = 1; p <= participants; p++)
                {
                    var v = p == 7 ? (rng.NextDouble() * 2) - 1 : Math.Clamp(truth + ((rng.NextDouble() - 0.5) * 0.5), -1, 1);
                    id++;
                    rows.Add(new CleaningRow
                    {
                        AnswerId = id,
                        AnnotationId = id,
                        AssignmentId = id,
                        ParticipantId = p,
                        BatchId = 1,
                        PairId = pair,
                        PromptId = 1,
                        Image0Id = pair * 10,
                        Image1Id = (pair * 10) + 1,
                        Criterion = criterion,
                        ScoreAsShown = Math.Round(v, 2),
                        Image0OnLeft = true,
                    });
                }
            }
        }

        var ratings = new List<LikertRow>();
        if (likert)
        {
            for (var image = 0; image < 30; image++)
            {
                var truth = rng.NextDouble() * 4;
                for (var p = 1; p <= 6; p++)
                {
                    var v = p == 6 ? 1 + rng.Next(5) : (int)Math.Clamp(Math.Round(1 + truth + ((rng.NextDouble() - 0.5) * 1.2)), 1, 5);
                    ratings.Add(new LikertRow(ratings.Count + 1, 100 + p, $"img{image}", "harm-self", v, 5000));
                }
            }
        }

        return new StudyReportInput
        {
            StudyKey = "s",
            StudyTitle = "S",
            Rows = rows,
            Ratings = ratings,
            Participants = Enumerable.Range(1, 7).Concat(Enumerable.Range(101, 6)).ToDictionary(p => (long)p, p => $"P-{p:000}"),
            BootstrapReplicates = 40,
            Permutations = 50,
        };
    }

    [Fact]
    public void Report_section_gives_both_models_per_rater_and_per_item_and_finds_the_random_raters()
    {
        var report = StudyReportBuilder.Build(Study());
        var section = report.Sections.Single(s => s.Id == "rater-quality");
        Assert.Equal(["rater_quality_dawid_skene", "item_difficulty_dawid_skene", "rater_quality_ordinal", "item_location_ordinal"], section.Tables.Select(t => t.Name));
        var ds = section.Tables[0];
        Assert.Equal(7, ds.Rows.Count);
        Assert.Equal("P-007", ds.Rows.MinBy(r => (double)r[2]!)![0]);
        Assert.All(ds.Rows, r => Assert.True((double)r[3]! <= (double)r[2]! + 1e-12 && (double)r[2]! <= (double)r[4]! + 1e-12, "the estimate lies in its interval"));
        Assert.Equal(72, section.Tables[1].Rows.Count); // 36 pairs × 2 criteria

        var ordinal = section.Tables[2];
        var pairwise = ordinal.Rows.Where(r => (string)r[0]! == "pairwise sliders").ToList();
        var likert = ordinal.Rows.Where(r => (string)r[0]! == "likert").ToList();
        Assert.Equal(7, pairwise.Count);
        Assert.Equal(6, likert.Count);
        Assert.Equal("P-007", pairwise.MinBy(r => (double)r[7]!)![1]);
        Assert.Equal("P-106", likert.MinBy(r => (double)r[7]!)![1]);
        Assert.Equal(72 + 30, section.Tables[3].Rows.Count);
        Assert.Contains(section.Tables[3].Rows, r => (string)r[0]! == "likert" && (string)r[1]! == "img0" && (string)r[2]! == "harm-self");

        // Per-rater tables and charts name raters in a "rater" field (which ReportAudience hides from liaisons); item tables do not.
        Assert.All(new[] { ds, ordinal }, t => Assert.Contains("rater", t.Columns));
        Assert.All(new[] { section.Tables[1], section.Tables[3] }, t => Assert.DoesNotContain("rater", t.Columns));
        Assert.Equal(3, section.Charts.Count);
        Assert.All(section.Charts, c => Assert.Contains("\"rater\":\"P-", c.Spec.ToJsonString(), StringComparison.Ordinal));

        // Exported as CSV and JSON like every table.
        var dir = Path.Combine(Path.GetTempPath(), "pluralist-raters-" + Guid.NewGuid().ToString("N"));
        try
        {
            report.WriteTables(dir);
            var csv = File.ReadAllLines(Path.Combine(dir, "rater_quality_ordinal.csv"));
            Assert.Equal("answers,rater,labels,discrimination,se,discrimination_lower,discrimination_upper,reliability,reliability_lower,reliability_upper", csv[0]);
            Assert.Equal(14, csv.Length);
            Assert.True(File.Exists(Path.Combine(dir, "item_difficulty_dawid_skene.json")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Report_section_says_what_is_missing_when_there_is_too_little_data()
    {
        var one = StudyReportBuilder.Build(Study(likert: false, participants: 1) with { BootstrapReplicates = 5, Permutations = 5 }).Sections.Single(s => s.Id == "rater-quality");
        Assert.Empty(one.Tables);
        Assert.Contains(one.Paragraphs, p => p.Contains("Pairwise answers: answered annotation pairs come from one rater only", StringComparison.Ordinal));
        Assert.Contains(one.Paragraphs, p => p.Contains("Likert ratings: the study has none", StringComparison.Ordinal));

        var input = Study(likert: false) with { BootstrapReplicates = 5, Permutations = 5 };
        var disjoint = input with { Rows = [.. input.Rows.Where(r => r.PairId % 7 == r.ParticipantId % 7)] };
        var section = StudyReportBuilder.Build(disjoint).Sections.Single(s => s.Id == "rater-quality");
        Assert.Contains(section.Paragraphs, p => p.Contains("no item (pair and criterion, or image and question) was answered by two raters", StringComparison.Ordinal));

        var empty = StudyReportBuilder.Build(input with { Rows = [] }).Sections.Single(s => s.Id == "rater-quality");
        Assert.Contains(empty.Paragraphs, p => p.Contains("the study has no answered annotation pairs", StringComparison.Ordinal));
    }
}
