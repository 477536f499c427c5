namespace Pluralist.Core.Model;

/// <summary>How a participant who came from a recruitment panel leaves the study.</summary>
public enum PanelOutcome
{
    /// <summary>They gave every answer asked of them.</summary>
    Completed = 0,

    /// <summary>Their identity group's quotas were full before they answered anything.</summary>
    ScreenedOut = 1,

    /// <summary>They withdrew.</summary>
    Withdrawn = 2,

    /// <summary>The study had nothing left for them before they reached their quota.</summary>
    NoWorkLeft = 3,
}
