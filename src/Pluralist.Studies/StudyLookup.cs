using System.Globalization;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies;

/// <summary>Opening a study's database for the data use cases (clean, dataset, study report).</summary>
public static class StudyLookup
{
    /// <summary>Refuses a database older than this Pluralist's schema with a message saying what to run.</summary>
    public static async Task RequireCurrentSchemaAsync(DatabaseOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var version = await PluralistDatabase.GetSchemaVersionAsync(options, ct).ConfigureAwait(false);
        if (version < PluralistDatabase.LatestVersion)
        {
            throw new StudyInputException(string.Create(CultureInfo.InvariantCulture,
                $"the database ({options}) has schema version {version}; this command needs {PluralistDatabase.LatestVersion}: run `pluralist db migrate` (or `pluralist init`) first"));
        }
    }

    /// <summary>The study with this key (or id), or bad input naming the known studies.</summary>
    public static async Task<Study> FindStudyAsync(PluralistDbContext db, string key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(key);
        var study = await StudyStore.FindAsync(db, key, ct).ConfigureAwait(false);
        if (study is not null)
        {
            return study;
        }

        var known = (await StudyStore.ListAsync(db, ct).ConfigureAwait(false)).Select(s => s.Key).ToList();
        throw new StudyInputException($"study '{key}': no such study; known studies: {(known.Count == 0 ? "none (run `pluralist init`)" : string.Join(", ", known))}");
    }
}
