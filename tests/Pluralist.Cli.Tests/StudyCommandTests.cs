using System.Text.Json;
using System.Text.Json.Nodes;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Testing;

namespace Pluralist.Cli.Tests;

/// <summary>clean, dataset build and analyze study on a study seeded through Pluralist.Data.</summary>
public class StudyCommandTests
{
    internal static async Task<(string Dir, DatabaseOptions Options, SeededStudyResult Seed)> SeedAsync(SeedOptions? options = null)
    {
        var dir = CliRunner.TempDir();
        var data = new DataDirectory(Path.Combine(dir, "demo-data"));
        data.EnsureCreated();
        var db = new DatabaseOptions(DatabaseProvider.Sqlite, $"Data Source={data.DatabasePath}");
        var seed = await SeededStudy.SeedAsync(db, data.ImagesPath, options);
        return (dir, db, seed);
    }

    private static (int Code, string Out, string Err) Run(string dir, params string[] args) => CliRunner.Run(dir, [.. args, "--data", "demo-data"]);

    [Fact]
    public async Task Clean_marks_speeders_and_straight_liners_records_the_run_and_writes_the_report()
    {
        var (dir, options, seed) = await SeedAsync();
        var (code, output, err) = Run(dir, "clean", "demo", "--report", "out/clean");
        Assert.True(code == 0, err);
        var careful = seed.Answers.Count(a => a.Careful);
        Assert.Contains($"{seed.Answers.Count} rows in -> {careful} rows out", output, StringComparison.Ordinal);
        Assert.Matches(@"too-fast\s+TOO_FAST\s+\d+\s+\d+", output);

        await using var db = PluralistDatabase.CreateContext(options);
        var run = await db.CleaningRuns.SingleAsync();
        Assert.Equal((seed.Answers.Count, careful, "livs-default/1"), (run.RowsIn, run.RowsOut, run.RulesVersion));
        var drops = await db.CleaningDrops.Where(d => d.RunId == run.Id).ToDictionaryAsync(d => d.AnswerId, d => d.Rule);
        // Every injected bad answer is marked, with the first rule that matches it; no careful answer is.
        Assert.Equal(seed.Answers.Where(a => !a.Careful).Select(a => a.AnswerId).Order(), drops.Keys.Order());
        Assert.All(seed.Answers.Where(a => a.ParticipantIndex < 2), a => Assert.Equal("too-fast", drops[a.AnswerId]));
        Assert.All(seed.Answers.Where(a => a.ParticipantIndex == 2), a => Assert.Equal("straight-line", drops[a.AnswerId]));
        // Rules mark, never delete.
        Assert.Equal(seed.Answers.Count, await db.AnnotationScores.CountAsync());

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "clean.json")));
        Assert.Equal(careful, json.RootElement.GetProperty("RowsOut").GetInt32());
        var html = new HtmlParser().ParseDocument(File.ReadAllText(Path.Combine(dir, "out", "clean.html")));
        Assert.Contains(html.QuerySelectorAll("caption"), c => c.TextContent.StartsWith("Rows per stage", StringComparison.Ordinal));

        // A second run is recorded beside the first.
        Assert.Equal(0, Run(dir, "clean", "demo").Code);
        Assert.Equal(2, await db.CleaningRuns.CountAsync());
    }

    [Fact]
    public async Task Clean_reports_bad_rules_and_unknown_studies_as_bad_input()
    {
        var (dir, _, _) = await SeedAsync(new SeedOptions { Participants = 6, AnswersPerParticipant = 4 });
        File.WriteAllText(Path.Combine(dir, "rules.json"), """{ "version": "x/1", "rules": [ { "rule": "withdrawn" }, { "rule": "speeders" } ] }""");
        var (code, _, err) = Run(dir, "clean", "demo", "--rules", "rules.json");
        Assert.Equal(1, code);
        Assert.Contains("rules.json: $.rules[1].rule: unknown rule 'speeders'", err, StringComparison.Ordinal);

        (code, _, err) = Run(dir, "clean", "nope");
        Assert.Equal(1, code);
        Assert.Contains("study 'nope': no such study; known studies: demo", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dataset_build_uses_the_latest_cleaning_run_and_writes_the_pick_a_pic_layout()
    {
        var (dir, _, seed) = await SeedAsync();
        Assert.Equal(0, Run(dir, "clean", "demo").Code);
        var (code, output, err) = Run(dir, "dataset", "build", "demo", "--protocol", "per-criterion", "--out", "ds");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("uncleaned", err, StringComparison.Ordinal);
        Assert.Contains("cleaning: run 1 (livs-default/1)", output, StringComparison.Ordinal);

        var lines = File.ReadAllLines(Path.Combine(dir, "ds", "pairs.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var expected = seed.Answers.Where(a => a.Careful && a.Kind == PairKind.Annotation && a.OrientedPreference is { } p && p != 0).ToDictionary(a => a.AnswerId);
        Assert.Equal(expected.Count, lines.Count);
        foreach (var o in lines)
        {
            var source = Assert.Single(o["source_answers"]!.AsArray())!.GetValue<long>();
            var truth = expected[source];
            Assert.Equal(truth.OrientedPreference < 0 ? 1.0 : 0.0, o["label_0"]!.GetValue<double>());
            Assert.Equal(truth.Criterion, o["criterion"]?.GetValue<string>());
            Assert.StartsWith("A public square number", o["caption"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(dir, "ds", o["jpg_0"]!.GetValue<string>())));
            Assert.True(File.Exists(Path.Combine(dir, "ds", o["jpg_1"]!.GetValue<string>())));
            Assert.Null(o["group"]);
        }

        Assert.Equal(lines.Count + 1, File.ReadAllLines(Path.Combine(dir, "ds", "pairs.csv")).Length);
        Assert.True(File.Exists(Path.Combine(dir, "ds", "images", "metadata.jsonl")));
        Assert.Contains("Rules version `livs-default/1` (cleaning run 1 of", File.ReadAllText(Path.Combine(dir, "ds", "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dataset_build_without_cleaning_warns_and_splits_as_asked()
    {
        var (dir, _, _) = await SeedAsync();
        var (code, output, err) = Run(dir, "dataset", "build", "demo", "--protocol", "livs", "--split", "train=0.5,test=0.5", "--seed", "3", "--out", "ds");
        Assert.True(code == 0, err);
        Assert.Contains("warning: the study's answers have not been cleaned", err, StringComparison.Ordinal);
        Assert.Contains("cleaning: none", output, StringComparison.Ordinal);
        var splits = File.ReadAllLines(Path.Combine(dir, "ds", "pairs.jsonl")).Select(l => JsonNode.Parse(l)!["split"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(["test", "train"], splits.Order());
        Assert.Contains("No cleaning run", File.ReadAllText(Path.Combine(dir, "ds", "README.md")), StringComparison.Ordinal);

        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "livs", "--split", "train=0.8,test=0.3", "--out", "ds2");
        Assert.Equal(1, code);
        Assert.Contains("--split: the shares of 'train=0.8,test=0.3' sum to 1.1", err, StringComparison.Ordinal);
        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "majority", "--out", "ds2");
        Assert.Equal(1, code);
        Assert.Contains("--protocol: unknown protocol 'majority'", err, StringComparison.Ordinal);
        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "livs", "--criteria", "safety,beauty", "--out", "ds2");
        Assert.Equal(1, code);
        Assert.Contains("--criteria: unknown criterion 'beauty'", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "ds2")));

        // A missing image file stops the export before anything is written, naming the image.
        var image = Directory.GetFiles(Path.Combine(dir, "demo-data", "images", "demo")).Order().First();
        File.Delete(image);
        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "per-criterion", "--out", "ds3");
        Assert.Equal(1, code);
        Assert.Contains("has no file at", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "ds3", "pairs.jsonl")));
    }

    [Fact]
    public async Task Dataset_build_parquet_drops_or_keeps_ties_and_train_dpo_reads_it()
    {
        var (dir, _, _) = await SeedAsync();
        Assert.Equal(0, Run(dir, "clean", "demo").Code);
        var (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "soft", "--out", "jsonl");
        Assert.True(code == 0, err);
        var jsonl = File.ReadAllLines(Path.Combine(dir, "jsonl", "pairs.jsonl")).Select(l => JsonNode.Parse(l)!["label_0"]!.GetValue<double>()).ToList();
        var ties = jsonl.Count(l => l == 0.5);
        Assert.True(ties > 0, "the seeded study's soft labels include ties");

        (code, var output, err) = Run(dir, "dataset", "build", "demo", "--protocol", "soft", "--format", "parquet", "--out", "pq");
        Assert.True(code == 0, err);
        Assert.Contains($"ties: {ties} dropped, 0 kept with a resolved label_0", output, StringComparison.Ordinal);
        Assert.Contains($"warning: {ties} tied label(s) (label_0 = 0.5) left out", err, StringComparison.Ordinal);
        var rows = await PreferenceParquetReader.ReadAsync(Path.Combine(dir, "pq")).ToListAsync();
        Assert.Equal(jsonl.Count - ties, rows.Count);
        Assert.DoesNotContain(rows, r => r.Label0 == 0.5);
        Assert.StartsWith("---\nlicense: cc-by-4.0\n", File.ReadAllText(Path.Combine(dir, "pq", "README.md")), StringComparison.Ordinal);

        (code, output, err) = Run(dir, "dataset", "build", "demo", "--protocol", "soft", "--format", "parquet", "--ties", "soft", "--out", "pq-soft");
        Assert.True(code == 0, err);
        Assert.Contains($"ties: 0 dropped, {ties} kept", output, StringComparison.Ordinal);
        var soft = await PreferenceParquetReader.ReadAsync(Path.Combine(dir, "pq-soft")).ToListAsync();
        Assert.Equal(jsonl.Count, soft.Count);
        Assert.Equal(ties, soft.Count(r => r.TieResolved && r.SoftLabel == 0.5 && r.Label0 is 0 or 1));

        // Bad combinations and an occupied folder: exit 1, nothing written.
        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "soft", "--ties", "soft", "--out", "x");
        Assert.Equal(1, code);
        Assert.Contains("--ties applies to --format parquet", err, StringComparison.Ordinal);
        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "soft", "--format", "arrow", "--out", "x");
        Assert.Equal(1, code);
        Assert.Contains("--format: unknown format 'arrow'", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "x")));
        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "soft", "--format", "parquet", "--out", "pq");
        Assert.Equal(1, code);
        Assert.Contains("exists and is not empty", err, StringComparison.Ordinal);

        // The embedded trainer reads the Parquet layout as it reads pairs.jsonl.
        (code, _, err) = CliRunner.Run(dir, "train", "base", "--out", "m.safetensors", "--config", AlignmentCommandTests.TinyConfig(dir), "--steps", "1", "--batch", "1", "--scenes", "2", "--warmup", "1");
        Assert.True(code == 0, err);
        (code, output, err) = CliRunner.Run(dir, "train", "dpo", "--dataset", "pq-soft", "--base", "m.safetensors", "--out", "a.safetensors", "--lora", "--steps", "1", "--batch", "2", "--split", "all", "--labels", "soft");
        Assert.True(code == 0, err);
        Assert.Contains($"{jsonl.Count} pairs (all)", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "a.safetensors")));
    }

    [Fact]
    public async Task Dataset_groups_are_consented_and_large_enough_or_absent()
    {
        var (dir, _, seed) = await SeedAsync();
        Assert.Equal(0, Run(dir, "clean", "demo").Code);
        var (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "per-criterion", "--group", "gender=woman", "--out", "women");
        Assert.True(code == 0, err);
        var women = File.ReadAllLines(Path.Combine(dir, "women", "pairs.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.NotEmpty(women);
        var consentedWomen = Enumerable.Range(0, seed.Pseudonyms.Count).Where(i => SeededStudy.Gender(i) == "woman" && i is not (5 or 6) && i >= 3).ToHashSet();
        Assert.All(women, o => Assert.Equal("woman", o["group"]!.GetValue<string>()));
        var byAnswer = seed.Answers.ToDictionary(a => a.AnswerId);
        Assert.All(women, o => Assert.Contains(byAnswer[o["source_answers"]![0]!.GetValue<long>()].ParticipantIndex, consentedWomen));
        // Participant 5 answered "woman" without consenting to the marker: none of their answers is in the group.
        Assert.Contains(seed.Answers, a => a.ParticipantIndex == 5 && a.Careful);

        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "livs", "--group", "gender=nonbinary", "--out", "small");
        Assert.Equal(1, code);
        Assert.Contains("fewer consented participants than the study minimum of 5", err, StringComparison.Ordinal);
        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "livs", "--group", "religion=x", "--out", "small");
        Assert.Equal(1, code);
        Assert.Contains("--group: unknown identity marker 'religion'", err, StringComparison.Ordinal);

        (code, _, err) = Run(dir, "dataset", "build", "demo", "--protocol", "soft", "--group-by", "gender", "--out", "all");
        Assert.True(code == 0, err);
        Assert.Contains("warning: 1 consented group(s) with fewer than the study minimum of 5 participants left out", err, StringComparison.Ordinal);
        var all = File.ReadAllText(Path.Combine(dir, "all", "pairs.jsonl")) + File.ReadAllText(Path.Combine(dir, "all", "pairs.csv")) + File.ReadAllText(Path.Combine(dir, "all", "README.md")) + err;
        Assert.DoesNotContain("nonbinary", all, StringComparison.Ordinal);
        foreach (var o in File.ReadAllLines(Path.Combine(dir, "all", "pairs.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()))
        {
            var i = byAnswer[o["source_answers"]![0]!.GetValue<long>()].ParticipantIndex;
            var expected = i is 5 or 6 || SeededStudy.Gender(i) == "nonbinary" ? null : SeededStudy.Gender(i);
            Assert.Equal(expected, o["group"]?.GetValue<string>());
        }
    }

    [Fact]
    public async Task Analyze_study_writes_an_offline_report_with_the_expected_tables()
    {
        var (dir, db, seed) = await SeedAsync();
        Assert.Equal(0, Run(dir, "clean", "demo").Code);
        var (code, output, err) = Run(dir, "analyze", "study", "demo", "--out", "report/report.html", "--tables", "tables", "--permutations", "199", "--bootstrap", "200", "--group-bootstrap", "50");
        Assert.True(code == 0, err);
        Assert.Contains("report:", output, StringComparison.Ordinal);
        JsonArray Table(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tables", name + ".json")))!.AsArray();

        // Descriptives per criterion match the kept answers on annotation pairs.
        var kept = seed.Answers.Where(a => a.Careful && a.Kind == PairKind.Annotation).ToList();
        foreach (var row in Table("answers_per_criterion").Select(r => r!.AsObject()))
        {
            var c = row["criterion"]!.GetValue<string>();
            var answers = kept.Where(a => a.Criterion == c).ToList();
            Assert.Equal(answers.Count, row["answered"]!.GetValue<int>());
            Assert.Equal(answers.Count(a => a.OrientedPreference == 0), row["neutral"]!.GetValue<int>());
            var values = answers.Select(a => a.OrientedPreference!.Value).ToArray();
            var mean = values.Average();
            Assert.Equal(mean, row["mean_preference"]!.GetValue<double>(), 9);
            Assert.Equal(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1), row["variance"]!.GetValue<double>(), 9);
        }

        // Case study I: aligned / neutral / base counts of the careful participants' evaluation answers.
        var eval = seed.Answers.Where(a => a.Careful && a.Kind == PairKind.Evaluation).ToList();
        var overall = Table("ab_overall").Select(r => r!.AsObject()).Single(r => r["scope"]!.GetValue<string>() == "overall");
        Assert.Equal(eval.Count(a => a.OrientedPreference > 0), overall["aligned"]!.GetValue<int>());
        Assert.Equal(eval.Count(a => a.OrientedPreference == 0), overall["neutral"]!.GetValue<int>());
        Assert.Equal(eval.Count(a => a.OrientedPreference < 0), overall["base"]!.GetValue<int>());
        Assert.Equal(["human", "llm-1"], Table("ab_per_prompt_source").Select(r => r!["source"]!.GetValue<string>()));

        // Cleaning: the stored run's stages.
        var stages = Table("cleaning_stages").Select(r => r!.AsObject()).ToList();
        Assert.Equal(seed.Answers.Count(a => a.ParticipantIndex < 2), stages.Single(s => s["rule"]!.GetValue<string>() == "too-fast")["dropped"]!.GetValue<int>());

        // Groups: consented groups of at least 5 only; the planted group agrees within itself.
        var gai = Table("gai").Select(r => r!.AsObject()).ToList();
        var groups = gai.Select(g => (g["axis"]!.GetValue<string>(), g["group"]!.GetValue<string>())).ToList();
        Assert.Contains(("gender", "woman"), groups);
        Assert.Contains(("gender", "man"), groups);
        Assert.DoesNotContain(groups, g => g.Item2.Contains("nonbinary", StringComparison.Ordinal));
        Assert.All(gai, g => Assert.True(g["raters"]!.GetValue<int>() >= 5));
        Assert.True(gai.Single(g => g["group"]!.GetValue<string>() == "woman")["gai"]!.GetValue<double>() > 1);
        var women = Table("answers_per_group").Select(r => r!.AsObject()).Where(r => r["group"]!.GetValue<string>() == "woman").ToList();
        Assert.All(women, r => Assert.Equal(9, r["participants"]!.GetValue<int>()));

        // Case study IV: each shown group's own Bradley-Terry scores per criterion and prompt; the wins of everyone's
        // fit add up, per criterion, to the kept non-neutral annotation answers.
        var scores = Table("group_scores").Select(r => r!.AsObject()).ToList();
        Assert.Contains(scores, r => r["group"]!.GetValue<string>() == "woman" && r["participants"]!.GetValue<int>() <= 9);
        Assert.DoesNotContain(scores, r => r["group"]!.GetValue<string>().Contains("nonbinary", StringComparison.Ordinal));
        foreach (var c in kept.GroupBy(a => a.Criterion))
        {
            var wins = scores.Where(r => r["axis"]!.GetValue<string>() == "all" && r["criterion"]!.GetValue<string>() == c.Key).Sum(r => r["wins"]!.GetValue<double>());
            Assert.Equal(c.Count(a => a.OrientedPreference is { } v && v != 0), wins, 9);
        }

        Assert.All(scores, r => Assert.True(r["lower"]!.GetValue<double>() <= r["upper"]!.GetValue<double>()));
        Assert.NotEmpty(Table("spread_per_group"));

        // The page: offline (no external script or stylesheet), every chart has a text alternative, tables have captions, nothing small or unconsented.
        var text = File.ReadAllText(Path.Combine(dir, "report", "report.html"));
        Assert.DoesNotContain("nonbinary", text, StringComparison.Ordinal);
        var page = new HtmlParser().ParseDocument(text);
        Assert.Empty(page.QuerySelectorAll("script[src], link[rel=stylesheet]"));
        Assert.Contains(page.QuerySelectorAll("script"), s => s.TextContent.StartsWith("/* vega-lite.min.js */", StringComparison.Ordinal));
        var charts = page.QuerySelectorAll("div.chart");
        Assert.True(charts.Length >= 5, $"{charts.Length} charts");
        Assert.All(charts, c => Assert.False(string.IsNullOrWhiteSpace(c.GetAttribute("aria-label"))));
        Assert.All(page.QuerySelectorAll("table"), t => Assert.NotNull(t.QuerySelector("caption")));
        Assert.Equal(page.QuerySelectorAll("section").Length, page.QuerySelectorAll("section > h2").Length);
        Assert.Contains(page.QuerySelectorAll("h2"), h => h.TextContent == "Aligned versus base (case studies I–III)");
        Assert.Contains(page.QuerySelectorAll("p.note"), p => p.TextContent.Contains("not shown", StringComparison.Ordinal));

        // Every section of issue 21 is on the page, each saying what it computed or why it could not: data scaling
        // needs --training, the Likert section needs ratings (the imported-Likert test in ImportCommandTests covers it).
        string Section(string id) => page.QuerySelector($"section[aria-labelledby=h-{id}]")?.TextContent ?? throw new Xunit.Sdk.XunitException($"no section {id}");
        foreach (var id in new[] { "descriptives", "prompt-keywords", "cleaning", "evaluation", "scaling", "rankings", "group-scores", "agreement", "likert" })
        {
            Assert.False(string.IsNullOrWhiteSpace(Section(id)), id);
        }

        Assert.Contains("no training dataset", Section("scaling"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("The study has no Likert ratings.", Section("likert"), StringComparison.Ordinal);
        Assert.Contains("Intersections against their parent groups", Section("agreement"), StringComparison.Ordinal);
        Assert.NotNull(page.QuerySelector("#c-spread-per-group"));
        Assert.NotEmpty(page.QuerySelectorAll("div.chart[id^=c-group-scores-]"));
        Assert.NotNull(page.QuerySelector("#c-ab-win-rate"));
        Assert.NotNull(page.QuerySelector("#c-gai"));

        // Case study IV's per-group fits use --group-bootstrap replicates, and say so.
        Assert.Contains("95% percentile intervals of 50 bootstrap replicates per fit, fewer than the 200 of the other intervals", Section("group-scores"), StringComparison.Ordinal);

        // Prompt keywords by source (LIVS Fig. 3): every seeded prompt reads "A public square number N with benches and
        // trees", so "benches" is in every prompt of each source; counted here from the stored prompts' text.
        await using (var ctx = PluralistDatabase.CreateContext(db))
        {
            var stored = await ctx.Prompts.Select(p => new { p.Source, p.Text }).ToListAsync();
            var keywords = Table("prompt_keywords_per_source").Select(r => r!.AsObject()).ToList();
            foreach (var source in stored.GroupBy(p => p.Source.ToToken()))
            {
                var benches = keywords.Single(r => r["source"]!.GetValue<string>() == source.Key && r["keyword"]!.GetValue<string>() == "benches");
                Assert.Equal(source.Count(p => p.Text.Contains(" benches ", StringComparison.Ordinal)), benches["prompts"]!.GetValue<int>());
                Assert.Equal(source.Count(), benches["source_prompts"]!.GetValue<int>());
                Assert.Equal(1.0, benches["share"]!.GetValue<double>());
            }

            Assert.Equal(["human", "llm-1"], keywords.Select(r => r["source"]!.GetValue<string>()).Distinct());
            Assert.StartsWith($"Most frequent keywords of each prompt source's prompts, as the share of the source's prompts containing each: human ({stored.Count(p => p.Source == PromptSource.Human)} prompts): ",
                page.QuerySelector("#c-prompt-keywords")?.GetAttribute("aria-label") ?? throw new Xunit.Sdk.XunitException("no prompt keywords chart"), StringComparison.Ordinal);
        }

        // Case study II per participant: the chart's text counts, from the per-participant table, those with a
        // non-neutral evaluation answer and those whose win rate is above one half.
        var decided = Table("ab_per_participant").Select(r => r!.AsObject()).Where(r => r["aligned"]!.GetValue<int>() + r["base"]!.GetValue<int>() > 0).ToList();
        var above = decided.Count(r => r["win_rate"]!.GetValue<double>() > 0.5);
        var perParticipant = page.QuerySelector("#c-ab-per-participant")?.GetAttribute("aria-label") ?? throw new Xunit.Sdk.XunitException("no per-participant chart");
        Assert.StartsWith($"{decided.Count} participants with at least one non-neutral evaluation answer: {above} (", perParticipant, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyze_study_without_cleaning_says_so_and_unknown_study_exits_1()
    {
        var (dir, _, _) = await SeedAsync(new SeedOptions { Participants = 8, AnswersPerParticipant = 6, Evaluation = false });
        var (code, output, err) = Run(dir, "analyze", "study", "demo", "--out", "r.html", "--permutations", "0", "--bootstrap", "0");
        Assert.True(code == 0, err);
        Assert.Contains("no cleaning run", output, StringComparison.Ordinal);
        Assert.Contains("The study has no answered evaluation pairs", File.ReadAllText(Path.Combine(dir, "r.html")), StringComparison.Ordinal);

        (code, _, err) = Run(dir, "analyze", "study", "missing", "--out", "r2.html");
        Assert.Equal(1, code);
        Assert.Contains("study 'missing': no such study", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "r2.html")));
    }

    [Fact]
    public async Task Worked_examples_of_the_cleaning_dataset_and_analysis_docs_run_in_order()
    {
        var (dir, _, _) = await SeedAsync();
        var commands = new[] { "cleaning.md", "datasets.md", "analysis.md" }.SelectMany(Commands).ToList();
        Assert.Contains(commands, c => c.StartsWith("pluralist clean ", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("pluralist dataset build ", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("pluralist analyze study ", StringComparison.Ordinal));
        foreach (var line in commands)
        {
            var (code, output, err) = CliRunner.Run(dir, line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1));
            Assert.True(code == 0, $"'{line}' exited {code}: {err}");
            if (line.Contains(" --out ", StringComparison.Ordinal) && line.StartsWith("pluralist dataset", StringComparison.Ordinal))
            {
                Assert.Contains("cleaning: run 1", output, StringComparison.Ordinal);
            }
        }
    }

    private static IEnumerable<string> Commands(string doc)
    {
        var path = AppContext.BaseDirectory;
        for (var d = new DirectoryInfo(path); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "docs", doc);
            if (File.Exists(candidate))
            {
                var text = File.ReadAllText(candidate);
                return System.Text.RegularExpressions.Regex.Matches(text, "```sh\\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
                    .SelectMany(m => m.Groups[1].Value.Split('\n'))
                    .Select(l => l.Trim())
                    .Where(l => l.StartsWith("pluralist ", StringComparison.Ordinal))
                    .ToList();
            }
        }

        throw new FileNotFoundException($"docs/{doc} not found above the test output folder");
    }

    [Fact]
    public async Task A_study_key_of_digits_only_is_refused_and_an_older_one_is_named_without_ambiguity()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init", "--data", "d").Code);
        Assert.Equal(0, CliRunner.Run(dir, "study", "export", "livs-default", "--data", "d", "--out", "b").Code);

        // --key: exit 1 naming the option; nothing imported.
        var (code, _, err) = CliRunner.Run(dir, "study", "import", "b", "--data", "d", "--key", "123");
        Assert.Equal(1, code);
        Assert.Contains("error: --key: '123' cannot be a study key", err, StringComparison.Ordinal);

        // study.json: exit 1 naming the file and field.
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "b", "study.json")))!;
        json["key"] = "42";
        File.WriteAllText(Path.Combine(dir, "b", "study.json"), json.ToJsonString());
        (code, _, err) = CliRunner.Run(dir, "study", "import", "b", "--data", "e");
        Assert.Equal(1, code);
        Assert.Contains("study.json", err, StringComparison.Ordinal);
        Assert.Contains("$.key", err, StringComparison.Ordinal);
        Assert.Contains("'42' cannot be a study key", err, StringComparison.Ordinal);

        var options = new DatabaseOptions(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dir, "d", "pluralist.db")}");
        long defaultId;
        await using (var db = PluralistDatabase.CreateContext(options))
        {
            Assert.Equal(["livs-default"], await db.Studies.Select(s => s.Key).ToListAsync());
            defaultId = (await db.Studies.SingleAsync()).Id;

            // A database from before the rule may hold a key equal to another study's id.
            db.Studies.Add(new Study { Key = defaultId.ToString(System.Globalization.CultureInfo.InvariantCulture), Title = LocalizedText.Of("Legacy", "Ancienne"), CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        var number = defaultId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        (code, _, err) = CliRunner.Run(dir, "study", "export", number, "--data", "d", "--out", "x");
        Assert.Equal(1, code);
        Assert.Contains($"'{number}' is ambiguous", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "x")));
        (code, _, err) = CliRunner.Run(dir, "study", "export", "key:" + number, "--data", "d", "--out", "legacy");
        Assert.True(code == 0, err);
        Assert.Equal(number, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "legacy", "study.json")))!["key"]!.GetValue<string>());
        (code, _, err) = CliRunner.Run(dir, "study", "export", "id:" + number, "--data", "d", "--out", "default");
        Assert.True(code == 0, err);
        Assert.Equal("livs-default", JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "default", "study.json")))!["key"]!.GetValue<string>());
    }
}
