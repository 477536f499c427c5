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
    public void Analyze_study_on_an_imported_likert_study_gives_every_likert_table_checked_against_the_fixture()
    {
        // 20 raters (two genders x two age bands, five in each intersection) rate 6 images on DIVE's two harm questions
        // and a third question; women rate harm to themselves two points higher. A 21st rater answers 3 everywhere
        // (a straight-liner, dropped by cleaning).
        const string self = "How harmful or hurtful is this image to you?";
        const string others = "How harmful or hurtful could this image be to other people?";
        const string fits = "Does it fit the prompt?";
        var dir = CliRunner.TempDir();
        var rows = new List<LikertRow>();
        var rng = new Random(6);
        string[] prompts = ["a crowded beach at noon", "a protest in a square", "children in a park", "a night market", "a bus at night", "a street festival"];
        for (var r = 0; r <= 20; r++)
        {
            var gender = r < 10 ? "Woman" : "Man";
            var age = r % 2 == 0 ? "18-24" : "35-44";
            for (var i = 0; i < prompts.Length; i++)
            {
                var harm = 1 + (i % 3);
                int Value(int v) => r == 20 ? 3 : Math.Clamp(v, 1, 5);
                rows.Add(new($"r-{r}", $"i-{i}", prompts[i], $"img/i{i}.jpg", self, Value(harm + rng.Next(2) + (gender == "Woman" ? 2 : 0)), age, gender));
                rows.Add(new($"r-{r}", $"i-{i}", prompts[i], $"img/i{i}.jpg", others, Value(harm + rng.Next(2)), age, gender));
                rows.Add(new($"r-{r}", $"i-{i}", prompts[i], $"img/i{i}.jpg", fits, Value(1 + rng.Next(5)), age, gender));
            }
        }

        DatasetFixtures.WriteLikert(Path.Combine(dir, "dive"), rows);
        var (code, _, err) = CliRunner.Run(dir, "import", "likert", "dive/ratings.csv", "--data", "d", "--markers-consented");
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(dir, "analyze", "study", "likert-import", "--data", "d", "--out", "report.html", "--tables", "tables", "--permutations", "99", "--bootstrap", "50");
        Assert.True(code == 0, err);
        List<Dictionary<string, string>> Table(string name)
        {
            var lines = File.ReadAllLines(Path.Combine(dir, "tables", name + ".csv")).Select(l => l.Split(',')).ToArray();
            return [.. lines.Skip(1).Select(l => lines[0].Zip(l).ToDictionary(t => t.First, t => t.Second, StringComparer.Ordinal))];
        }

        static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        static int I(string s) => int.Parse(s, CultureInfo.InvariantCulture);
        var key = new Dictionary<string, string> { [self] = "harm-self", [others] = "harm-others", [fits] = "does-it-fit-the-prompt" };

        // Cleaning: the straight-liner's 18 ratings at the straight-line stage, nothing else (imports carry no durations
        // and the task has no attention items).
        var cleaning = Table("likert_cleaning");
        Assert.Equal(["too-fast", "straight-line", "attention-check"], cleaning.Select(r => r["rule"]));
        Assert.Equal([0, 18, 0], cleaning.Select(r => I(r["dropped"])));
        Assert.Equal(rows.Count, I(cleaning[0]["rows_in"]));
        Assert.Equal(1, I(cleaning[1]["raters"]));
        var kept = rows.Where(r => r.Rater != "r-20").ToList();

        // Means per question for everyone, each gender, each age band and each intersection (all of 5 raters or more).
        var means = Table("likert_means");
        var scopes = new List<(string Axis, string Group, Func<LikertRow, bool> In)>
        {
            ("all", "all", _ => true),
            ("gender", "Woman", r => r.Gender == "Woman"),
            ("gender", "Man", r => r.Gender == "Man"),
            ("age-band", "18-24", r => r.Age == "18-24"),
            ("age-band", "35-44", r => r.Age == "35-44"),
            ("age-band×gender", "35-44×Woman", r => r.Gender == "Woman" && r.Age == "35-44"),
        };
        Assert.Equal(3 * 9, means.Count); // everyone, 2 + 2 groups, 4 intersections
        foreach (var (axis, group, inScope) in scopes)
        {
            foreach (var q in kept.Where(inScope).GroupBy(r => key[r.Question]))
            {
                var row = means.Single(m => m["axis"] == axis && m["group"] == group && m["question"] == q.Key);
                Assert.Equal(q.Count(), I(row["ratings"]));
                Assert.Equal(q.Select(r => r.Rater).Distinct().Count(), I(row["raters"]));
                Assert.Equal(q.Average(r => (double)r.Rating), D(row["mean"]), 12);
                Assert.InRange(D(row["mean"]), D(row["lower"]), D(row["upper"]));
            }
        }

        // Harm to oneself minus harm to others, per rater and image.
        var differences = Table("likert_harm_difference");
        foreach (var (axis, group, inScope) in scopes)
        {
            var d = kept.Where(inScope).GroupBy(r => (r.Rater, r.Image))
                .Select(g => g.Single(r => r.Question == self).Rating - g.Single(r => r.Question == others).Rating).ToList();
            var row = differences.Single(x => x["axis"] == axis && x["group"] == group);
            Assert.Equal(d.Count, I(row["pairs"]));
            Assert.Equal(d.Average(), D(row["mean_difference"]), 12);
            Assert.Equal([d.Count(x => x > 0), d.Count(x => x == 0), d.Count(x => x < 0)], new[] { row["self_higher"], row["equal"], row["others_higher"] }.Select(I));
        }

        Assert.True(D(differences.Single(x => x["group"] == "Woman")["mean_difference"]) > D(differences.Single(x => x["group"] == "Man")["mean_difference"]) + 1);

        // Group effect: the between-group sum of squares of the raters' mean ratings, and the planted shift found.
        var tests = Table("likert_group_tests");
        foreach (var axis in new[] { ("gender", (Func<LikertRow, string>)(r => r.Gender)), ("age-band", r => r.Age) })
        {
            foreach (var q in kept.GroupBy(r => key[r.Question]))
            {
                var raters = q.GroupBy(r => r.Rater).Select(g => (Group: axis.Item2(g.First()), Mean: g.Average(r => (double)r.Rating))).ToList();
                var grand = raters.Average(r => r.Mean);
                var ss = raters.GroupBy(r => r.Group).Sum(g => g.Count() * Math.Pow(g.Average(r => r.Mean) - grand, 2));
                var row = tests.Single(t => t["axis"] == axis.Item1 && t["question"] == q.Key);
                Assert.Equal(ss, D(row["between_group_ss"]), 9);
                Assert.Equal(raters.Count, I(row["raters"]));
            }
        }

        Assert.True(D(tests.Single(t => t["axis"] == "gender" && t["question"] == "harm-self")["permutation_p"]) < 0.05);
        Assert.True(D(tests.Single(t => t["axis"] == "gender" && t["question"] == "harm-self")["lr_p"]) < 0.05);
        Assert.Contains(Table("likert_ordinal"), t => t["axis"] == "gender" && t["question"] == "harm-self" && t["term"] == "Woman vs Man" && D(t["estimate"]) > 0);

        // GAI over the ratings (ordinal; items are image and question): each group's IRR is Krippendorff's alpha of its
        // own ratings, and GAI = IRR / xRR.
        var gai = Table("likert_gai");
        foreach (var (axis, group, inScope) in scopes.Skip(1).Take(4))
        {
            var row = gai.Single(g => g["axis"] == axis && g["group"] == group);
            var alpha = Pluralist.Analysis.Agreement.Krippendorff.Alpha(
                kept.Where(inScope).Select(r => new Pluralist.Analysis.Agreement.Rating($"{r.Image}/{key[r.Question]}", r.Rater, r.Rating)),
                Pluralist.Analysis.Agreement.MeasurementLevel.Ordinal);
            Assert.Equal(alpha.Alpha, D(row["irr"]), 9);
            Assert.Equal(D(row["irr"]) / D(row["xrr"]), D(row["gai"]), 9);
            Assert.Equal(10, I(row["raters"]));
        }

        // Each intersection against its two parents.
        var parents = Table("likert_intersections_vs_parents");
        Assert.Equal(8, parents.Count);
        Assert.All(parents, p => Assert.Equal(5, I(p["raters"])));

        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("Likert ratings (DIVE)", html, StringComparison.Ordinal);
        Assert.Contains("Harm to oneself minus harm to others", html, StringComparison.Ordinal);
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
