using System.Diagnostics;
using System.Globalization;
using Pluralist.Analysis.Agreement;

namespace Pluralist.Benchmarks.Analysis;

/// <summary>
/// Krippendorff's alpha and the GAI permutation test on a DIVE-sized synthetic study:
/// 100,000 Likert ratings (1–5) from 600 raters on 2,000 items, raters in groups on two axes.
/// The reference is a naive alpha over every ordered pair of values in each item, in the same process.
/// Options: <c>--permutations N</c> (default 1000), <c>--ratings N</c> (default 100000).
/// </summary>
public sealed class AnalysisBench : IBenchSuite
{
    public string Name => "analysis";

    public string Description => "Krippendorff's alpha and GAI with permutations on 100,000 ratings from 600 raters";

    public Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var permutations = Option(args, "--permutations", 1000);
        var count = Option(args, "--ratings", 100_000);
        var (ratings, profiles) = Synthetic(count, raters: 600, items: 2000, seed: 1);
        output.WriteLine($"# analysis: {ratings.Count:N0} ratings, 600 raters, 2,000 items, {Environment.ProcessorCount} logical CPUs (shared with other work)");
        output.WriteLine();
        output.WriteLine("| measurement | level | time | result | relative |");
        output.WriteLine("|---|---|---:|---:|---:|");

        foreach (var level in new[] { MeasurementLevel.Nominal, MeasurementLevel.Ordinal, MeasurementLevel.Interval })
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (naiveTime, naive) = Time(() => NaiveAlpha(ratings, level), 1);
            var (fastTime, fast) = Time(() => Krippendorff.Alpha(ratings, level).Alpha, 5);
            output.WriteLine($"| naive alpha (all value pairs per item) | {level} | {Ms(naiveTime)} | {naive:F6} | 1 |");
            output.WriteLine($"| Krippendorff.Alpha (incl. coding the strings) | {level} | {Ms(fastTime)} | {fast:F6} | {naiveTime / fastTime:F1}x faster |");
        }

        // Reference for the permutation loop: one permutation done with the public calls (string
        // ratings filtered per group, Alpha and CrossReliability per group), timed and scaled to N.
        var (naivePermutation, _) = Time(() => NaivePermutation(ratings, profiles, new Random(3)), 2);
        output.WriteLine(
            $"| GAI reference: per group Alpha + CrossReliability on filtered ratings, 1 permutation x {permutations} (extrapolated), 1 thread | Interval | " +
            $"{Ms(naivePermutation * permutations)} | | 1 |");

        var unit = Time(() => Krippendorff.Alpha(ratings, MeasurementLevel.Interval).Alpha, 5).Seconds;
        foreach (var threads in new[] { 1, Environment.ProcessorCount }.Distinct())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var options = new GaiOptions { Level = MeasurementLevel.Interval, Permutations = permutations, Seed = 7, MaxDegreeOfParallelism = threads };
            var (seconds, report) = Time(() => GroupAssociationIndex.Analyze(ratings, profiles, ["gender", "age"], options), 1);
            var groups = report.Groups.Count;
            var planted = report.Groups.Single(g => g.Axis == "gender" && g.Group == "g0");
            output.WriteLine(
                $"| GAI, {permutations} permutations, {groups} groups (2 axes + intersection), {threads} thread{(threads == 1 ? "" : "s")} | Interval | {Ms(seconds)} | " +
                $"GAI(g0) {planted.Gai:F3}, p {planted.PGai:F4} | {seconds / unit:F0} alpha calls; {naivePermutation * permutations / seconds:F0}x faster than the reference ({seconds / permutations * 1000:F2} ms per permutation) |");
        }

        return Task.CompletedTask;
    }

    private static int NaivePermutation(List<Rating> ratings, List<RaterProfile> profiles, Random rng)
    {
        var shuffled = profiles.Select(p => p.Markers).OrderBy(_ => rng.Next()).ToList();
        var markers = profiles.Select((p, i) => (p.Rater, Markers: shuffled[i])).ToDictionary(t => t.Rater, t => t.Markers);
        var groups = 0;
        foreach (var axis in new[] { "gender", "age", "gender×age" })
        {
            string Key(string rater) => axis == "gender×age" ? $"{markers[rater]["gender"]}×{markers[rater]["age"]}" : markers[rater][axis]!;
            foreach (var group in profiles.Select(p => Key(p.Rater)).Distinct())
            {
                var inside = ratings.Where(r => Key(r.Rater) == group).ToList();
                var outside = ratings.Where(r => Key(r.Rater) != group).ToList();
                var gai = Krippendorff.Alpha(inside, MeasurementLevel.Interval).Alpha / Krippendorff.CrossReliability(inside, outside, MeasurementLevel.Interval).Xrr;
                groups += double.IsNaN(gai) ? 0 : 1;
            }
        }

        return groups;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Ms(double seconds) => $"{seconds * 1000:F1} ms";

    private static (double Seconds, T Result) Time<T>(Func<T> run, int repeats)
    {
        var result = run(); // warm-up (JIT)
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            result = run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }

        return (best, result);
    }

    /// <summary>Items with a latent value; group g0 of the gender axis shares an item-specific shift.</summary>
    private static (List<Rating>, List<RaterProfile>) Synthetic(int count, int raters, int items, int seed)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var latent = Enumerable.Range(0, items).Select(_ => Normal()).ToArray();
        var shift = Enumerable.Range(0, items).Select(_ => Normal()).ToArray();
        var profiles = Enumerable.Range(0, raters).Select(r => new RaterProfile($"r{r}", new Dictionary<string, string?>
        {
            ["gender"] = $"g{r % 3}",
            ["age"] = $"a{rng.Next(4)}",
        })).ToList();
        var ratings = new List<Rating>(count);
        var perItem = count / items;
        for (var u = 0; u < items; u++)
        {
            var n = u < count % items ? perItem + 1 : perItem;
            foreach (var r in Enumerable.Range(0, raters).OrderBy(_ => rng.Next()).Take(n))
            {
                var x = latent[u] + (r % 3 == 0 ? shift[u] : 0) + Normal();
                ratings.Add(new Rating($"i{u}", $"r{r}", Math.Clamp(Math.Round(x + 3), 1, 5)));
            }
        }

        return (ratings, profiles);
    }

    /// <summary>Alpha from the definition: every ordered pair of values within each item (Krippendorff 2011).</summary>
    private static double NaiveAlpha(List<Rating> ratings, MeasurementLevel level)
    {
        var units = ratings.GroupBy(r => r.Item).Select(g => g.Select(r => r.Value).ToArray()).Where(v => v.Length >= 2).ToList();
        var values = units.SelectMany(v => v).Distinct().Order().ToArray();
        var n = units.Sum(v => v.Length);
        var marg = values.ToDictionary(v => v, v => (double)units.Sum(u => u.Count(x => x == v)));
        double Delta(double c, double k)
        {
            if (c == k)
            {
                return 0;
            }

            return level switch
            {
                MeasurementLevel.Nominal => 1,
                MeasurementLevel.Interval => (c - k) * (c - k),
                _ => Math.Pow(marg.Where(kv => kv.Key >= Math.Min(c, k) && kv.Key <= Math.Max(c, k)).Sum(kv => kv.Value) - ((marg[c] + marg[k]) / 2), 2),
            };
        }

        var delta = values.ToDictionary(c => c, c => values.ToDictionary(k => k, k => Delta(c, k)));
        double observed = 0;
        foreach (var u in units)
        {
            double s = 0;
            foreach (var a in u)
            {
                foreach (var b in u)
                {
                    s += delta[a][b];
                }
            }

            observed += s / (u.Length - 1);
        }

        double expected = 0;
        foreach (var c in values)
        {
            foreach (var k in values)
            {
                expected += marg[c] * marg[k] * delta[c][k];
            }
        }

        return 1 - ((observed / n) / (expected / ((double)n * (n - 1))));
    }
}
