using Pluralist.Data;
using Pluralist.Data.Imports;

namespace Pluralist.Studies.Imports;

/// <summary>Imports the LIVS release (MID-Space) as a study: check everything (<see cref="MidSpaceReader"/>), then write it in one transaction.</summary>
public static class MidSpaceImport
{
    /// <param name="Path">The release folder (or .zip) with <c>preferences.csv</c>, or the CSV itself.</param>
    /// <param name="Key">The new study's key (default <c>mid-space</c>).</param>
    /// <param name="Language">The language of the prompts.</param>
    public sealed record Request(string Path, string? Key = null, string Language = "en");

    /// <summary>Validates the whole release (progress: "checked N rows"), then writes it; nothing is written when anything is wrong.</summary>
    public static async Task<DatasetImportResult> RunAsync(DataDirectory data, DatabaseOptions options, Request request, ImportLimits limits,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        DatasetImport.CheckRequest(request.Key, request.Language);
        var rows = progress is null ? null : new Progress(n => progress.Report($"checked {n:N0} rows"));
        using var read = new DatasetRead(MidSpaceReader.Read(request.Path, request.Key, request.Language, limits, rows), []);
        progress?.Report("checked: no problems found");
        return await DatasetImport.WriteAsync(data, options, read, "import.mid-space", progress, ct).ConfigureAwait(false);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    internal sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
