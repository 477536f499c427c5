using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Data.Bundles;
using Pluralist.Pipeline.Images;
using Pluralist.Studies.Console.Dataset;
using Pluralist.Studies.Console.Pools;

namespace Pluralist.Studies.Viewer;

/// <summary>
/// A released study bundle held for the public read-only viewer (<c>pluralist viewer serve</c>). Identity data is
/// removed when the bundle is opened, before anything can show it: consented markers, consents, the coding table and
/// the study's identity questions are dropped and participants are known only by an opaque number (1..n in the order
/// of their first answer in the bundle); pseudonyms are kept nowhere. Bundles carry no cleaning results: with a rules
/// set the answers are cleaned once when the bundle is opened (and the Likert ratings by the Likert rules), otherwise
/// every answer is shown as uncleaned.
/// </summary>
public sealed class PublicDataset : IDisposable
{
    private readonly StudyBundle bundle;
    private readonly DatasetViewer.Rows rows;
    private readonly Dictionary<long, int> rater = [];
    private readonly Dictionary<long, long> promptOf;
    private readonly Dictionary<long, string> captions;
    private readonly Dictionary<long, string> promptLanguages;
    private readonly Lock source = new();
    private readonly Dictionary<(long Id, int Width), byte[]> thumbnails = [];
    private readonly Queue<(long Id, int Width)> thumbnailOrder = new();
    private readonly Lock thumbnailLock = new();
    private long thumbnailBytes;

    private PublicDataset(StudyBundle bundle, CleaningRuleSet? rules, DateTimeOffset now)
    {
        this.bundle = bundle;
        Study = bundle.Study;
        bundle.IdentityAnswers.Clear();
        bundle.IdentityCodings.Clear();
        bundle.Consents.Clear();
        Study.IdentityMarkers.Clear();
        Study.IdentityQuestions.Clear();
        Study.GroupQuotas = null;
        Study.Panel = null;
        foreach (var p in bundle.Participants)
        {
            p.Pseudonym = "";
            p.Email = null;
        }

        // The reader leaves a rating's id as the file gives it (the column is optional): number them 1..n in file order.
        foreach (var (r, i) in bundle.Ratings.Select((r, i) => (r, i)))
        {
            r.Id = i + 1;
        }

        promptOf = bundle.Images.ToDictionary(i => i.Id, i => i.PromptId);
        captions = bundle.Prompts.ToDictionary(p => p.Id, p => p.Text);
        promptLanguages = bundle.Prompts.ToDictionary(p => p.Id, p => p.Language);
        var all = Rows(bundle);
        foreach (var id in all.Select(r => r.ParticipantId).Concat(bundle.Ratings.Select(r => r.ParticipantId)))
        {
            rater.TryAdd(id, rater.Count + 1);
        }

        if (rules is null)
        {
            rows = new DatasetViewer.Rows(all, [], CleaningState.None(all.Count));
        }
        else
        {
            var run = CleaningEngine.Run(all, rules);
            var kept = run.KeptRows.ToList();
            var dropped = run.Verdicts.Where(v => !v.Kept).ToList();
            rows = new DatasetViewer.Rows(kept, dropped, new CleaningState(null, now, run.Report.RulesVersion, kept.Count, dropped.Count, 0));
        }

        Cleaned = rules is not null;
    }

    /// <summary>The most bytes of thumbnails kept in memory (about 10,000 thumbnails of 160 pixels).</summary>
    public const long ThumbnailCacheBytes = 64L << 20;

    /// <summary>The study's settings, criteria and Likert items (no identity questions or markers).</summary>
    public Study Study { get; }

    /// <summary>Whether the answers and ratings were cleaned when the bundle was opened.</summary>
    public bool Cleaned { get; }

    /// <summary>Reads and checks the bundle (a folder or .zip); a bad bundle throws <see cref="BundleException"/> naming file, line and field.</summary>
    public static PublicDataset Open(string path, CleaningRuleSet? rules, DateTimeOffset now)
    {
        var bundle = BundleReader.Read(path);
        try
        {
            if (bundle.Streamed is not null || bundle.StreamedRatings is not null)
            {
                throw new BundleException($"{path}: the bundle's answers are streamed, which the viewer cannot hold");
            }

            return new PublicDataset(bundle, rules, now);
        }
        catch
        {
            bundle.Dispose();
            throw;
        }
    }

    /// <summary>Pairs and answers (the page of <paramref name="filter"/>); the participant and group filters are ignored: the viewer has neither.</summary>
    public DatasetView Answers(DatasetFilter filter, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var open = filter with { Participant = null, Marker = null, Group = null, Batch = null };
        return DatasetViewer.Build(rows, open, captions, Rater, [], new Dictionary<(string, string), HashSet<long>>(), Study.MinGroupSize, pageSize);
    }

    public LikertView Ratings(LikertFilter filter, string language, int pageSize) =>
        LikertViewer.Build(Study, bundle.Ratings, promptOf, captions, Rater, Cleaned, filter, language, pageSize);

    /// <summary>The bytes and media type of an image of the bundle, or null when it has no file for it.</summary>
    public (byte[] Bytes, string MediaType)? Image(long id)
    {
        if (!bundle.ImageFiles.TryGetValue(id, out var path) || bundle.Source is null)
        {
            return null;
        }

        var type = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            _ => null,
        };
        if (type is null)
        {
            return null;
        }

        // A zip archive is not safe for concurrent reads.
        lock (source)
        {
            using var stream = bundle.Source.Open(path);
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return (memory.ToArray(), type);
        }
    }

    /// <summary>
    /// A thumbnail of an image of the bundle at <paramref name="width"/> (one of <see cref="Thumbnails.Widths"/>; WebP,
    /// never upscaled), so that a page of 50 pairs sends a few kilobytes per image instead of the full files. Made on
    /// first use and kept in memory up to <see cref="ThumbnailCacheBytes"/> (the oldest dropped first); the bundle does
    /// not change while it is served, so a thumbnail never goes stale. Null when the bundle has no file for the image;
    /// <see cref="InvalidDataException"/> naming the image when its file does not decode.
    /// </summary>
    public byte[]? Thumbnail(long id, int width)
    {
        if (!Thumbnails.Widths.Contains(width))
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"thumbnail widths are {Thumbnails.Allowed}");
        }

        lock (thumbnailLock)
        {
            if (thumbnails.TryGetValue((id, width), out var cached))
            {
                return cached;
            }
        }

        if (Image(id) is not { } image)
        {
            return null;
        }

        var bytes = Thumbnails.Make(ImageCodec.Decode(image.Bytes, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"image {id}")), width);
        lock (thumbnailLock)
        {
            if (thumbnails.TryAdd((id, width), bytes))
            {
                thumbnailOrder.Enqueue((id, width));
                thumbnailBytes += bytes.Length;
                while (thumbnailBytes > ThumbnailCacheBytes && thumbnailOrder.TryDequeue(out var oldest))
                {
                    thumbnailBytes -= thumbnails[oldest].Length;
                    thumbnails.Remove(oldest);
                }
            }
        }

        return bytes;
    }

    /// <summary>The language a prompt is written in (its BCP 47 tag, as the study gives it), for the pages to mark its text.</summary>
    public string PromptLanguage(long promptId) => promptLanguages.GetValueOrDefault(promptId, "en");

    public void Dispose() => bundle.Dispose();

    private string Rater(long participant) => rater.TryGetValue(participant, out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";

    // One row per shown criterion of each answered assignment, as StudyDatasetLoader builds them from a database.
    private static List<CleaningRow> Rows(StudyBundle bundle)
    {
        var pairs = bundle.Pairs.ToDictionary(p => p.Id);
        var images = bundle.Images.ToDictionary(i => i.Id);
        var batches = bundle.Study.Batches.ToDictionary(b => b.Id);
        var assignments = bundle.Assignments.ToDictionary(a => a.Id);
        var withdrawn = bundle.Participants.ToDictionary(p => p.Id, p => p.WithdrawnAt);
        var reports = bundle.Reports.GroupBy(r => r.ImageId).ToDictionary(g => g.Key, g => g.Count());
        var list = new List<CleaningRow>();
        long answer = 0;
        foreach (var a in bundle.Annotations.OrderBy(a => a.Id))
        {
            var pair = pairs[a.PairId];
            var assignment = assignments[a.AssignmentId];
            var batch = assignment.BatchId is { } b && batches.TryGetValue(b, out var found) ? found : null;
            foreach (var s in a.Scores.OrderBy(s => s.Position))
            {
                list.Add(new CleaningRow
                {
                    AnswerId = ++answer,
                    AnnotationId = a.Id,
                    AssignmentId = a.AssignmentId,
                    ParticipantId = a.ParticipantId,
                    BatchId = assignment.BatchId,
                    PairId = pair.Id,
                    PromptId = images[pair.Image0Id].PromptId,
                    Image0Id = pair.Image0Id,
                    Image1Id = pair.Image1Id,
                    PairKind = pair.Kind,
                    ExpectedPreference = pair.ExpectedPreference,
                    Criterion = s.CriterionKey,
                    Position = s.Position,
                    ScoreAsShown = s.Score,
                    Image0OnLeft = assignment.Image0OnLeft,
                    ClientMs = a.ClientDurationMs,
                    ServerMs = a.ServerDurationMs,
                    SubmittedAt = a.SubmittedAt,
                    ClientRequestId = a.ClientRequestId,
                    ImageFlags = images[pair.Image0Id].Flags | images[pair.Image1Id].Flags,
                    ImageReports = reports.GetValueOrDefault(pair.Image0Id) + reports.GetValueOrDefault(pair.Image1Id),
                    BatchOpensAt = batch?.OpensAt,
                    BatchClosesAt = batch?.ClosesAt,
                    WithdrawnAt = withdrawn.GetValueOrDefault(a.ParticipantId),
                    WithdrawalPolicy = bundle.Study.WithdrawalPolicy,
                });
            }
        }

        return list;
    }
}
