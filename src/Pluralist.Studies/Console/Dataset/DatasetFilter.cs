namespace Pluralist.Studies.Console.Dataset;

/// <summary>What the dataset viewer filters on; null means all.</summary>
public sealed record DatasetFilter(long? Prompt, string? Criterion, long? Batch, string? Participant, string? Marker, string? Group);
