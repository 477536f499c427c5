using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Datasets;

namespace Pluralist.Studies.Participation;

/// <summary>
/// DIVE-style quotas per identity group: a participant of group g gets items whose quota for g is
/// not met, least filled first. A place is claimed as a numbered slot (1..quota) under a unique
/// index, each claim in its own transaction, so two participants racing for the last place cannot
/// both get it: the loser's insert fails and it moves on to the next item.
/// </summary>
public sealed class QuotaPlaces(ParticipationStore store, CriteriaCounts criteriaCounts)
{
    private const int ClaimAttemptsPerItem = 3;

    private PluralistDbContext Db => store.Db;

    /// <summary>The participant's quota group (from consented identity answers only); <see cref="QuotaPicker.Unstratified"/> when outside every group.</summary>
    public async Task<string> GroupAsync(long participantId, GroupQuotas quotas, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        var markers = quotas.Dimensions.Select(d => d.Marker).ToList();
        var values = await StudyProvenance.ConsentedMarkersAsync(store.Db, [participantId], markers, ct);
        return QuotaPicker.GroupOf(quotas, values.GetValueOrDefault(participantId) ?? new Dictionary<string, string>());
    }

    /// <summary>The items of a kind still open to the group, in the order to try them.</summary>
    private async Task<IReadOnlyList<long>> OpenItemsAsync(Study study, QuotaItemKind kind, string group, int quota, IReadOnlyList<long> items, IReadOnlySet<long> excluded, CancellationToken ct)
    {
        var fills = await Db.QuotaSlots.AsNoTracking()
            .Where(s => s.StudyId == study.Id && s.ItemKind == kind && s.GroupKey == group)
            .GroupBy(s => s.ItemId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var candidates = items.Select(id => new QuotaCandidate(id, fills.GetValueOrDefault(id))).ToList();
        return QuotaPicker.Open(candidates, excluded, quota, Random.Shared);
    }

    /// <summary>
    /// Claims a place for the participant on the first item of <paramref name="order"/> whose quota
    /// for the group is not met; <paramref name="alongside"/> adds rows that must commit with it
    /// (the assignment of a pair). Returns the item, or null when every item is full.
    /// </summary>
    private async Task<long?> ClaimAsync(long participantId, Study study, QuotaItemKind kind, string group, int quota, IReadOnlyList<long> order, Func<long, object?> alongside, CancellationToken ct)
    {
        foreach (var item in order)
        {
            for (var attempt = 0; attempt < ClaimAttemptsPerItem; attempt++)
            {
                await using var tx = await Db.Database.BeginTransactionAsync(ct);
                var taken = await Db.QuotaSlots.AsNoTracking()
                    .Where(s => s.ItemKind == kind && s.ItemId == item && s.GroupKey == group)
                    .Select(s => s.Slot).ToListAsync(ct);
                if (QuotaPicker.FreeSlot(taken, quota) is not { } free)
                {
                    break;
                }

                var slot = new QuotaSlot { StudyId = study.Id, ItemKind = kind, ItemId = item, GroupKey = group, Slot = free, ParticipantId = participantId, ReservedAt = store.Now };
                Db.QuotaSlots.Add(slot);
                var extra = alongside(item);
                if (extra is not null)
                {
                    Db.Add(extra);
                }

                try
                {
                    await Db.SaveChangesAsync(ct);
                    await tx.CommitAsync(ct);
                    return item;
                }
                catch (DbUpdateException)
                {
                    // Someone else took this slot (or this participant already holds the item): look again.
                    await tx.RollbackAsync(ct);
                    Db.Entry(slot).State = EntityState.Detached;
                    if (extra is not null)
                    {
                        Db.Entry(extra).State = EntityState.Detached;
                    }

                    if (await Db.QuotaSlots.AnyAsync(s => s.ItemKind == kind && s.ItemId == item && s.ParticipantId == participantId, ct))
                    {
                        break;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The next pair under group quotas: attention-check and gold pairs at the study's rates (outside the quotas), else a quota place.</summary>
    public async Task<Assignment?> CreateAssignmentAsync(long participantId, Study study, Batch batch, GroupQuotas quotas, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(quotas);
        var pairs = await store.PairCandidatesAsync(study, batch, ct);
        var seen = await store.SeenPairsAsync(participantId, ct);
        var group = await GroupAsync(participantId, quotas, ct);
        var quota = QuotaPicker.QuotaOf(quotas, group);
        if (quota == 0)
        {
            return null;
        }

        var checks = pairs.Where(p => p.Kind is PairKind.AttentionCheck or PairKind.Gold).Select((p, i) => p with { Order = i }).ToList();
        if (PairPicker.Pick(checks, seen, batch.Distribution, batch.Overlap, study.AttentionCheckRate, study.GoldRate, Random.Shared) is { } check)
        {
            return await criteriaCounts.AssignAsync(Db, study, participantId, check.PairId, batch.Id, lang, store.Now, ct);
        }

        var regular = pairs.Where(p => p.Kind is PairKind.Annotation or PairKind.Evaluation).Select(p => p.PairId).ToList();
        var held = (await Db.QuotaSlots.Where(s => s.ParticipantId == participantId && s.ItemKind == QuotaItemKind.Pair).Select(s => s.ItemId).ToListAsync(ct)).ToHashSet();
        held.UnionWith(seen);
        var order = await OpenItemsAsync(study, QuotaItemKind.Pair, group, quota, regular, held, ct);
        if (order.Count == 0)
        {
            return null;
        }

        var draw = await criteriaCounts.DrawAsync(store.Db, study, ct, participantId);
        Assignment? made = null;
        var claimed = await ClaimAsync(participantId, study, QuotaItemKind.Pair, group, quota, order, pairId => made = draw.ToAssignment(participantId, pairId, batch.Id, lang, store.Now), ct);
        return claimed is null ? null : made;
    }

    /// <summary>The next image to rate under group quotas: one whose place the participant holds and has not rated yet, else a new place.</summary>
    public async Task<(long ImageId, long PromptId)?> NextImageAsync(long participantId, Study study, GroupQuotas quotas, CancellationToken ct)
    {
        var held = await Db.QuotaSlots.AsNoTracking()
            .Where(s => s.ParticipantId == participantId && s.ItemKind == QuotaItemKind.Image && s.StudyId == study.Id
                && !Db.LikertRatings.Any(r => r.ParticipantId == participantId && r.ImageId == s.ItemId))
            .Join(Db.Images.Where(i => i.Flags == ImageFlags.None), s => s.ItemId, i => i.Id, (s, i) => new { s.Id, ImageId = i.Id, i.PromptId })
            .OrderBy(x => x.Id).FirstOrDefaultAsync(ct);
        if (held is not null)
        {
            return (held.ImageId, held.PromptId);
        }

        var group = await GroupAsync(participantId, quotas, ct);
        var quota = QuotaPicker.QuotaOf(quotas, group);
        if (quota == 0)
        {
            return null;
        }

        var images = await Db.Images.AsNoTracking()
            .Where(i => i.StudyId == study.Id && i.Flags == ImageFlags.None)
            .OrderBy(i => i.Id).Select(i => new { i.Id, i.PromptId }).ToListAsync(ct);
        var mine = (await Db.QuotaSlots.Where(s => s.ParticipantId == participantId && s.ItemKind == QuotaItemKind.Image).Select(s => s.ItemId).ToListAsync(ct)).ToHashSet();
        mine.UnionWith(await Db.LikertRatings.Where(r => r.ParticipantId == participantId).Select(r => r.ImageId).Distinct().ToListAsync(ct));
        var order = await OpenItemsAsync(study, QuotaItemKind.Image, group, quota, images.Select(i => i.Id).ToList(), mine, ct);
        var claimed = await ClaimAsync(participantId, study, QuotaItemKind.Image, group, quota, order, _ => null, ct);
        return claimed is { } id ? (id, images.First(i => i.Id == id).PromptId) : null;
    }

    /// <summary>On withdrawal: places not yet answered go back to their group; all of them when the answers are deleted.</summary>
    public async Task ReleaseAsync(long participantId, bool all, CancellationToken ct)
    {
        var slots = Db.QuotaSlots.Where(s => s.ParticipantId == participantId);
        if (!all)
        {
            slots = slots.Where(s =>
                (s.ItemKind == QuotaItemKind.Pair && !Db.Annotations.Any(a => a.ParticipantId == participantId && a.PairId == s.ItemId)) ||
                (s.ItemKind == QuotaItemKind.Image && !Db.LikertRatings.Any(r => r.ParticipantId == participantId && r.ImageId == s.ItemId)));
        }

        await slots.ExecuteDeleteAsync(ct);
    }
}
