namespace Pluralist.Web.Infrastructure;

/// <summary>
/// A switch in a query string (<c>?dropped=true</c>): on for <c>true</c>, <c>1</c>, <c>on</c> and <c>yes</c> in any case, off
/// otherwise. Model binding of <c>bool</c> reads only <c>true</c>/<c>false</c> and silently takes <c>?dropped=1</c> as off.
/// </summary>
public static class QueryFlag
{
    public static bool IsOn(string? value) =>
        value?.Trim().ToUpperInvariant() is "TRUE" or "1" or "ON" or "YES";
}
