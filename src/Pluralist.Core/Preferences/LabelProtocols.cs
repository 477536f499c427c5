using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;

namespace Pluralist.Core.Preferences;

/// <summary>How slider answers become training labels (see docs/datasets.md).</summary>
public enum LabelProtocol
{
    /// <summary>Sign per criterion (0 dropped), majority across the answer's criteria, ties dropped. Published LIVS protocol.</summary>
    Livs = 0,

    /// <summary>One label per answered, non-neutral criterion.</summary>
    PerCriterion = 1,

    /// <summary>p(image_0 preferred) = (1 - preference) / 2, averaged over the answer's criteria; neutrals kept as 0.5.</summary>
    Soft = 2,

    /// <summary>All answers on one pair combined (see <see cref="AggregateMethod"/>).</summary>
    Aggregate = 3,
}

/// <summary>How the aggregate protocol combines answers on one pair.</summary>
public enum AggregateMethod
{
    /// <summary>Mean of the answers' mean oriented preferences; label from its sign, soft label (1 - mean) / 2.</summary>
    Mean = 0,

    /// <summary>Majority of the answers' LIVS labels; ties dropped; soft label = share of votes for image_0.</summary>
    Majority = 1,

    /// <summary>Bradley-Terry strengths of the images within a prompt from the answers' LIVS labels; soft label = s0 / (s0 + s1).</summary>
    BradleyTerry = 2,
}

/// <summary>Options for <see cref="Labeler.Build"/>.</summary>
public sealed record LabelOptions
{
    public LabelProtocol Protocol { get; init; } = LabelProtocol.Livs;

    public AggregateMethod Aggregate { get; init; } = AggregateMethod.Mean;

    /// <summary>For <see cref="LabelProtocol.Soft"/>: one label per criterion instead of per answer.</summary>
    public bool SoftPerCriterion { get; init; }

    /// <summary>Only these criteria are used; null = all.</summary>
    public IReadOnlySet<string>? Criteria { get; init; }

    /// <summary>Only answers of these participants; null = all.</summary>
    public IReadOnlySet<long>? Participants { get; init; }

    /// <summary>Consented identity groups per participant (one group label each; absent = no consented group).</summary>
    public IReadOnlyDictionary<long, string>? Groups { get; init; }

    /// <summary>Only answers of participants in this group.</summary>
    public string? RestrictToGroup { get; init; }

    /// <summary>Weight per group (participants without a listed group get 1).</summary>
    public IReadOnlyDictionary<string, double>? GroupWeights { get; init; }

    /// <summary>Only pairs of this kind are labelled (checks and gold pairs are not training data).</summary>
    public PairKind PairKind { get; init; } = PairKind.Annotation;
}

/// <summary>
/// A labelled pair. <c>Label0</c> is 1 when image_0 is preferred, 0 when image_1 is, 0.5 for a tie
/// (Pick-a-Pic convention); <c>SoftLabel</c> is p(image_0 preferred).
/// </summary>
public sealed record PreferenceLabel(
    long PairId,
    long PromptId,
    long Image0Id,
    long Image1Id,
    string? Criterion,
    double Label0,
    double SoftLabel,
    double Weight,
    long? ParticipantId,
    string? Group,
    IReadOnlyList<long> SourceAnswers);

/// <summary>Builds labels from cleaned rows.</summary>
public static class Labeler
{
    public static IReadOnlyList<PreferenceLabel> Build(IEnumerable<CleaningRow> keptRows, LabelOptions options)
    {
        ArgumentNullException.ThrowIfNull(keptRows);
        ArgumentNullException.ThrowIfNull(options);
        var rows = keptRows.Where(r => r.PairKind == options.PairKind && r.Preference is not null)
            .Where(r => options.Criteria is null || options.Criteria.Contains(r.Criterion))
            .Where(r => options.Participants is null || options.Participants.Contains(r.ParticipantId))
            .Where(r => options.RestrictToGroup is null || GroupOf(options, r.ParticipantId) == options.RestrictToGroup)
            .ToList();
        var answers = rows.GroupBy(r => r.AnnotationId).OrderBy(g => g.Key).Select(g => g.OrderBy(r => r.Position).ToList()).ToList();
        var labels = new List<PreferenceLabel>();
        switch (options.Protocol)
        {
            case LabelProtocol.Livs:
                foreach (var a in answers)
                {
                    if (Livs(a) is { } l)
                    {
                        labels.Add(Make(a, null, l, l, options));
                    }
                }

                break;
            case LabelProtocol.PerCriterion:
                foreach (var r in answers.SelectMany(a => a).Where(r => r.Preference != 0))
                {
                    var l = r.Preference < 0 ? 1.0 : 0.0;
                    labels.Add(Make([r], r.Criterion, l, l, options));
                }

                break;
            case LabelProtocol.Soft:
                var units = options.SoftPerCriterion ? answers.SelectMany(a => a.Select(r => (Rows: new List<CleaningRow> { r }, Criterion: (string?)r.Criterion)))
                    : answers.Select(a => (Rows: a, Criterion: (string?)null));
                foreach (var (u, c) in units)
                {
                    var p = u.Average(r => SoftOf(r.Preference!.Value));
                    labels.Add(Make(u, c, p > 0.5 ? 1 : p < 0.5 ? 0 : 0.5, p, options));
                }

                break;
            case LabelProtocol.Aggregate:
                labels.AddRange(AggregateLabels(answers, options));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Protocol, "unknown label protocol");
        }

        return labels;
    }

    /// <summary>The soft mapping: preference -1 (image_0 strongly preferred) -> 1, 0 -> 0.5, +1 -> 0.</summary>
    public static double SoftOf(double preference) => (1 - Math.Clamp(preference, -1, 1)) / 2;

    /// <summary>The LIVS label of one answer: 1 if more criteria prefer image_0, 0 if more prefer image_1, null on a tie or all neutral.</summary>
    public static double? Livs(IEnumerable<CleaningRow> answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        int v0 = 0, v1 = 0;
        foreach (var r in answer)
        {
            if (r.Preference < 0)
            {
                v0++;
            }
            else if (r.Preference > 0)
            {
                v1++;
            }
        }

        return v0 == v1 ? null : v0 > v1 ? 1 : 0;
    }

    private static string? GroupOf(LabelOptions o, long participant) =>
        o.Groups is not null && o.Groups.TryGetValue(participant, out var g) ? g : null;

    private static double WeightOf(LabelOptions o, long participant) =>
        o.GroupWeights is not null && GroupOf(o, participant) is { } g && o.GroupWeights.TryGetValue(g, out var w) ? w : 1.0;

    private static PreferenceLabel Make(List<CleaningRow> rows, string? criterion, double label0, double soft, LabelOptions o)
    {
        var first = rows[0];
        var participant = rows.All(r => r.ParticipantId == first.ParticipantId) ? first.ParticipantId : (long?)null;
        var group = participant is { } p ? GroupOf(o, p) : o.RestrictToGroup;
        var weight = participant is { } q ? WeightOf(o, q) : rows.GroupBy(r => r.AnnotationId).Average(g => WeightOf(o, g.First().ParticipantId));
        return new PreferenceLabel(first.PairId, first.PromptId, first.Image0Id, first.Image1Id, criterion, label0, soft, weight, participant, group,
            rows.Select(r => r.AnswerId).Order().ToList());
    }

    private static IEnumerable<PreferenceLabel> AggregateLabels(List<List<CleaningRow>> answers, LabelOptions o)
    {
        var byPair = answers.GroupBy(a => a[0].PairId).OrderBy(g => g.Key).ToList();
        Dictionary<long, double>? strength = null;
        if (o.Aggregate == AggregateMethod.BradleyTerry)
        {
            strength = BradleyTerry(answers);
        }

        foreach (var pair in byPair)
        {
            var all = pair.SelectMany(a => a).ToList();
            switch (o.Aggregate)
            {
                case AggregateMethod.Mean:
                    {
                        var mean = pair.Average(a => a.Average(r => r.Preference!.Value));
                        yield return Make(all, null, mean < 0 ? 1 : mean > 0 ? 0 : 0.5, SoftOf(mean), o);
                        break;
                    }

                case AggregateMethod.Majority:
                    {
                        var votes = pair.Select(Livs).Where(v => v is not null).Select(v => v!.Value).ToList();
                        if (votes.Count == 0)
                        {
                            break;
                        }

                        var share = votes.Average();
                        if (share != 0.5)
                        {
                            yield return Make(all, null, share > 0.5 ? 1 : 0, share, o);
                        }

                        break;
                    }

                default:
                    {
                        var f = all[0];
                        var s0 = strength![f.Image0Id];
                        var s1 = strength[f.Image1Id];
                        var p = s0 / (s0 + s1);
                        yield return Make(all, null, p > 0.5 ? 1 : p < 0.5 ? 0 : 0.5, p, o);
                        break;
                    }
            }
        }
    }

    // Bradley-Terry strengths by the MM algorithm (Hunter 2004) on the answers' LIVS votes, images
    // compared only within their prompt; each image gets half a win against a virtual opponent of
    // strength 1 in both directions so that strengths stay finite for unbeaten or winless images.
    private static Dictionary<long, double> BradleyTerry(List<List<CleaningRow>> answers)
    {
        var games = new List<(long Winner, long Loser)>();
        var images = new HashSet<long>();
        foreach (var a in answers)
        {
            var f = a[0];
            images.Add(f.Image0Id);
            images.Add(f.Image1Id);
            if (Livs(a) is { } l)
            {
                games.Add(l == 1 ? (f.Image0Id, f.Image1Id) : (f.Image1Id, f.Image0Id));
            }
        }

        var s = images.ToDictionary(i => i, _ => 1.0);
        for (var iter = 0; iter < 200; iter++)
        {
            var wins = images.ToDictionary(i => i, _ => 0.5);
            var denom = images.ToDictionary(i => i, i => 1.0 / (s[i] + 1.0));
            foreach (var (w, l) in games)
            {
                wins[w] += 1;
                var d = 1.0 / (s[w] + s[l]);
                denom[w] += d;
                denom[l] += d;
            }

            var next = images.ToDictionary(i => i, i => wins[i] / denom[i]);
            var delta = images.Max(i => Math.Abs(next[i] - s[i]));
            s = next;
            if (delta < 1e-10)
            {
                break;
            }
        }

        return s;
    }
}

/// <summary>Seeded train/validation/test split by prompt: no prompt appears in two splits.</summary>
public static class PromptSplitter
{
    /// <summary>Assigns each prompt to "train", "validation" or "test". Fractions must be non-negative and sum to at most 1; the rest is train.</summary>
    public static IReadOnlyDictionary<long, string> Split(IEnumerable<long> promptIds, int seed, double validation = 0.1, double test = 0.1)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        if (validation < 0 || test < 0 || validation + test > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validation), "split fractions must be non-negative and sum to at most 1");
        }

        var ids = promptIds.Distinct().Order().ToArray();
        new Random(seed).Shuffle(ids);
        var nTest = (int)Math.Round(ids.Length * test);
        var nVal = (int)Math.Round(ids.Length * validation);
        var result = new Dictionary<long, string>();
        for (var i = 0; i < ids.Length; i++)
        {
            result[ids[i]] = i < nTest ? "test" : i < nTest + nVal ? "validation" : "train";
        }

        return result;
    }
}
