namespace Pluralist.Core.Model;

/// <summary>
/// A participant who entered through a recruitment panel: their panel id (unique within the study, so a second
/// entry resumes) and the ids of their latest entry.
/// </summary>
public sealed class PanelEntry
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public long ParticipantId { get; set; }

    /// <summary>The value of the study's participant parameter.</summary>
    public string PanelParticipantId { get; set; } = "";

    /// <summary>Every configured parameter's value at the latest entry (the participant's included).</summary>
    public Dictionary<string, string> Ids { get; set; } = [];

    public DateTimeOffset FirstEnteredAt { get; set; }

    public DateTimeOffset LastEnteredAt { get; set; }

    /// <summary>How many times the link was followed (1 for the first entry).</summary>
    public int Entries { get; set; } = 1;
}
