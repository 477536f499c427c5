namespace Pluralist.Web.Infrastructure;

/// <summary>Where a <c>back=</c> parameter may send the browser: a path of this site only.</summary>
public static class LocalUrl
{
    /// <summary>
    /// True for <c>/</c> and <c>/path…</c>; false for anything else, including <c>//host</c> and <c>/\host</c>
    /// (browsers read both as another site) and text with control characters. The rule of ASP.NET Core's
    /// <c>LocalRedirect</c>, checked first so that a bad value falls back instead of throwing.
    /// </summary>
    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/')
        {
            return false;
        }

        if (url.Length == 1)
        {
            return true;
        }

        return url[1] is not ('/' or '\\') && !url.Any(char.IsControl);
    }

    /// <summary><paramref name="url"/> when it is local (<see cref="IsLocal"/>), else <paramref name="fallback"/>.</summary>
    public static string OrDefault(string? url, string fallback) => IsLocal(url) ? url! : fallback;
}
