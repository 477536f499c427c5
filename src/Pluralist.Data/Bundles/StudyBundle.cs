using Pluralist.Core.Model;

namespace Pluralist.Data.Bundles;

/// <summary>
/// A whole study in memory, as a bundle carries it. The entities are the Core model's, but their
/// ids (and the ids they refer to) are bundle-local: 1..n per table in export order, or the ids of
/// the file a reader parsed. Participants are referred to by <see cref="Participant.Id"/> too; their
/// pseudonym is what files show. Image files stay in the <see cref="Source"/> until imported.
/// </summary>
public sealed class StudyBundle : IDisposable
{
    public StudyBundle(Study study, IBundleSource? source = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        Study = study;
        Source = source;
    }

    /// <summary>The study with its criteria, batches (bundle ids) and consent documents.</summary>
    public Study Study { get; }

    /// <summary>Where the image files are read from; null when the bundle was built from a database.</summary>
    public IBundleSource? Source { get; }

    public List<Scenario> Scenarios { get; } = [];
    public List<Prompt> Prompts { get; } = [];
    public List<Image> Images { get; } = [];
    public List<Pair> Pairs { get; } = [];
    public List<Participant> Participants { get; } = [];
    public List<ConsentRecord> Consents { get; } = [];
    public List<IdentityAnswer> IdentityAnswers { get; } = [];

    /// <summary>The study's coding table (rows whose answer some exported, consented answer gives).</summary>
    public List<IdentityCoding> IdentityCodings { get; } = [];
    public List<Assignment> Assignments { get; } = [];
    public List<Annotation> Annotations { get; } = [];
    public List<ImageReport> Reports { get; } = [];
    public List<LikertRating> Ratings { get; } = [];

    /// <summary>Image id to the path of its file in <see cref="Source"/> (or, for an export, on disk). Images without an entry are references.</summary>
    public Dictionary<long, string> ImageFiles { get; } = [];

    /// <summary>Image id to what the reader found in its file (format, size, hash): the importer stores only these.</summary>
    public Dictionary<long, Imaging.ImageFacts> CheckedImages { get; } = [];

    /// <summary>
    /// Answers too many to hold (dataset imports): the reader validated them and enumerates them again, in order, for
    /// the importer to write in batches. They come after <see cref="Assignments"/> / <see cref="Annotations"/>.
    /// </summary>
    public StreamedAnswers? Streamed { get; set; }

    /// <summary>Likert ratings too many to hold, enumerated again by the reader in the same way; they come after <see cref="Ratings"/>.</summary>
    public StreamedRatings? StreamedRatings { get; set; }

    /// <summary>
    /// The prompts, images, pairs and participants that the second pass of a streamed read (<see cref="Streamed"/>) creates as
    /// it first meets them; the importer writes them before the chunk of answers that refers to them. Null for a bundle that
    /// holds all its rows.
    /// </summary>
    internal FirstMetRows? FirstMet { get; set; }

    public void Dispose() => Source?.Dispose();
}

/// <summary>
/// <paramref name="Count"/> assignments, each answered by the annotation beside it (or shown and not answered: null),
/// that <paramref name="Read"/> enumerates from the reader's source. The importer enumerates them after it wrote the
/// bundle's pairs and participants (which then carry database ids), and the rows take their participant and pair ids
/// from those entities; the rows' own ids are not used. Enumerating gives the rows the reader checked, or throws <see cref="BundleException"/>
/// when the source changed since.
/// </summary>
public sealed record StreamedAnswers(long Count, Func<CancellationToken, IAsyncEnumerable<(Assignment Assignment, Annotation? Annotation)>> Read)
{
    /// <summary>Answers that a synchronous reader (a CSV) enumerates.</summary>
    public static StreamedAnswers Of(long count, Func<IEnumerable<(Assignment Assignment, Annotation? Annotation)>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return new(count, ct => Streams.Async(read(), ct));
    }
}

/// <summary>
/// <paramref name="Count"/> Likert ratings that <paramref name="Read"/> enumerates again from the reader's source, after the
/// bundle's images and participants were written: the ratings carry those entities' database ids. Throws
/// <see cref="BundleException"/> when the source changed since it was checked.
/// </summary>
public sealed record StreamedRatings(long Count, Func<CancellationToken, IAsyncEnumerable<LikertRating>> Read)
{
    /// <summary>Ratings that a synchronous reader (a CSV) enumerates.</summary>
    public static StreamedRatings Of(long count, Func<IEnumerable<LikertRating>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return new(count, ct => Streams.Async(read(), ct));
    }
}

internal static class Streams
{
    public static async IAsyncEnumerable<T> Async<T>(IEnumerable<T> items, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var item in items)
        {
            ct.ThrowIfCancellationRequested();
            yield return item;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary><paramref name="items"/> in lists of at most <paramref name="size"/>.</summary>
    public static async IAsyncEnumerable<List<T>> Chunks<T>(IAsyncEnumerable<T> items, int size, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var chunk = new List<T>(size);
        await foreach (var item in items.WithCancellation(ct).ConfigureAwait(false))
        {
            chunk.Add(item);
            if (chunk.Count == size)
            {
                yield return chunk;
                chunk = new List<T>(size);
            }
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }
}
