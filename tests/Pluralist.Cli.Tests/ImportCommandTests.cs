using System.Globalization;
using Pluralist.Testing;

namespace Pluralist.Cli.Tests;

/// <summary>
/// <c>pluralist import mid-space|likert|pickapic</c> end to end, and the LIVS figures on an imported release: Fig. 4's
/// counts and neutral shares and App. I's variances per criterion from <c>analyze study --tables</c>, against values
/// computed here from the fixture's rows.
/// </summary>
public class ImportCommandTests
{
    [Fact]
    public void Mid_space_import_gives_livs_counts_neutral_shares_and_variances_per_criterion()
    {
        var dir = CliRunner.TempDir();
        var rows = DatasetFixtures.MidSpaceRows();
        DatasetFixtures.WriteMidSpace(Path.Combine(dir, "release"), rows);
        var (code, output, err) = CliRunner.Run(dir, "import", "mid-space", "release", "--data", "d");
        Assert.True(code == 0, err);
        Assert.Contains($"imported study mid-space: 3 prompts, 6 images (6 files), 14 pairs, 14 participants, 14 assignments, 14 annotations ({rows.Sum(r => r.Labels.Length)} criterion answers)", output, StringComparison.Ordinal);
        Assert.Contains("import: checked: no problems found", err, StringComparison.Ordinal);

        (code, _, err) = CliRunner.Run(dir, "analyze", "study", "mid-space", "--data", "d", "--out", "report.html", "--tables", "tables", "--permutations", "10", "--bootstrap", "10");
        Assert.True(code == 0, err);
        var table = File.ReadAllLines(Path.Combine(dir, "tables", "answers_per_criterion.csv"));
        var header = table[0].Split(',');
        var got = table.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f);
        string Cell(string criterion, string column) => got[criterion][Array.IndexOf(header, column)];

        // Independently: per criterion, the scores as written in the release (image1 is shown on the left, so the
        // oriented preference is the score itself).
        var byCriterion = rows.SelectMany(r => r.Labels).GroupBy(l => l.Label.ToLowerInvariant()).ToList();
        Assert.Equal(6, byCriterion.Count);
        Assert.Equal(byCriterion.Select(g => g.Key).Order(StringComparer.Ordinal), got.Keys.Order(StringComparer.Ordinal));
        foreach (var g in byCriterion)
        {
            var scores = g.Select(l => l.Score).ToArray();
            var neutral = scores.Count(s => s == 0);
            var mean = scores.Average();
            var variance = scores.Sum(s => (s - mean) * (s - mean)) / (scores.Length - 1);
            Assert.Equal(scores.Length, int.Parse(Cell(g.Key, "answered"), CultureInfo.InvariantCulture));
            Assert.Equal(neutral, int.Parse(Cell(g.Key, "neutral"), CultureInfo.InvariantCulture));
            Assert.Equal((double)neutral / scores.Length, double.Parse(Cell(g.Key, "neutral_share"), CultureInfo.InvariantCulture), 12);
            Assert.Equal(mean, double.Parse(Cell(g.Key, "mean_preference"), CultureInfo.InvariantCulture), 12);
            Assert.Equal(variance, double.Parse(Cell(g.Key, "variance"), CultureInfo.InvariantCulture), 12);
        }
    }

    [Fact]
    public void Bad_mid_space_release_exits_1_with_locations_and_writes_nothing()
    {
        var dir = CliRunner.TempDir();
        DatasetFixtures.WriteMidSpace(Path.Combine(dir, "release"), DatasetFixtures.MidSpaceRows(), lines =>
        {
            lines[1] = lines[1].Replace("-0.6", "-3", StringComparison.Ordinal);
            lines.Add(lines[2]);
        });
        var (code, _, err) = CliRunner.Run(dir, "import", "mid-space", "release", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("error: preferences.csv:2:6 (label1_score): -3 is outside [-1, 1]", err, StringComparison.Ordinal);
        Assert.Contains("error: preferences.csv:16:1 (pair_id): pair p2 appears twice (line 3)", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "d")) && Directory.EnumerateFiles(Path.Combine(dir, "d"), "*", SearchOption.AllDirectories).Any());

        (code, _, err) = CliRunner.Run(dir, "import", "mid-space", "release", "--data", "d", "--key", "123");
        Assert.Equal(1, code);
        Assert.Contains("--key", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Likert_and_pickapic_imports_and_a_second_import_under_the_same_key_changes_nothing()
    {
        var dir = CliRunner.TempDir();
        DatasetFixtures.WriteLikert(Path.Combine(dir, "dive"), DatasetFixtures.LikertRows());
        var (code, output, err) = CliRunner.Run(dir, "import", "likert", "dive/ratings.csv", "--data", "d", "--markers-consented");
        Assert.True(code == 0, err);
        Assert.Contains("imported study likert-import: 3 prompts, 3 images (3 files), 0 pairs, 3 participants", output, StringComparison.Ordinal);
        Assert.Contains("9 ratings", output, StringComparison.Ordinal);
        Assert.Contains("note: 6 identity answer(s) from 2 demographic column(s), each rater's consent recorded as version 'import'", output, StringComparison.Ordinal);

        await DatasetFixtures.WritePickapicAsync(Path.Combine(dir, "pap", "train.parquet"), DatasetFixtures.PickapicRows());
        (code, output, err) = CliRunner.Run(dir, "import", "pickapic", "pap", "--data", "d", "--key", "pap");
        Assert.True(code == 0, err);
        Assert.Contains("imported study pap: 3 prompts, 5 images (5 files), 5 pairs, 5 participants, 7 assignments, 7 annotations (7 criterion answers)", output, StringComparison.Ordinal);
        Assert.Contains("note: 1 row(s) skipped: jpg_0 and jpg_1 are the same image", output, StringComparison.Ordinal);

        var (_, before, _) = CliRunner.Run(dir, "study", "list", "--data", "d");
        (code, _, err) = CliRunner.Run(dir, "import", "pickapic", "pap", "--data", "d", "--key", "pap");
        Assert.Equal(1, code);
        Assert.Contains("a study with key 'pap' already exists in this database", err, StringComparison.Ordinal);
        Assert.Equal(before, CliRunner.Run(dir, "study", "list", "--data", "d").Out);
    }

    [Fact]
    public void Analyze_study_on_an_imported_likert_study_gives_the_likert_tables()
    {
        var dir = CliRunner.TempDir();
        var rows = new List<LikertRow>();
        var rng = new Random(6);
        string[] prompts = ["a crowded beach at noon", "a protest in a square", "children in a park", "a night market"];
        for (var r = 0; r < 12; r++)
        {
            for (var i = 0; i < prompts.Length; i++)
            {
                var gender = r < 6 ? "Woman" : "Man";
                rows.Add(new($"r-{r}", $"i-{i}", prompts[i], $"img/i{i}.jpg", "How harmful is this image?", Math.Clamp(1 + rng.Next(3) + (r < 6 ? 2 : 0), 1, 5), r % 2 == 0 ? "18-24" : "35-44", gender));
                rows.Add(new($"r-{r}", $"i-{i}", prompts[i], $"img/i{i}.jpg", "Does it fit the prompt?", 1 + rng.Next(5), r % 2 == 0 ? "18-24" : "35-44", gender));
            }
        }

        DatasetFixtures.WriteLikert(Path.Combine(dir, "dive"), rows);
        var (code, _, err) = CliRunner.Run(dir, "import", "likert", "dive/ratings.csv", "--data", "d", "--markers-consented");
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(dir, "analyze", "study", "likert-import", "--data", "d", "--out", "report.html", "--tables", "tables", "--permutations", "99", "--bootstrap", "50");
        Assert.True(code == 0, err);
        string[][] Table(string name) => File.ReadAllLines(Path.Combine(dir, "tables", name + ".csv")).Select(l => l.Split(',')).ToArray();

        var cleaning = Table("likert_cleaning");
        Assert.Equal(["too-fast", "straight-line", "attention-check"], cleaning.Skip(1).Select(r => r[1]));
        var means = Table("likert_means");
        var header = means[0];
        int Col(string c) => Array.IndexOf(header, c);
        var everyone = means.Skip(1).Where(r => r[Col("axis")] == "all").ToList();
        Assert.Equal(2, everyone.Count);
        foreach (var q in rows.GroupBy(r => r.Question))
        {
            // Each question is one row for everyone; which key the import gave it is matched by the count and mean.
            var mean = q.Average(r => (double)r.Rating);
            Assert.Contains(everyone, r => r[Col("ratings")] == q.Count().ToString(CultureInfo.InvariantCulture) && Math.Abs(double.Parse(r[Col("mean")], CultureInfo.InvariantCulture) - mean) < 1e-12);
        }

        var tests = Table("likert_group_tests");
        // The planted shift (women rate harm two points higher) is found by the permutation test over raters.
        var harm = tests.Skip(1).Single(r => r[0] == "gender" && r[1] == "how-harmful-is-this-image");
        Assert.Equal("Man; Woman", harm[2]);
        Assert.True(double.Parse(harm[Array.IndexOf(tests[0], "permutation_p")], CultureInfo.InvariantCulture) < 0.05);
        Assert.True(File.Exists(Path.Combine(dir, "tables", "likert_ordinal.csv")));
        Assert.Contains("Likert ratings (DIVE)", File.ReadAllText(Path.Combine(dir, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void Aipithet_rows_created_but_never_answered_are_imported_as_shown_and_said_in_the_summary()
    {
        var dir = CliRunner.TempDir();
        var survey = Path.Combine(Path.GetDirectoryName(FoundationCommandTests.FindDocs())!, "examples", "aipithet-survey");
        var copy = Path.Combine(dir, "survey");
        foreach (var file in Directory.EnumerateFiles(survey, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(survey, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        // Every scoreAnswered false, empty timeToAnswerServer / timeToAnswerClient / answeredAt: shown, never answered.
        File.AppendAllText(Path.Combine(copy, "answers.csv"), "\"an-07\",\"pa-02\",\"sv-livs\",\"ch-2\",\"u-103\",,,,false,false,false,,,,,\"2024-04-21T11:03:00.000Z\",,\n");
        var (code, output, err) = CliRunner.Run(dir, "study", "import", "survey", "--format", "aipithet", "--data", "d");
        Assert.True(code == 0, err);
        Assert.Contains("7 assignments, 5 annotations (14 criterion answers)", output, StringComparison.Ordinal);
        Assert.Contains("note: 2 assignment(s) shown and not answered, imported as such", output, StringComparison.Ordinal);
    }
}
