namespace Pluralist.Studies.Console.Dataset;

/// <summary>
/// What the dataset viewer filters on; null means all. <see cref="Dropped"/> switches from the answers cleaning kept to
/// the ones it dropped; <see cref="MinPreference"/> and <see cref="MaxPreference"/> bound each answer's oriented
/// preference (inclusive; unanswered criteria never match a bound); <see cref="Page"/> counts from 1.
/// </summary>
public sealed record DatasetFilter(long? Prompt, string? Criterion, long? Batch, string? Participant, string? Marker, string? Group,
    bool Dropped = false, double? MinPreference = null, double? MaxPreference = null, int Page = 1);
