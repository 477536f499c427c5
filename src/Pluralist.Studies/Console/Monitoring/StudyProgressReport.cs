namespace Pluralist.Studies.Console.Monitoring;

/// <summary>Live progress of a study, or of one of its batches.</summary>
public sealed record StudyProgressReport(
    string Study,
    long? Batch,
    int Answers,
    int Participants,
    double? NeutralShare,
    double? MedianSeconds,
    int AttentionChecks,
    int AttentionFailed,
    int MinGroupSize,
    IReadOnlyList<CriterionProgress> Criteria,
    IReadOnlyList<DayProgress> Days,
    IReadOnlyList<ParticipantProgress> People,
    IReadOnlyList<GroupProgress> Groups,
    IReadOnlyList<SuppressedGroups> Suppressed,
    IReadOnlyList<ReportedImage> Reports,
    OverlapProgress Overlap);
