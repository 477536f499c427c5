using System.Globalization;
using Pluralist.Core.Text;

namespace Pluralist.Pipeline.Selection;

/// <summary>One candidate image of a prompt: an id (file name, image id), its embedding and an optional quality score.</summary>
public sealed record Candidate(string Id, float[] Embedding, double Quality = 1);

/// <summary>The candidates of one prompt.</summary>
public sealed record CandidateGroup(string PromptId, IReadOnlyList<Candidate> Candidates);

/// <summary>Settings of a selection job.</summary>
public sealed record SelectionOptions
{
    /// <summary>How many images to keep per prompt (LIVS kept 4 of 20).</summary>
    public int K { get; init; } = 4;

    public SelectionMethod Method { get; init; } = SelectionMethod.Greedy;

    /// <summary>MMR lambda (default 0.5) or the quality exponent alpha of the weighted method (default 1).</summary>
    public double Parameter { get; init; } = double.NaN;

    /// <summary>Random draws per prompt for the baseline Vendi score.</summary>
    public int RandomDraws { get; init; } = 100;

    public int Seed { get; init; } = 1;
}

/// <summary>The outcome for one prompt.</summary>
public sealed record SelectionResult(
    string PromptId,
    int Candidates,
    IReadOnlyList<string> Selected,
    double VendiSelected,
    double VendiRandomMean,
    double VendiRandomStd,
    double VendiAll);

/// <summary>The outcome of a job: per prompt, and the means over prompts.</summary>
public sealed record SelectionReport(SelectionOptions Options, IReadOnlyList<SelectionResult> Results)
{
    public double MeanVendiSelected => Results.Count == 0 ? double.NaN : Results.Average(r => r.VendiSelected);

    public double MeanVendiRandom => Results.Count == 0 ? double.NaN : Results.Average(r => r.VendiRandomMean);

    /// <summary>Fraction of prompts where the selected set's Vendi score is at least the random mean.</summary>
    public double FractionAtLeastRandom => Results.Count == 0 ? double.NaN : Results.Count(r => r.VendiSelected >= r.VendiRandomMean - 1e-12) / (double)Results.Count;

    /// <summary>Writes one row per prompt (prompt, candidates, selected ids joined by ';', Vendi scores) as CSV.</summary>
    public void WriteCsv(TextWriter writer)
    {
        var w = new CsvWriter(writer);
        w.WriteRow("prompt", "candidates", "method", "k", "selected", "vendi_selected", "vendi_random_mean", "vendi_random_std", "vendi_all");
        foreach (var r in Results)
        {
            w.WriteRow(r.PromptId, r.Candidates.ToString(CultureInfo.InvariantCulture), Options.Method.ToToken(),
                Options.K.ToString(CultureInfo.InvariantCulture), string.Join(';', r.Selected), CsvWriter.Format(r.VendiSelected),
                CsvWriter.Format(r.VendiRandomMean), CsvWriter.Format(r.VendiRandomStd), CsvWriter.Format(r.VendiAll));
        }
    }
}

/// <summary>
/// Selects k of the N candidates of every prompt and compares the Vendi score of each chosen set with the mean over
/// seeded random k-subsets of the same candidates.
/// </summary>
public static class SelectionJob
{
    public static SelectionReport Run(IEnumerable<CandidateGroup> groups, SelectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.K, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RandomDraws, 1);
        var results = new List<SelectionResult>();
        foreach (var g in groups)
        {
            if (g.Candidates.Count == 0)
            {
                throw new ArgumentException($"prompt {g.PromptId} has no candidates", nameof(groups));
            }

            var s = Similarity.Cosine(g.Candidates.Select(c => c.Embedding).ToArray());
            // One generator per prompt, seeded from the job seed and the prompt id, so a prompt's baseline does not
            // depend on which other prompts are in the job.
            var random = new Random(unchecked(options.Seed * 31 + StableHash(g.PromptId)));
            var chosen = DiverseSelector.Select(options.Method, s, options.K, g.Candidates.Select(c => c.Quality).ToArray(), options.Parameter, random);
            var draws = new double[options.RandomDraws];
            for (int d = 0; d < draws.Length; d++)
            {
                draws[d] = Vendi.Score(s, DiverseSelector.Random(g.Candidates.Count, options.K, random));
            }

            double mean = draws.Average();
            double std = Math.Sqrt(draws.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, draws.Length - 1));
            results.Add(new SelectionResult(g.PromptId, g.Candidates.Count, chosen.Select(i => g.Candidates[i].Id).ToArray(),
                Vendi.Score(s, chosen), mean, std, Vendi.Score(s)));
        }

        return new SelectionReport(options, results);
    }

    private static int StableHash(string s)
    {
        // FNV-1a: string.GetHashCode and HashCode.Combine are randomised per process.
        uint h = 2166136261;
        foreach (var ch in s)
        {
            h = (h ^ ch) * 16777619;
        }

        return (int)h;
    }
}
