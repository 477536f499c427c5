using Pluralist.Core.Model;

namespace Pluralist.Core.Assignments;

/// <summary>A pair that could be handed out, with how often it has been assigned so far.</summary>
/// <param name="PairId">The pair.</param>
/// <param name="Kind">Annotation, evaluation, attention check or gold.</param>
/// <param name="TimesAssigned">Assignments of this pair to any participant so far.</param>
/// <param name="Order">Position in a fixed hand-out order (the pair's index in its batch).</param>
public sealed record PairCandidate(long PairId, PairKind Kind, int TimesAssigned, int Order);

/// <summary>
/// Chooses the next pair for a participant within a batch: attention-check and gold pairs are
/// mixed in at the study's rates, a participant never gets the same pair twice, and a regular pair
/// goes to at most K (the batch's overlap) distinct raters. Pairs already given to someone but
/// still under K come before fresh pairs, so pairs reach K before new ones are opened and
/// agreement can be measured early. Among those, the batch's distribution decides: random,
/// least-answered first (ties at random), or a fixed order.
/// </summary>
public static class PairPicker
{
    /// <summary>The next pair for the participant, or null when every pair is seen by them or already has its K raters.</summary>
    public static PairCandidate? Pick(
        IReadOnlyList<PairCandidate> candidates,
        IReadOnlySet<long> seenByParticipant,
        PairDistribution distribution,
        int overlap,
        double attentionCheckRate,
        double goldRate,
        Random random)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(seenByParticipant);
        ArgumentNullException.ThrowIfNull(random);

        var unseen = candidates.Where(c => !seenByParticipant.Contains(c.PairId)).ToList();
        if (unseen.Count == 0)
        {
            return null;
        }

        // Draw the kind of slot first, so check pairs appear at the study's rate.
        var draw = random.NextDouble();
        PairKind? special = draw < attentionCheckRate ? PairKind.AttentionCheck
            : draw < attentionCheckRate + goldRate ? PairKind.Gold
            : null;
        if (special is { } kind)
        {
            var pool = unseen.Where(c => c.Kind == kind).ToList();
            if (pool.Count > 0)
            {
                return pool[random.Next(pool.Count)];
            }
        }

        var regular = unseen.Where(c => c.Kind is PairKind.Annotation or PairKind.Evaluation).ToList();
        if (regular.Count == 0)
        {
            return null;
        }

        var k = Math.Max(1, overlap);
        var open = regular.Where(c => c.TimesAssigned > 0 && c.TimesAssigned < k).ToList();
        var eligible = open.Count > 0 ? open : regular.Where(c => c.TimesAssigned == 0).ToList();
        if (eligible.Count == 0)
        {
            return null;
        }

        return distribution switch
        {
            PairDistribution.Fixed => eligible.MinBy(c => c.Order),
            PairDistribution.LeastAnswered => LeastAnswered(eligible, random),
            _ => eligible[random.Next(eligible.Count)],
        };
    }

    private static PairCandidate LeastAnswered(List<PairCandidate> eligible, Random random)
    {
        var least = eligible.Min(c => c.TimesAssigned);
        var ties = eligible.Where(c => c.TimesAssigned == least).ToList();
        return ties[random.Next(ties.Count)];
    }
}
