using System.Globalization;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imports;

namespace Pluralist.Studies.Imports;

/// <summary>What a dataset import wrote, and what its reader wants said (rows skipped and why, columns left out, shown-but-unanswered rows).</summary>
public sealed record DatasetImportResult(ImportSummary Summary, IReadOnlyList<string> Notes);

/// <summary>
/// The shared second half of every dataset import (<see cref="MidSpaceImport"/>, <see cref="LikertImport"/>,
/// <see cref="PickapicImport"/>): the reader has validated the whole input and built the study; this writes it as a
/// new study in one transaction (<see cref="StudyImporter"/>), so on any error the database is unchanged.
/// </summary>
public static class DatasetImport
{
    /// <summary>Throws <see cref="StudyInputException"/> when <paramref name="key"/> (if given) is not a valid study key or <paramref name="language"/> not a language tag.</summary>
    public static void CheckRequest(string? key, string language)
    {
        ArgumentNullException.ThrowIfNull(language);
        if (key is not null && StudyKeys.Problem(key) is { } problem)
        {
            throw new StudyInputException($"--key: {problem}");
        }

        if (language.Length is < 2 or > 8 || !language.All(char.IsAsciiLetterLower))
        {
            throw new StudyInputException($"--language '{language}' is not a language tag (en, fr, …)");
        }
    }

    /// <summary>Writes <paramref name="read"/> into the database as a new study; <paramref name="action"/> names the import in the audit log.</summary>
    public static async Task<DatasetImportResult> WriteAsync(DataDirectory data, DatabaseOptions options, DatasetRead read, string action,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(read);
        data.EnsureCreated();
        await PluralistDatabase.MigrateAsync(options, ct: ct).ConfigureAwait(false);
        await using var db = PluralistDatabase.CreateContext(options);
        var unanswered = read.Bundle.Assignments.Count - read.Bundle.Annotations.Count;
        var summary = await StudyImporter.ImportAsync(db, data, read.Bundle, key: null, action, progress, ct).ConfigureAwait(false);
        var notes = read.Notes.ToList();
        if (unanswered > 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{unanswered} assignment(s) shown and not answered, imported as such"));
        }

        return new DatasetImportResult(summary, notes);
    }
}
