using System.Globalization;
using Pluralist.Core.Text;
using Pluralist.Data.Bundles;

namespace Pluralist.Data.Imports;

/// <summary>
/// The located errors of one import. The first <see cref="Max"/> are kept; later ones are only
/// counted, so a file with a million bad rows costs neither a million error objects nor a page
/// that lists them all.
/// </summary>
public sealed class ImportErrors(int max)
{
    public int Max { get; } = max > 0 ? max : throw new ArgumentOutOfRangeException(nameof(max));

    /// <summary>Where readers add errors (<see cref="CsvTable"/> writes here); call <see cref="Trim"/> after each row.</summary>
    public List<CsvError> List { get; } = [];

    /// <summary>Errors found past <see cref="Max"/>.</summary>
    public int Omitted { get; private set; }

    /// <summary>All errors found, listed or not.</summary>
    public int Count => List.Count + Omitted;

    public void Add(CsvError error)
    {
        List.Add(error);
        Trim();
    }

    /// <summary>Drops the errors past <see cref="Max"/>, counting them.</summary>
    public void Trim()
    {
        if (List.Count > Max)
        {
            Omitted += List.Count - Max;
            List.RemoveRange(Max, List.Count - Max);
        }
    }

    /// <summary>The exception that reports these errors.</summary>
    public BundleException ToException()
    {
        Trim();
        return new BundleException([.. List], Omitted);
    }

    /// <summary>One line per listed error, then "… and N more" when some were only counted.</summary>
    public IEnumerable<string> Lines()
    {
        Trim();
        return Lines(List, Omitted, Max);
    }

    /// <summary>The same lines for any list of errors (the first <paramref name="max"/> of them).</summary>
    public static IEnumerable<string> Lines(IReadOnlyCollection<CsvError> errors, int omitted, int max)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var more = omitted + Math.Max(0, errors.Count - max);
        foreach (var e in errors.Take(max))
        {
            yield return e.ToString();
        }

        if (more > 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"… and {more} more problems ({errors.Count + omitted} in all; the first {max} are listed)");
        }
    }
}
