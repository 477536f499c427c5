using Pluralist.Core.Model;

namespace Pluralist.Core.Assignments;

/// <summary>What an assignment shows with its pair: the criteria in the order shown and the side image_0 is on.</summary>
/// <param name="Criteria">Criterion keys in the order shown; no key twice.</param>
/// <param name="Image0OnLeft">True when image_0 is shown on the left.</param>
public sealed record AssignmentDraw(IReadOnlyList<string> Criteria, bool Image0OnLeft)
{
    /// <summary>The assignment that serves this draw of <paramref name="pairId"/> to a participant.</summary>
    public Assignment ToAssignment(long participantId, long pairId, long? batchId, string language, DateTimeOffset servedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(language);
        return new Assignment
        {
            ParticipantId = participantId,
            PairId = pairId,
            BatchId = batchId,
            CriteriaShown = [.. Criteria],
            Image0OnLeft = Image0OnLeft,
            Language = language,
            ServedAt = servedAt,
        };
    }
}

/// <summary>
/// The rules that build an assignment (LIVS: 3 of the 6 criteria, a random side), in one place for the participant app,
/// the demo simulation and the closed experiment: how many criteria a pair shows, which ones (least shown first, see
/// <see cref="CriteriaBalancer"/>), in which order, and whether image_0 is on the left (a fair coin).
/// </summary>
/// <remarks>
/// A draw takes from its <see cref="Random"/> exactly what <see cref="CriteriaBalancer.Choose"/> takes, then one
/// <c>Next(2)</c> for the side, so a seeded source gives the same criteria, order and sides as before this type existed.
/// </remarks>
public sealed class AssignmentBuilder
{
    /// <param name="criteria">Keys of the criteria that may be shown (the active ones), in the study's order.</param>
    /// <param name="criteriaPerPair">How many criteria each pair shows; at least 1, capped at the number of criteria.</param>
    /// <exception cref="ArgumentException">No criteria, an empty key, or a key listed twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="criteriaPerPair"/> is below 1.</exception>
    public AssignmentBuilder(IReadOnlyList<string> criteria, int criteriaPerPair)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        if (criteria.Count == 0)
        {
            throw new ArgumentException("An assignment needs at least one criterion to show; none was given (are all of the study's criteria retired?).", nameof(criteria));
        }

        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < criteria.Count; i++)
        {
            var key = criteria[i];
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new ArgumentException($"Criterion {i} has an empty key.", nameof(criteria));
            }

            if (!first.TryAdd(key, i))
            {
                throw new ArgumentException($"Criterion '{key}' is listed twice (at {first[key]} and {i}); a pair shows each criterion at most once.", nameof(criteria));
            }
        }

        if (criteriaPerPair < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(criteriaPerPair), criteriaPerPair, $"Each pair shows at least one criterion; criteriaPerPair is {criteriaPerPair}.");
        }

        Criteria = [.. criteria];
        CriteriaPerPair = Math.Min(criteriaPerPair, criteria.Count);
    }

    /// <summary>The criteria that may be shown, in the order given.</summary>
    public IReadOnlyList<string> Criteria { get; }

    /// <summary>How many criteria each draw shows: the requested number, capped at the number of criteria.</summary>
    public int CriteriaPerPair { get; }

    /// <summary>The rules of a study: its active (not retired) criteria in position order, <see cref="Study.CriteriaPerPair"/> of them per pair.</summary>
    /// <exception cref="ArgumentException">The study has no active criterion, or its criteria per pair is below 1; the message names the study.</exception>
    public static AssignmentBuilder For(Study study)
    {
        ArgumentNullException.ThrowIfNull(study);
        var active = study.Criteria.Where(c => !c.Retired).OrderBy(c => c.Position).Select(c => c.Key).ToList();
        if (active.Count == 0)
        {
            throw new ArgumentException($"Study '{study.Key}' has no active criterion to show with a pair.", nameof(study));
        }

        if (study.CriteriaPerPair < 1)
        {
            throw new ArgumentException($"Study '{study.Key}': criteriaPerPair is {study.CriteriaPerPair}; each pair shows at least one criterion.", nameof(study));
        }

        return new AssignmentBuilder(active, study.CriteriaPerPair);
    }

    /// <summary>
    /// Draws the criteria of the next assignment (least shown first, ties and order at random) and its side, and adds
    /// the drawn criteria to <paramref name="timesShown"/> so the next draw balances against them.
    /// </summary>
    /// <param name="timesShown">How often each key has been shown so far (missing keys count as 0); updated.</param>
    /// <param name="random">Source of randomness; seed it for reproducible draws.</param>
    /// <param name="timesShownToJudge">How often each key has been shown to the participant being served; when given,
    /// balanced first (<see cref="CriteriaBalancer.Choose"/>).</param>
    public AssignmentDraw Draw(Dictionary<string, long> timesShown, Random random, IReadOnlyDictionary<string, long>? timesShownToJudge = null)
    {
        ArgumentNullException.ThrowIfNull(timesShown);
        ArgumentNullException.ThrowIfNull(random);
        var criteria = CriteriaBalancer.Choose(Criteria, timesShown, CriteriaPerPair, random, timesShownToJudge);
        foreach (var key in criteria)
        {
            timesShown[key] = timesShown.GetValueOrDefault(key) + 1;
        }

        var image0OnLeft = random.Next(2) == 0;
        return new AssignmentDraw(criteria, image0OnLeft);
    }
}
