namespace Pluralist.Studies.Console.Dataset;

/// <summary>Why an identity-filtered view shows nothing.</summary>
public enum GroupSuppression
{
    None,

    /// <summary>The group asked for is not offered: below the minimum size among the study's answers, or not consented.</summary>
    GroupTooSmall,

    /// <summary>The other filters narrow the group's answers to fewer people than the minimum.</summary>
    FiltersTooNarrow,
}
