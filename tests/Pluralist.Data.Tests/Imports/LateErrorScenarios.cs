using System.Globalization;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imports;
using Pluralist.Data.Tests.Bundles;
using Pluralist.Testing;

namespace Pluralist.Data.Tests.Imports;

/// <summary>
/// The streaming importers on files longer than one write chunk (2,000 rows): a bad last row is found by the checking
/// pass and nothing is written; a last row that changes between the checking pass and the write pass fails the write
/// after earlier chunks went into the transaction, and the rollback leaves the database and the image store as they were.
/// </summary>
public static class LateErrorScenarios
{
    private const int Rows = 4500;

    private static string Work() => Directory.CreateTempSubdirectory("pluralist-late-").FullName;

    public static async Task MidSpace(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var before = await RichStudy.CountsAsync(tdb);
        var fixture = DatasetFixtures.MidSpaceRows();
        var rows = Enumerable.Range(0, Rows).Select(i => fixture[i % fixture.Count] with { PairId = string.Create(CultureInfo.InvariantCulture, $"p{i}") }).ToList();
        var last = Rows + 1; // the header is line 1

        var bad = DatasetFixtures.WriteMidSpace(Work(), rows, lines => lines[^1] = FirstScore(lines[^1], "1.5"));
        var e = Assert.Throws<BundleException>(() => MidSpaceReader.Read(bad));
        Assert.Equal([$"preferences.csv:{last}:6 (label1_score): 1.5 is outside [-1, 1]"], e.Errors.Select(x => x.ToString()));
        Assert.Equal(before, await RichStudy.CountsAsync(tdb));

        var good = DatasetFixtures.WriteMidSpace(Work(), rows);
        using var bundle = MidSpaceReader.Read(good);
        await WriteFailsAsync(tdb, before, bundle, () => Edit(Path.Combine(good, "preferences.csv"), l => FirstScore(l, "1.5")));
    }

    public static async Task Likert(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var before = await RichStudy.CountsAsync(tdb);
        var fixture = DatasetFixtures.LikertRows().Take(3).ToList(); // one rater's three items
        var rows = Enumerable.Range(0, Rows).Select(i => fixture[i % 3] with { Rater = string.Create(CultureInfo.InvariantCulture, $"r-{i / 3}") }).ToList();
        var last = Rows + 1;

        var folder = Work();
        var bad = DatasetFixtures.WriteLikert(folder, rows, lines => lines[^1] = lines[^1].Replace(",1,", ",9,", StringComparison.Ordinal));
        var e = Assert.Throws<BundleException>(() => LikertCsvReader.Read(bad));
        Assert.Equal([$"ratings.csv:{last}:6 (rating): 9 is not on the 1..5 scale"], e.Errors.Select(x => x.ToString()));
        Assert.Equal(before, await RichStudy.CountsAsync(tdb));

        var good = DatasetFixtures.WriteLikert(Work(), rows);
        using var read = LikertCsvReader.Read(good);
        Assert.Empty(read.Bundle.Ratings); // streamed, not held
        Assert.Equal(Rows, read.Bundle.StreamedRatings!.Count);
        await WriteFailsAsync(tdb, before, read.Bundle, () => Edit(good, l => l.Replace(",1,", ",9,", StringComparison.Ordinal)));
    }

    public static async Task Pickapic(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var before = await RichStudy.CountsAsync(tdb);
        var rows = Enumerable.Range(0, Rows).Select(i => new PickapicRow("a fountain in a plaza", i % 5, (i + 1) % 5, i % 2, 1000 + i, string.Create(CultureInfo.InvariantCulture, $"rk-{i}"))).ToList();

        var bad = Path.Combine(Work(), "bad.parquet");
        await DatasetFixtures.WritePickapicAsync(bad, [.. rows.SkipLast(1), rows[^1] with { Label0 = 2 }]);
        var e = await Assert.ThrowsAsync<BundleException>(() => PickapicReader.ReadAsync(bad));
        Assert.Equal([$"{bad}: {bad}: row {Rows}: column 'label_0' must be in [0, 1], got 2"], e.Errors.Select(x => x.ToString()));
        Assert.Equal(before, await RichStudy.CountsAsync(tdb));

        var good = Path.Combine(Work(), "train-00000-of-00001.parquet");
        await DatasetFixtures.WritePickapicAsync(good, rows);
        using var read = await PickapicReader.ReadAsync(good);
        Assert.Empty(read.Bundle.Annotations);
        Assert.Equal(Rows, read.Bundle.Streamed!.Count);
        // The last row now compares another pair of images than the one checked.
        await WriteFailsAsync(tdb, before, read.Bundle, () => DatasetFixtures.WritePickapicAsync(good, [.. rows.SkipLast(1), rows[^1] with { Image1 = (rows[^1].Image0 + 2) % 5 }]).GetAwaiter().GetResult());
    }

    // Imports a checked bundle after `change` altered its source's last row: refused, and nothing left behind.
    private static async Task WriteFailsAsync(TestDatabase tdb, Dictionary<string, int> before, StudyBundle bundle, Action change)
    {
        var data = RichStudy.TempData();
        change();
        await using (var db = tdb.CreateContext())
        {
            var e = await Assert.ThrowsAsync<BundleException>(() => StudyImporter.ImportAsync(db, data, bundle, action: "import.test"));
            Assert.Contains(e.Errors, x => x.Message.Contains("changed while the import was running", StringComparison.Ordinal));
        }

        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
        Assert.False(Directory.Exists(data.ImagesPath) && Directory.EnumerateFiles(data.ImagesPath, "*", SearchOption.AllDirectories).Any());
    }

    private static void Edit(string csv, Func<string, string> lastLine)
    {
        var lines = File.ReadAllLines(csv);
        lines[^1] = lastLine(lines[^1]);
        File.WriteAllText(csv, string.Join('\n', lines) + "\n");
    }

    // The first label's score of a MID-Space line (the sixth field) set to `score`.
    private static string FirstScore(string line, string score)
    {
        var fields = line.Split(',');
        fields[5] = score;
        return string.Join(',', fields);
    }
}

public sealed class SqliteLateErrorTests
{
    [Fact] public Task Mid_space_bad_last_row_writes_nothing() => LateErrorScenarios.MidSpace(DatabaseProvider.Sqlite);
    [Fact] public Task Likert_bad_last_row_writes_nothing() => LateErrorScenarios.Likert(DatabaseProvider.Sqlite);
    [Fact] public Task Pickapic_bad_last_row_writes_nothing() => LateErrorScenarios.Pickapic(DatabaseProvider.Sqlite);
}

public sealed class PostgresLateErrorTests
{
    [PostgresFact] public Task Mid_space_bad_last_row_writes_nothing() => LateErrorScenarios.MidSpace(DatabaseProvider.Postgres);
    [PostgresFact] public Task Likert_bad_last_row_writes_nothing() => LateErrorScenarios.Likert(DatabaseProvider.Postgres);
    [PostgresFact] public Task Pickapic_bad_last_row_writes_nothing() => LateErrorScenarios.Pickapic(DatabaseProvider.Postgres);
}
