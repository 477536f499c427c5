using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Core.Privacy;
using Pluralist.Data;
using Pluralist.Data.Datasets;

namespace Pluralist.Studies.Console.Dataset;

/// <summary>
/// Browses a study's pairs and answers with filters. With an identity group among the filters, every number
/// shown obeys <see cref="MinimumGroupSize"/> for the people it is drawn from, whatever the other filters.
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

    public static async Task<DatasetView> LoadAsync(PluralistDbContext db, Study study, DatasetFilter filter, int take, CancellationToken ct)
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

        var rows = dataset.Rows.Where(r =>
            (filter.Prompt is null || r.PromptId == filter.Prompt) &&
            (filter.Criterion is null || r.Criterion == filter.Criterion) &&
            (filter.Batch is null || r.BatchId == filter.Batch) &&
            (filter.Participant is null || pseudonyms.GetValueOrDefault(r.ParticipantId) == filter.Participant) &&
            (inGroup is null || inGroup.Contains(r.ParticipantId))).ToList();

        // The group narrowed by the other filters (one participant, one prompt…) must still be k people or more.
        if (inGroup is not null && suppressed == GroupSuppression.None && !MinimumGroupSize.MayShow(rows, r => r.ParticipantId, study.MinGroupSize))
        {
            suppressed = GroupSuppression.FiltersTooNarrow;
        }

        if (suppressed != GroupSuppression.None)
        {
            rows = [];
        }

        var pairs = await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, ct);
        var promptOf = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, i => i.PromptId, ct);
        var byPair = rows.GroupBy(r => r.PairId).ToList();
        var hidden = false;
        if (inGroup is not null)
        {
            // Per pair too: a pair answered by fewer than k of the group's people would tell who they are.
            var shown = byPair.Where(g => MinimumGroupSize.MayShow(g, r => r.ParticipantId, study.MinGroupSize)).ToList();
            hidden = shown.Count < byPair.Count;
            byPair = shown;
        }

        var views = byPair.Select(g =>
        {
            var p = pairs[g.Key];
            var answered = g.Where(r => r.Preference is not null).Select(r => r.Preference!.Value).ToList();
            var bins = new int[5];
            foreach (var v in answered)
            {
                bins[Bin(v)]++;
            }

            return new PairView(p.Id, p.Kind, promptOf[p.Image0Id], dataset.Captions.GetValueOrDefault(promptOf[p.Image0Id], ""), p.Image0Id, p.Image1Id,
                answered.Count, answered.Count == 0 ? null : answered.Average(), bins, g.Count(r => r.Preference is null));
        }).OrderByDescending(v => v.Answers).ThenBy(v => v.PairId).ToList();

        return new DatasetView(views.Count, views.Sum(v => v.Answers), views.Take(take).ToList(),
            [.. dataset.Captions.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value))], groups, suppressed, hidden);
    }
}
