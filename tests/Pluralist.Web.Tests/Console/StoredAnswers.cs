using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Web.Tests;

/// <summary>Writes an answer straight to the database, as the app stores one: an assignment, then its annotation.</summary>
internal static class StoredAnswers
{
    /// <param name="db">The context.</param>
    /// <param name="participantId">Who answered.</param>
    /// <param name="pair">The pair answered.</param>
    /// <param name="image0OnLeft">Which side image_0 was shown on.</param>
    /// <param name="scores">The criteria in the order shown, each with its score as shown (-1 left … +1 right; null = not answered).</param>
    public static async Task AddAsync(PluralistDbContext db, long participantId, Pair pair, bool image0OnLeft, params (string Criterion, double? Score)[] scores)
    {
        var assignment = new Assignment
        {
            ParticipantId = participantId,
            PairId = pair.Id,
            CriteriaShown = [.. scores.Select(s => s.Criterion)],
            Image0OnLeft = image0OnLeft,
            ServedAt = DateTimeOffset.UtcNow,
        };
        db.Assignments.Add(assignment);
        await db.SaveChangesAsync();
        db.Annotations.Add(new Annotation
        {
            AssignmentId = assignment.Id,
            ParticipantId = participantId,
            PairId = pair.Id,
            ClientRequestId = $"stored-{pair.Id}-{assignment.Id}",
            SubmittedAt = DateTimeOffset.UtcNow,
            Scores = [.. scores.Select((s, i) => new AnnotationScore { CriterionKey = s.Criterion, Position = i, Score = s.Score })],
        });
        await db.SaveChangesAsync();
    }
}
