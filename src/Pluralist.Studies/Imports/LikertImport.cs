using Pluralist.Data;
using Pluralist.Data.Imports;

namespace Pluralist.Studies.Imports;

/// <summary>Imports DIVE-style Likert ratings (the Adversarial Nibbler validation files are one layout) as a Likert study (<see cref="LikertCsvReader"/>).</summary>
public static class LikertImport
{
    /// <param name="Path">The ratings CSV (its folder holds the images), or a folder or .zip with <c>ratings.csv</c>.</param>
    /// <param name="Key">The new study's key (default <c>likert-import</c>).</param>
    /// <param name="Language">The language of prompts and questions.</param>
    /// <param name="MarkersConsented">The release's raters consented to the publication of their demographic columns: import them as identity markers.</param>
    /// <param name="Question">The question asked, for a file without a <c>question</c> column.</param>
    public sealed record Request(string Path, string? Key = null, string Language = "en", bool MarkersConsented = false, string? Question = null);

    public static async Task<DatasetImportResult> RunAsync(DataDirectory data, DatabaseOptions options, Request request, ImportLimits limits,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        DatasetImport.CheckRequest(request.Key, request.Language);
        var rows = progress is null ? null : new MidSpaceImport.Progress(n => progress.Report($"checked {n:N0} rows"));
        using var read = LikertCsvReader.Read(request.Path, request.Key, request.Language, request.MarkersConsented, request.Question, limits, rows);
        progress?.Report("checked: no problems found");
        return await DatasetImport.WriteAsync(data, options, read, "import.likert", progress, ct).ConfigureAwait(false);
    }
}
