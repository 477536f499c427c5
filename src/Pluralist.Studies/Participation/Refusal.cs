namespace Pluralist.Studies.Participation;

/// <summary>Why an answer was not applied.</summary>
public enum Refusal
{
    None,

    /// <summary>The participant withdrew (or is not a participant any more).</summary>
    NotCurrent,

    /// <summary>The batch of the assignment (for ratings: every batch of the study) is not open.</summary>
    BatchClosed,

    /// <summary>The client request id was already applied to another assignment or image.</summary>
    RequestIdReused,
}
