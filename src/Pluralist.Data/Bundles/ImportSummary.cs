namespace Pluralist.Data.Bundles;

/// <summary>What an import wrote.</summary>
public sealed record ImportSummary(long StudyId, string Key, int Prompts, int Images, int ImageFiles, int Pairs, int Participants, int Assignments, int Annotations, int Scores, int Reports, int Ratings);
