using System.Text.Json.Nodes;
using Pluralist.Analysis.Reports;
using Pluralist.Analysis.Text;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Core.Prompts;

namespace Pluralist.Analysis.Tests;

public class ReportTests
{
    private static long _id;

    private static CleaningRow Row(long participant, string criterion, double? asShown, bool image0OnLeft = true, long batch = 1, long prompt = 1, long pair = 1, PairKind kind = PairKind.Annotation, long? annotation = null)
    {
        var id = Interlocked.Increment(ref _id);
        return new CleaningRow
        {
            AnswerId = id,
            AnnotationId = annotation ?? id,
            AssignmentId = id,
            ParticipantId = participant,
            BatchId = batch,
            PairId = pair,
            PromptId = prompt,
            Image0Id = pair * 10,
            Image1Id = (pair * 10) + 1,
            PairKind = kind,
            Criterion = criterion,
            ScoreAsShown = asShown,
            Image0OnLeft = image0OnLeft,
        };
    }

    [Fact]
    public void Descriptives_count_answers_neutrals_variance_and_slider_bins()
    {
        CleaningRow[] rows =
        [
            Row(1, "safety", -1), Row(1, "safety", 0.5, image0OnLeft: false), Row(2, "safety", 0), Row(2, "safety", null),
            Row(3, "comfort", 1, batch: 2, prompt: 2), Row(3, "comfort", -0.05, batch: 2, prompt: 2), Row(1, "comfort", 0, prompt: 2),
        ];
        var d = Descriptives.Descriptives.Compute(rows, p => $"P{p}", p => p == 1 ? "human" : "llm-1");

        var safety = d.PerCriterion.Single(s => s.Key == "safety");
        // Oriented: -1, -0.5 (shown on the other side), 0; one unanswered.
        Assert.Equal((4, 3, 1, 2), (safety.Shown, safety.Answered, safety.Neutral, safety.Participants));
        Assert.Equal(-0.5, safety.Mean, 12);
        Assert.Equal(0.25, safety.Variance, 12); // ((−0.5)² + 0² + 0.5²) / 2
        Assert.Equal(1 / 3.0, safety.NeutralShare, 12);
        Assert.Equal(0.25, safety.UnansweredShare, 12);

        // Histogram of values as shown: -1 in the first bin, 0.5 in [0.5, 0.6), 0 in the neutral bin, 1 in the last, -0.05 in [-0.1, 0).
        int Bin(string c, double lower, double upper) => d.SliderHistogram.Single(b => b.Criterion == c && b.Lower == lower && b.Upper == upper).Count;
        Assert.Equal(1, Bin("safety", -1, -0.9));
        Assert.Equal(1, Bin("safety", 0.5, 0.6));
        Assert.Equal(1, Bin("safety", 0, 0));
        Assert.Equal(1, Bin("comfort", 0.9, 1));
        Assert.Equal(1, Bin("comfort", -0.1, 0));
        Assert.Equal(21, d.SliderHistogram.Count(b => b.Criterion == "comfort"));
        Assert.Equal(3, d.SliderHistogram.Where(b => b.Criterion == "comfort").Sum(b => b.Count));

        Assert.Equal(["P1", "P2", "P3"], d.PerParticipant.Select(p => p.Key));
        Assert.Equal([3, 1, 2], d.PerParticipant.Select(p => p.Answered));
        Assert.Equal([("1", 4), ("2", 2)], d.PerBatch.Select(b => (b.Key, b.Answered)));
        Assert.Equal([("human", 3), ("llm-1", 3)], d.PerPromptSource.Select(b => (b.Key, b.Answered)));
        Assert.Equal(6, d.Overall.Answered);
    }

    [Fact]
    public void Groups_below_the_minimum_size_are_never_shown()
    {
        // 12 participants: 6 in "alpha", 4 in "zeta-small", 2 without consent to the marker.
        var rng = new Random(3);
        var rows = new List<CleaningRow>();
        for (var p = 1; p <= 12; p++)
        {
            for (var pair = 1; pair <= 10; pair++)
            {
                foreach (var c in new[] { "safety", "comfort" })
                {
                    rows.Add(Row(p, c, Math.Round((rng.NextDouble() * 2) - 1, 2), pair: pair, prompt: 1 + (pair % 2)));
                }
            }
        }

        var markers = Enumerable.Range(1, 10).ToDictionary(p => (long)p, p => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["gender"] = p <= 6 ? "alpha" : "zeta-small" });
        var input = new StudyReportInput
        {
            StudyKey = "s",
            StudyTitle = "S",
            Rows = rows,
            Axes = ["gender"],
            Markers = markers,
            MinGroupSize = 5,
            Permutations = 49,
            BootstrapReplicates = 20,
        };
        var report = StudyReportBuilder.Build(input);
        var tables = report.Tables.ToDictionary(t => t.Name);
        var json = new JsonObject(report.Tables.Select(t => KeyValuePair.Create(t.Name, (JsonNode?)t.ToJson()))).ToJsonString();
        var html = ReportHtml.Render(report);
        Assert.DoesNotContain("zeta", json, StringComparison.Ordinal);
        Assert.DoesNotContain("zeta", html, StringComparison.Ordinal);
        Assert.Contains(report.Notes, n => n.StartsWith("1 identity group(s)", StringComparison.Ordinal));
        Assert.Equal(["alpha"], tables["gai"].Rows.Select(r => (string)r[1]!));
        Assert.All(tables["answers_per_group"].Rows, r => Assert.Equal(("gender", "alpha", 6), ((string)r[0]!, (string)r[1]!, (int)r[3]!)));
        Assert.Contains("The study has no cleaning run", report.Notes[0], StringComparison.Ordinal);

        // The page is self-contained: the three builds are inline, no script is loaded from elsewhere.
        foreach (var name in ReportHtml.Scripts)
        {
            Assert.Contains("/* " + name + " */", html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("<script src", html, StringComparison.Ordinal);
        Assert.True(ReportHtml.Script("vega.min.js").Length > 100_000);
    }

    [Fact]
    public void Prompt_keywords_per_source_match_a_hand_count()
    {
        SourcedPrompt[] prompts =
        [
            new(1, "human", "en", "A park with benches under tall trees"),   // park, benches, tall, trees ("with", "under" are stop words)
            new(2, "human", "en", "A Park and a park with Benches"),         // park, benches: once per prompt, case folded
            new(3, "human", "en", "A community garden with benches"),        // "community garden" is one concept phrase; benches
            new(4, "human", "fr", "Un parc avec des bancs"),                 // parc, bancs ("avec", "des" are stop words)
            new(5, "human", "de", "Ein Park mit Bänken"),                    // no stop-list for German: left out
            new(6, "llm-1", "en", "Quiet plaza with trees at night"),        // quiet, plaza, trees, night ("at" is too short)
            new(7, "llm-1", "en-CA", "Trees and trees"),                     // trees, once
        ];

        // Worked by hand: human has 4 counted prompts, llm-1 has 2.
        (string Source, string Keyword, string Category, int Prompts, int Of)[] expected =
        [
            ("human", "benches", Concepts.Amenities, 3, 4),
            ("human", "park", Concepts.Typologies, 2, 4),
            ("human", "bancs", Concepts.Amenities, 1, 4),
            ("human", "community garden", Concepts.Typologies, 1, 4),
            ("human", "parc", Concepts.Typologies, 1, 4),
            ("human", "tall", Keywords.Word, 1, 4),
            ("human", "trees", Concepts.Nature, 1, 4),
            ("llm-1", "trees", Concepts.Nature, 2, 2),
            ("llm-1", "night", Concepts.TimesAndSeasons, 1, 2),
            ("llm-1", "plaza", Concepts.Typologies, 1, 2),
            ("llm-1", "quiet", Keywords.Word, 1, 2),
        ];
        var result = PromptKeywords.PerSource(prompts);
        Assert.Equal(expected, result.Keywords.Select(k => (k.Source, k.Keyword, k.Category, k.Prompts, k.SourcePrompts)));
        Assert.All(result.Keywords, k => Assert.Equal((double)k.Prompts / k.SourcePrompts, k.Share));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4], result.Keywords.Select(k => k.Rank));
        Assert.Equal(1, result.UnsupportedLanguage);
        Assert.Equal(new Dictionary<string, int> { ["human"] = 4, ["llm-1"] = 2 }, result.PromptsPerSource);
        Assert.Equal(["benches", "park", "bancs", "trees", "night", "plaza"], PromptKeywords.PerSource(prompts, top: 3).Keywords.Select(k => k.Keyword));

        // In the report: the table, and a chart whose text alternative gives each source's first keywords.
        var rows = Enumerable.Range(1, 3).SelectMany(p => new[] { Row(p, "safety", 0.5, pair: 1), Row(p, "safety", -0.2, pair: 2) }).ToList();
        var report = StudyReportBuilder.Build(new StudyReportInput { StudyKey = "s", StudyTitle = "S", Rows = rows, Prompts = prompts, Permutations = 0, BootstrapReplicates = 0 });
        var section = report.Sections.Single(s => s.Id == "prompt-keywords");
        var table = section.Tables.Single(t => t.Name == "prompt_keywords_per_source");
        Assert.Equal(["human", 1, "benches", Concepts.Amenities, 3, 4, 0.75], table.Rows[0]);
        Assert.Equal(expected.Length, table.Rows.Count);
        var chart = section.Charts.Single(c => c.Id == "prompt-keywords");
        Assert.Equal("Most frequent keywords of each prompt source's prompts, as the share of the source's prompts containing each: human (4 prompts): benches 75.0% (3), park 50.0% (2), bancs 25.0% (1), community garden 25.0% (1), parc 25.0% (1); llm-1 (2 prompts): trees 100.0% (2), night 50.0% (1), plaza 50.0% (1), quiet 50.0% (1).", chart.Summary);
        Assert.Contains(section.Paragraphs, p => p.StartsWith("1 prompt(s) in a language without", StringComparison.Ordinal));
        Assert.Contains("The study has no prompts.", StudyReportBuilder.Build(new StudyReportInput { StudyKey = "s", StudyTitle = "S", Rows = rows, Permutations = 0, BootstrapReplicates = 0 }).Sections.Single(s => s.Id == "prompt-keywords").Paragraphs);
    }

    [Fact]
    public void Tables_write_csv_with_quotes_and_json_with_nulls_for_undefined_values()
    {
        var t = new ReportTable("t", "T", ["key", "value", "flag"], [["a,\"b\"", double.NaN, true], ["c", 0.25, false]]);
        Assert.Equal("key,value,flag\r\n\"a,\"\"b\"\"\",,true\r\nc,0.25,false\r\n", t.ToCsv());
        var json = t.ToJson();
        Assert.Null(json[0]!["value"]);
        Assert.Equal(0.25, json[1]!["value"]!.GetValue<double>());
    }
}
