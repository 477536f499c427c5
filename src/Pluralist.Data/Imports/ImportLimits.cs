using System.Globalization;

namespace Pluralist.Data.Imports;

/// <summary>
/// What one import may read: upload and archive sizes, entry counts, inflation, image pixels and
/// how many errors it reports. Bound from the <c>Pluralist:Imports</c> configuration section (the
/// web app) or the same keys as environment variables (<c>Pluralist__Imports__MaxImagePixels</c>,
/// for the CLI too); docs/formats.md lists them with their defaults.
/// </summary>
public sealed class ImportLimits
{
    public const string Section = "Pluralist:Imports";

    /// <summary>A console upload of an image pool (the whole request), in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 512L << 20;

    /// <summary>A CSV uploaded on its own to the console (pairs, invitations), in bytes.</summary>
    public long MaxCsvUploadBytes { get; set; } = 8L << 20;

    /// <summary>Entries in one .zip archive.</summary>
    public int MaxArchiveEntries { get; set; } = 20_000;

    /// <summary>One file of a bundle or archive once inflated, in bytes (counted while inflating).</summary>
    public long MaxEntryBytes { get; set; } = 256L << 20;

    /// <summary>All files of one import once inflated, in bytes (counted while inflating).</summary>
    public long MaxTotalBytes { get; set; } = 4L << 30;

    /// <summary>Inflated size over compressed size of one archive entry, checked once it passes 1 MiB.</summary>
    public double MaxCompressionRatio { get; set; } = 100;

    /// <summary>Width times height of one image, read from its header before anything is decoded.</summary>
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>Errors listed for one import; the rest are counted ("… and N more").</summary>
    public int MaxReportedErrors { get; set; } = 50;

    /// <summary>An entry is allowed to inflate this far before its compression ratio is judged.</summary>
    public const long RatioFloorBytes = 1L << 20;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is not positive.</summary>
    public ImportLimits Validated()
    {
        foreach (var (name, value) in new (string, double)[]
        {
            (nameof(MaxUploadBytes), MaxUploadBytes), (nameof(MaxCsvUploadBytes), MaxCsvUploadBytes), (nameof(MaxArchiveEntries), MaxArchiveEntries),
            (nameof(MaxEntryBytes), MaxEntryBytes), (nameof(MaxTotalBytes), MaxTotalBytes), (nameof(MaxCompressionRatio), MaxCompressionRatio),
            (nameof(MaxImagePixels), MaxImagePixels), (nameof(MaxReportedErrors), MaxReportedErrors),
        })
        {
            if (!(value > 0))
            {
                throw new ArgumentException($"{Section}:{name} must be positive, not {value.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        return this;
    }

    /// <summary>A size for messages: <c>512 MiB</c>, <c>20 KiB</c>, <c>300 bytes</c>.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{(bytes >> 30).ToString(CultureInfo.InvariantCulture)} GiB",
        >= 1L << 20 => $"{(bytes / (double)(1 << 20)).ToString("0.#", CultureInfo.InvariantCulture)} MiB",
        >= 1L << 10 => $"{(bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture)} KiB",
        _ => $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes",
    };
}
