using System.Text.Json.Nodes;
using Pluralist.Analysis.Reports;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;

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
    public void Tables_write_csv_with_quotes_and_json_with_nulls_for_undefined_values()
    {
        var t = new ReportTable("t", "T", ["key", "value", "flag"], [["a,\"b\"", double.NaN, true], ["c", 0.25, false]]);
        Assert.Equal("key,value,flag\r\n\"a,\"\"b\"\"\",,true\r\nc,0.25,false\r\n", t.ToCsv());
        var json = t.ToJson();
        Assert.Null(json[0]!["value"]);
        Assert.Equal(0.25, json[1]!["value"]!.GetValue<double>());
    }
}
