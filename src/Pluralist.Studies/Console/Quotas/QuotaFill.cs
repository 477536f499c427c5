using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Core.Privacy;
using Pluralist.Data;
using Pluralist.Data.Datasets;

namespace Pluralist.Studies.Console.Quotas;

/// <summary>Computes <see cref="QuotaReport"/>.</summary>
public static class QuotaFill
{
    /// <summary>How the unstratified remainder is named in reports.</summary>
    public const string UnstratifiedName = "*";

    public static async Task<QuotaReport> ComputeAsync(PluralistDbContext db, Study study, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        if (study.GroupQuotas is not { } quotas)
        {
            return new QuotaReport(study.Key, null, study.MinGroupSize, 0, 0, [], 0, 0, []);
        }

        var items = new List<(QuotaItemKind Kind, long Id)>();
        if (study.TaskType != TaskType.Likert)
        {
            items.AddRange((await db.Pairs.AsNoTracking()
                .Where(p => p.StudyId == study.Id && (p.Kind == PairKind.Annotation || p.Kind == PairKind.Evaluation))
                .OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct)).Select(id => (QuotaItemKind.Pair, id)));
        }

        if (study.TaskType != TaskType.Pairwise)
        {
            items.AddRange((await db.Images.AsNoTracking()
                .Where(i => i.StudyId == study.Id && i.Flags == ImageFlags.None)
                .OrderBy(i => i.Id).Select(i => i.Id).ToListAsync(ct)).Select(id => (QuotaItemKind.Image, id)));
        }

        // Members of each group: consented identity answers of the study's active participants only.
        var people = await db.Participants.AsNoTracking().Where(p => p.StudyId == study.Id && p.WithdrawnAt == null).Select(p => p.Id).ToListAsync(ct);
        var markers = await StudyProvenance.ConsentedMarkersAsync(db, people, quotas.Dimensions.Select(d => d.Marker).ToList(), ct);
        var members = people.GroupBy(p => QuotaPicker.GroupOf(quotas, markers.GetValueOrDefault(p) ?? new Dictionary<string, string>()))
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        // One row per place (an item has at most one place per participant), with whether its participant answered.
        var slots = await db.QuotaSlots.AsNoTracking().Where(s => s.StudyId == study.Id)
            .Select(s => new
            {
                s.ItemKind,
                s.ItemId,
                s.GroupKey,
                s.ParticipantId,
                Answered = (s.ItemKind == QuotaItemKind.Pair && db.Annotations.Any(a => a.ParticipantId == s.ParticipantId && a.PairId == s.ItemId)) ||
                    (s.ItemKind == QuotaItemKind.Image && db.LikertRatings.Any(r => r.ParticipantId == s.ParticipantId && r.ImageId == s.ItemId)),
            }).ToListAsync(ct);
        var places = slots.GroupBy(s => (s.ItemKind, s.ItemId, s.GroupKey)).ToDictionary(g => g.Key, g => g.Count());
        var answered = slots.Where(s => s.Answered).GroupBy(s => (s.ItemKind, s.ItemId, s.GroupKey)).ToDictionary(g => g.Key, g => g.Count());

        var groups = QuotaPicker.ListedGroups(quotas).Concat(members.Keys).Concat(slots.Select(p => p.GroupKey))
            .Where(g => g != QuotaPicker.Unstratified).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (quotas.Unstratified > 0 || members.ContainsKey(QuotaPicker.Unstratified) || slots.Any(p => p.GroupKey == QuotaPicker.Unstratified))
        {
            groups.Add(QuotaPicker.Unstratified);
        }

        var k = study.MinGroupSize;
        var shown = new List<QuotaGroupFill>();
        var suppressed = 0;
        var suppressedPeople = 0;
        foreach (var g in groups)
        {
            var n = members.GetValueOrDefault(g);
            if (!MinimumGroupSize.MayShow(n, k))
            {
                suppressed++;
                suppressedPeople += n;
                continue;
            }

            var quota = QuotaPicker.QuotaOf(quotas, g);
            var mine = slots.Where(s => s.GroupKey == g).ToList();
            var holders = MinimumGroupSize.MayShow(mine, s => s.ParticipantId, k);
            var answerers = MinimumGroupSize.MayShow(mine.Where(s => s.Answered), s => s.ParticipantId, k);
            shown.Add(new QuotaGroupFill(Name(g), n, quota,
                holders ? mine.Count : null,
                answerers ? mine.Count(s => s.Answered) : null,
                holders ? items.Count(i => quota > 0 && places.GetValueOrDefault((i.Kind, i.Id, g)) >= quota) : null));
        }

        // Per item: each cell is the number of the group's people holding (answering) a place on that item.
        int? Cell(Dictionary<(QuotaItemKind, long, string), int> counts, (QuotaItemKind, long, string) key) =>
            counts.GetValueOrDefault(key) is var c && MinimumGroupSize.MayShow(c, k) ? c : null;
        var shownKeys = groups.Where(g => MinimumGroupSize.MayShow(members.GetValueOrDefault(g), k)).ToList();
        var fills = items.Select(i => new QuotaItemFill(
            i.Kind == QuotaItemKind.Pair ? "pair" : "image", i.Id,
            shownKeys.ToDictionary(Name, g => Cell(places, (i.Kind, i.Id, g)), StringComparer.Ordinal),
            shownKeys.ToDictionary(Name, g => Cell(answered, (i.Kind, i.Id, g)), StringComparer.Ordinal))).ToList();

        // Complete: every group with a quota (listed, or seen) has met it; judged on all groups, shown or not.
        var quotaGroups = groups.Where(g => QuotaPicker.QuotaOf(quotas, g) > 0 && g != QuotaPicker.Unstratified).ToList();
        var complete = items.Count(i => quotaGroups.Count > 0 && quotaGroups.All(g => places.GetValueOrDefault((i.Kind, i.Id, g)) >= QuotaPicker.QuotaOf(quotas, g)));
        return new QuotaReport(study.Key, QuotaSettings.Of(quotas), study.MinGroupSize, items.Count, complete, shown, suppressed, suppressedPeople, fills);
    }

    private static string Name(string group) => group == QuotaPicker.Unstratified ? UnstratifiedName : group;
}
