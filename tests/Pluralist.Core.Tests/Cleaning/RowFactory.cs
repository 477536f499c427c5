using Pluralist.Core.Cleaning;

namespace Pluralist.Core.Tests.Cleaning;

internal static class RowFactory
{
    private static long nextId = 1;

    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>One annotation with the given scores (as shown, image_0 on the left unless said otherwise).</summary>
    public static List<CleaningRow> Answer(long participant, long pair, params double?[] scores) =>
        Answer(participant, pair, 10_000, T0, scores);

    public static List<CleaningRow> Answer(long participant, long pair, int clientMs, DateTimeOffset at, params double?[] scores)
    {
        var annotation = Interlocked.Increment(ref nextId) * 100;
        string[] criteria = ["safety", "comfort", "inclusivity", "accessibility", "diversity", "invitingness"];
        return scores.Select((s, i) => new CleaningRow
        {
            AnswerId = annotation + i,
            AnnotationId = annotation,
            AssignmentId = annotation,
            ParticipantId = participant,
            BatchId = 1,
            PairId = pair,
            PromptId = pair / 10,
            Image0Id = pair * 2,
            Image1Id = (pair * 2) + 1,
            Criterion = criteria[i],
            Position = i,
            ScoreAsShown = s,
            ClientMs = clientMs,
            ServerMs = clientMs + 200,
            SubmittedAt = at,
            ClientRequestId = "req-" + annotation,
        }).ToList();
    }

    public static RuleConfig Rule(string name, params (string Key, double Value)[] parameters)
    {
        var (reason, defaults) = CleaningRuleSet.Known[name];
        var p = new Dictionary<string, double>(defaults);
        foreach (var (k, v) in parameters)
        {
            p[k] = v;
        }

        return new RuleConfig(name, reason, p, name == "too-fast" ? "client" : null);
    }
}
