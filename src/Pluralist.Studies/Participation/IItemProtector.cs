namespace Pluralist.Studies.Participation;

/// <summary>
/// Protects the text of a rating item token with the host's keys, so that nobody can forge one; the web app
/// implements it with ASP.NET Core data protection.
/// </summary>
public interface IItemProtector
{
    /// <summary>The token for <paramref name="payload"/>, valid for <paramref name="lifetime"/>.</summary>
    string Protect(string payload, TimeSpan lifetime);

    /// <summary>The payload of a token, or null when it was not made here or has expired.</summary>
    string? Unprotect(string token);
}
