namespace Pluralist.Core.Model;

/// <summary>What a panel participant is given on leaving with one outcome: a completion code to paste, a URL to go back to the panel, or both.</summary>
public sealed class PanelExit
{
    /// <summary>The code shown to copy into the panel; null: none.</summary>
    public string? Code { get; set; }

    /// <summary>An absolute http(s) URL the participant is sent back to (for example the panel's completion URL with its code); null: none.</summary>
    public string? RedirectUrl { get; set; }

    public PanelExit Clone() => new() { Code = Code, RedirectUrl = RedirectUrl };
}
