namespace Pluralist.Studies.Accounts;

/// <summary>A message to one person, already written in their language.</summary>
public sealed record EmailMessage(string To, string Subject, string Body, string Language)
{
    /// <summary>
    /// The header values to write: the recipient must be a checked address (<see cref="EmailAddresses"/>) and the
    /// subject loses any line break, so that no value can add a header of its own.
    /// </summary>
    public (string To, string Subject, string Language) SafeHeaders()
    {
        if (EmailAddresses.Normalize(To, out var problem) is null)
        {
            throw new ArgumentException($"refusing to send to '{EmailAddresses.Shown(To)}': {problem}");
        }

        static string OneLine(string s) => string.Concat(s.Select(c => char.IsControl(c) ? ' ' : c));
        return (To.Trim(' '), OneLine(Subject), OneLine(Language));
    }
}
