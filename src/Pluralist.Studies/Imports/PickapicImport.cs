using Pluralist.Data;
using Pluralist.Data.Imports;

namespace Pluralist.Studies.Imports;

/// <summary>Imports Pick-a-Pic-style Parquet pairs with image bytes as a one-criterion study (<see cref="PickapicReader"/>).</summary>
public static class PickapicImport
{
    /// <param name="Path">A .parquet file, a folder of them, or a dataset folder with <c>data/*.parquet</c>.</param>
    /// <param name="Key">The new study's key (default <c>pickapic-import</c>).</param>
    /// <param name="Language">The language of the captions.</param>
    public sealed record Request(string Path, string? Key = null, string Language = "en");

    public static async Task<DatasetImportResult> RunAsync(DataDirectory data, DatabaseOptions options, Request request, ImportLimits limits,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        DatasetImport.CheckRequest(request.Key, request.Language);
        var rows = progress is null ? null : new MidSpaceImport.Progress(n => progress.Report($"checked {n:N0} rows"));
        using var read = await PickapicReader.ReadAsync(request.Path, request.Key, request.Language, limits, rows, ct).ConfigureAwait(false);
        progress?.Report("checked: no problems found");
        return await DatasetImport.WriteAsync(data, options, read, "import.pickapic", progress, ct).ConfigureAwait(false);
    }
}
