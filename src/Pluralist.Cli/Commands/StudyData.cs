using System.Globalization;
using Pluralist.Data;

namespace Pluralist.Cli;

/// <summary>Opening a study's database for the data verbs (clean, dataset, analyze study).</summary>
internal static class StudyData
{
    /// <summary>Refuses a database older than this Pluralist's schema with a message saying what to run.</summary>
    public static async Task RequireCurrentSchemaAsync(DatabaseOptions options, CancellationToken ct)
    {
        var version = await PluralistDatabase.GetSchemaVersionAsync(options, ct).ConfigureAwait(false);
        if (version < PluralistDatabase.LatestVersion)
        {
            throw new CliInputException(string.Create(CultureInfo.InvariantCulture,
                $"the database ({options}) has schema version {version}; this command needs {PluralistDatabase.LatestVersion}: run `pluralist db migrate` (or `pluralist init`) first"));
        }
    }

    /// <summary>The study's id, or bad input naming the known studies.</summary>
    public static async Task<Pluralist.Core.Model.Study> FindStudyAsync(PluralistDbContext db, string key, CancellationToken ct)
    {
        var study = await StudyStore.FindAsync(db, key, ct).ConfigureAwait(false);
        if (study is not null)
        {
            return study;
        }

        var known = (await StudyStore.ListAsync(db, ct).ConfigureAwait(false)).Select(s => s.Key).ToList();
        throw new CliInputException($"study '{key}': no such study; known studies: {(known.Count == 0 ? "none (run `pluralist init`)" : string.Join(", ", known))}");
    }
}
