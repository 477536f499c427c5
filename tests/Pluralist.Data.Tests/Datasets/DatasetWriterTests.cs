using Pluralist.Core.Cleaning;
using Pluralist.Core.Preferences;
using Pluralist.Data.Datasets;

namespace Pluralist.Data.Tests.Datasets;

public sealed class DatasetWriterTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "pluralist-ds-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<CleaningRow> Rows()
    {
        var rows = new List<CleaningRow>();
        long id = 1;
        var rng = new Random(5);
        for (var p = 1; p <= 12; p++)
        {
            for (var pair = 1; pair <= 8; pair++)
            {
                var annotation = id * 10;
                foreach (var c in new[] { "safety", "comfort", "inclusivity" })
                {
                    rows.Add(new CleaningRow
                    {
                        AnswerId = id++,
                        AnnotationId = annotation,
                        AssignmentId = annotation,
                        ParticipantId = p,
                        PairId = pair,
                        PromptId = (pair + 1) / 2,
                        Image0Id = pair * 10,
                        Image1Id = (pair * 10) + 1,
                        Criterion = c,
                        ScoreAsShown = Math.Round((rng.NextDouble() * 2) - 1, 1),
                        Image0OnLeft = rng.Next(2) == 0,
                    });
                }
            }
        }

        return rows;
    }

    private DatasetInput Input(IReadOnlyList<PreferenceLabel> labels, IReadOnlyDictionary<long, string> groups, CleaningReport? report)
    {
        var src = Path.Combine(dir, "src");
        Directory.CreateDirectory(src);
        var paths = new Dictionary<long, string>();
        foreach (var img in labels.SelectMany(l => new[] { l.Image0Id, l.Image1Id }).Distinct())
        {
            var path = Path.Combine(src, $"img{img}.png");
            File.WriteAllBytes(path, [0x89, 0x50, 0x4E, 0x47, (byte)img]);
            paths[img] = path;
        }

        return new DatasetInput
        {
            StudyName = "Test study",
            Criteria = ["safety", "comfort", "inclusivity"],
            Protocol = "livs",
            Labels = labels,
            Captions = labels.Select(l => l.PromptId).Distinct().ToDictionary(p => p, p => $"a plaza, \"variant\" {p}"),
            ImagePaths = paths,
            ConsentedGroups = groups,
            MinGroupSize = 3,
            Cleaning = report,
            SplitSeed = 11,
        };
    }

    [Fact]
    public void ExportReadsBackToTheSameLabels()
    {
        var rows = Rows();
        var run = CleaningEngine.Run(rows, CleaningRuleSet.Default);
        var labels = Labeler.Build(run.KeptRows, new LabelOptions());
        Assert.NotEmpty(labels);
        var result = DatasetWriter.Write(Input(labels, new Dictionary<long, string>(), run.Report), Path.Combine(dir, "out"));
        Assert.Empty(result.Warnings);
        var back = DatasetWriter.ReadPairs(Path.Combine(dir, "out", "pairs.jsonl"));
        Assert.Equal(labels.Count, back.Count);
        for (var i = 0; i < labels.Count; i++)
        {
            Assert.Equal(labels[i] with { PromptId = 0, SourceAnswers = [] }, back[i].Label with { SourceAnswers = [] });
            Assert.Equal(labels[i].SourceAnswers, back[i].Label.SourceAnswers);
        }

        // No prompt in two splits; every image copied; datasheet states the cleaning counts.
        Assert.All(back.GroupBy(b => b.Caption), g => Assert.Single(g.Select(x => x.Split).Distinct()));
        Assert.Equal(result.Images, Directory.GetFiles(Path.Combine(dir, "out", "images"), "*.png").Length);
        Assert.Equal(result.Images, File.ReadAllLines(Path.Combine(dir, "out", "images", "metadata.jsonl")).Length);
        Assert.Equal(labels.Count + 1, File.ReadAllLines(Path.Combine(dir, "out", "pairs.csv")).Length);
        var readme = File.ReadAllText(Path.Combine(dir, "out", "README.md"));
        Assert.Contains($"{run.Report.RowsIn} answers in, {run.Report.RowsOut} out", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void UnconsentedOrSmallGroupMarkersNeverReachTheFiles()
    {
        var rows = Rows();
        // Try to leak: labels claim groups for participants whose consent does not cover them.
        var claimed = Enumerable.Range(1, 12).ToDictionary(p => (long)p, p => p <= 4 ? "group-consented" : p <= 6 ? "group-small" : "SECRET-unconsented");
        var labels = Labeler.Build(rows, new LabelOptions { Groups = claimed });
        var consented = Enumerable.Range(1, 6).ToDictionary(p => (long)p, p => p <= 4 ? "group-consented" : "group-small");
        var result = DatasetWriter.Write(Input(labels, consented, null), Path.Combine(dir, "out"));
        var text = string.Concat(Directory.GetFiles(Path.Combine(dir, "out"), "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".png", StringComparison.Ordinal)).Select(File.ReadAllText));
        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
        Assert.DoesNotContain("group-small", text, StringComparison.Ordinal);
        Assert.Contains("\"group\":\"group-consented\"", text, StringComparison.Ordinal);
        Assert.Contains(result.Warnings, w => w.StartsWith("1 consented group(s) with fewer than the study minimum", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Warnings, w => w.Contains("group-small", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("not been cleaned", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingImageFileIsNamed()
    {
        var labels = Labeler.Build(Rows(), new LabelOptions());
        var input = Input(labels, new Dictionary<long, string>(), null);
        File.Delete(input.ImagePaths[labels[0].Image0Id]);
        var e = Assert.Throws<ArgumentException>(() => DatasetWriter.Write(input, Path.Combine(dir, "out")));
        Assert.Contains($"image {labels[0].Image0Id}", e.Message, StringComparison.Ordinal);
    }
}
