namespace Pluralist.Studies.Participation;

/// <summary>What using an invitation code came to.</summary>
public enum JoinOutcome
{
    Joined,
    Unknown,
    Expired,
    Used,
}
