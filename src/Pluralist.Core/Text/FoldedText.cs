namespace Pluralist.Core.Text;

/// <summary>The comparison form of short free text that people type: a prompt, an answer to an identity question.</summary>
public static class FoldedText
{
    /// <summary>Trimmed, inner runs of white space made one space, lower case (invariant): "  Non  Binary" → "non binary"; null reads as "".</summary>
    public static string Fold(string? text) =>
        string.Join(' ', (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
}
