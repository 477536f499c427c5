using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Core.Privacy;
using Pluralist.Data;
using Pluralist.Data.Datasets;

namespace Pluralist.Studies.Console.Dataset;

/// <summary>
/// Browses a study's pairs and answers with filters: by default the answers the study's latest cleaning run kept (all
/// answers, labelled uncleaned, when it has none), or with <see cref="DatasetFilter.Dropped"/> the ones it dropped and
/// why. With an identity group among the filters, every number shown obeys <see cref="MinimumGroupSize"/> for the
/// people it is drawn from, whatever the other filters.
/// </summary>
public static class DatasetViewer
{
    /// <summary>Bin edges of the oriented preference: [-1, -0.6), [-0.6, -0.2), [-0.2, 0.2], (0.2, 0.6], (0.6, 1].</summary>
    public static int Bin(double preference) => preference switch
    {
        < -0.6 => 0,
        < -0.2 => 1,
        <= 0.2 => 2,
        <= 0.6 => 3,
        _ => 4,
    };

    public static async Task<DatasetView> LoadAsync(PluralistDbContext db, Study study, DatasetFilter filter, int pageSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(filter);
        var dataset = await StudyDatasetLoader.LoadAsync(db, study.Key, ct);
        var pseudonyms = await db.Participants.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, p => p.Pseudonym, ct);
        var participantIds = dataset.Rows.Select(r => r.ParticipantId).Distinct().ToList();

        // The groups one may filter on: consented, and at least the study's minimum size.
        var groups = new List<(string, string)>();
        var members = new Dictionary<(string, string), HashSet<long>>();
        foreach (var marker in study.IdentityMarkers)
        {
            foreach (var g in (await StudyDatasetLoader.ConsentedGroupsAsync(db, participantIds, [marker], ct)).GroupBy(kv => kv.Value, kv => kv.Key))
            {
                if (MinimumGroupSize.MayShow(g.Count(), study.MinGroupSize))
                {
                    groups.Add((marker, g.Key));
                    members[(marker, g.Key)] = [.. g];
                }
            }
        }

        var latest = await CleaningStore.LatestAsync(db, study.Id, ct);
        Rows split;
        if (latest is null)
        {
            split = new Rows(dataset.Rows, [], CleaningState.None(dataset.Rows.Count));
        }
        else
        {
            var (kept, dropped, late) = latest.Apply(dataset.Rows);
            split = new Rows(kept, dropped, new CleaningState(latest.Run.Id, latest.Run.CreatedAt, latest.Run.RulesVersion, kept.Count, dropped.Count, late.Count));
        }

        return Build(split, filter, dataset.Captions, id => pseudonyms.GetValueOrDefault(id, ""), groups, members, study.MinGroupSize, pageSize);
    }

    /// <summary>A study's answers split by cleaning: what was kept (all answers when never cleaned), what was dropped and why.</summary>
    public sealed record Rows(IReadOnlyList<CleaningRow> Kept, IReadOnlyList<RowVerdict> Dropped, CleaningState Cleaning);

    /// <summary>
    /// The view of <paramref name="rows"/> under <paramref name="filter"/>: the console's and the public viewer's. Groups
    /// not in <paramref name="members"/> are refused; <paramref name="participant"/> names a participant (pseudonym or
    /// opaque number) for the participant filter and the dropped list.
    /// </summary>
    public static DatasetView Build(Rows rows, DatasetFilter filter, IReadOnlyDictionary<long, string> captions, Func<long, string> participant,
        IReadOnlyList<(string Marker, string Group)> groups, IReadOnlyDictionary<(string, string), HashSet<long>> members, int minGroupSize, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var suppressed = GroupSuppression.None;
        HashSet<long>? inGroup = null;
        if (filter.Marker is not null || filter.Group is not null)
        {
            if (filter.Marker is null || filter.Group is null || !members.TryGetValue((filter.Marker, filter.Group), out inGroup))
            {
                suppressed = GroupSuppression.GroupTooSmall;
                inGroup = [];
            }
        }

        bool Matches(CleaningRow r) =>
            (filter.Prompt is null || r.PromptId == filter.Prompt) &&
            (filter.Criterion is null || r.Criterion == filter.Criterion) &&
            (filter.Batch is null || r.BatchId == filter.Batch) &&
            (filter.MinPreference is null || r.Preference >= filter.MinPreference) &&
            (filter.MaxPreference is null || r.Preference <= filter.MaxPreference) &&
            (filter.Participant is null || participant(r.ParticipantId) == filter.Participant) &&
            (inGroup is null || inGroup.Contains(r.ParticipantId));

        var prompts = captions.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)).ToList();
        if (filter.Dropped)
        {
            var dropped = rows.Dropped.Where(v => Matches(v.Row)).ToList();
            // The group narrowed by the other filters must still be k people or more, as for the kept answers.
            if (inGroup is not null && suppressed == GroupSuppression.None && !MinimumGroupSize.MayShow(dropped, v => v.Row.ParticipantId, minGroupSize))
            {
                suppressed = GroupSuppression.FiltersTooNarrow;
            }

            if (suppressed != GroupSuppression.None)
            {
                dropped = [];
            }

            var reasons = dropped.GroupBy(v => (v.DroppedBy!, v.ReasonCode!))
                .Select(g => new DropReasonCount(g.Key.Item1, g.Key.Item2, DropReasons.Describe(g.Key.Item2), g.Count()))
                .OrderByDescending(r => r.Answers).ThenBy(r => r.ReasonCode, StringComparer.Ordinal).ToList();
            // Answer by answer only without a group: a list of one group's answers would tell who answered what.
            var withheld = inGroup is not null;
            var (page, count) = Paging(filter.Page, withheld ? 0 : dropped.Count, pageSize);
            var listed = withheld ? [] : dropped.OrderBy(v => v.Row.AnswerId).Skip((page - 1) * pageSize).Take(pageSize)
                .Select(v => new DroppedAnswer(v.Row.AnswerId, v.Row.PairId, v.Row.PromptId, captions.GetValueOrDefault(v.Row.PromptId, ""), v.Row.Image0Id, v.Row.Image1Id,
                    v.Row.Criterion, v.Row.Preference, participant(v.Row.ParticipantId), v.DroppedBy!, v.ReasonCode!, DropReasons.Describe(v.ReasonCode!))).ToList();
            return new DatasetView(0, 0, [], prompts, groups, suppressed, false)
            {
                Cleaning = rows.Cleaning,
                Reasons = reasons,
                DroppedRows = listed,
                DroppedTotal = dropped.Count,
                DroppedRowsWithheld = withheld,
                Page = page,
                PageCount = count,
            };
        }

        var kept = rows.Kept.Where(Matches).ToList();
        // The group narrowed by the other filters (one participant, one prompt…) must still be k people or more.
        if (inGroup is not null && suppressed == GroupSuppression.None && !MinimumGroupSize.MayShow(kept, r => r.ParticipantId, minGroupSize))
        {
            suppressed = GroupSuppression.FiltersTooNarrow;
        }

        if (suppressed != GroupSuppression.None)
        {
            kept = [];
        }

        var byPair = kept.GroupBy(r => r.PairId).ToList();
        var hidden = false;
        if (inGroup is not null)
        {
            // Per pair too: a pair answered by fewer than k of the group's people would tell who they are.
            var shown = byPair.Where(g => MinimumGroupSize.MayShow(g, r => r.ParticipantId, minGroupSize)).ToList();
            hidden = shown.Count < byPair.Count;
            byPair = shown;
        }

        var views = byPair.Select(g =>
        {
            var first = g.First();
            var answered = g.Where(r => r.Preference is not null).Select(r => r.Preference!.Value).ToList();
            var bins = new int[5];
            foreach (var v in answered)
            {
                bins[Bin(v)]++;
            }

            return new PairView(first.PairId, first.PairKind, first.PromptId, captions.GetValueOrDefault(first.PromptId, ""), first.Image0Id, first.Image1Id,
                answered.Count, answered.Count == 0 ? null : answered.Average(), bins, g.Count(r => r.Preference is null));
        }).OrderByDescending(v => v.Answers).ThenBy(v => v.PairId).ToList();

        var (p, pages) = Paging(filter.Page, views.Count, pageSize);
        return new DatasetView(views.Count, views.Sum(v => v.Answers), views.Skip((p - 1) * pageSize).Take(pageSize).ToList(), prompts, groups, suppressed, hidden)
        {
            Cleaning = rows.Cleaning,
            Page = p,
            PageCount = pages,
        };
    }

    /// <summary>The page asked for, within 1..the number of pages (at least one page, even when empty).</summary>
    public static (int Page, int Count) Paging(int asked, int items, int pageSize)
    {
        var count = Math.Max(1, (items + pageSize - 1) / pageSize);
        return (Math.Clamp(asked, 1, count), count);
    }
}
