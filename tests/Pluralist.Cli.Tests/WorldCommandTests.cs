using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.World.Imaging;
using Pluralist.World.Prompts;
using Pluralist.World.Truth;

namespace Pluralist.Cli.Tests;

public sealed class WorldCommandTests
{
    [Fact]
    public void RenderFromPromptWritesPngSpecAndCaptionsReproducibly()
    {
        var dir = CliRunner.TempDir();
        string[] args = ["world", "render", "--prompt", "a", "schoolyard", "with", "a", "playground", "at", "night", "--seeds", "3-4", "--size", "64", "--out", "r"];
        var (code, _, err) = CliRunner.Run(dir, args);
        Assert.True(code == 0, err);
        var png = File.ReadAllBytes(Path.Combine(dir, "r", "scene-s3.png"));
        var image = Png.Decode(png);
        Assert.Equal((64, 64), (image.Width, image.Height));
        using var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "r", "scene-s3.json")));
        Assert.Equal("schoolyard", spec.RootElement.GetProperty("spec").GetProperty("typology").GetString());
        Assert.Equal(6, spec.RootElement.GetProperty("utilities").EnumerateObject().Count());
        Assert.StartsWith("A ", spec.RootElement.GetProperty("captionEn").GetString(), StringComparison.Ordinal);
        var lines = File.ReadAllLines(Path.Combine(dir, "r", "metadata.jsonl"));
        Assert.Equal(2, lines.Length);
        Assert.Contains("cour d'école", lines[0], StringComparison.Ordinal);

        // Same command, same bytes.
        Assert.Equal(0, CliRunner.Run(dir, [.. args[..^1], "r2"]).Code);
        Assert.Equal(png, File.ReadAllBytes(Path.Combine(dir, "r2", "scene-s3.png")));
    }

    [Fact]
    public void RenderReportsUnknownWordsAndBadSpecFields()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "world", "render", "--prompt", "a park near the glorbnik", "--out", "r");
        Assert.Equal(0, code);
        Assert.Contains("glorbnik", err, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir, "bad.json"), "{\n  \"typology\": \"park\",\n  \"lights\": \"many\"\n}");
        var (code2, _, err2) = CliRunner.Run(dir, "world", "render", "--spec", "bad.json", "--out", "r");
        Assert.Equal(1, code2);
        Assert.Contains("bad.json", err2, StringComparison.Ordinal);
        Assert.Contains("lights", err2, StringComparison.Ordinal);

        Assert.Equal(1, CliRunner.Run(dir, "world", "render", "--out", "r").Code);
        Assert.Equal(1, CliRunner.Run(dir, "world", "render", "--prompt", "park", "--size", "2000", "--out", "r").Code);
        Assert.Equal(1, CliRunner.Run(dir, "world", "render", "--prompt", "park", "--seeds", "x", "--out", "r").Code);
    }

    [Fact]
    public void SimulateWritesAnnotationsThroughTheDatabase()
    {
        var dir = CliRunner.TempDir();
        var (code, json, err) = CliRunner.Run(dir, "simulate", "--data", "d", "--demo", "--participants", "4", "--answers", "6", "--behaviours", "careful=1,inattentive=1", "--seed", "2", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(4, doc.RootElement.GetProperty("participants").GetInt32());
        Assert.Equal(24, doc.RootElement.GetProperty("annotations").GetInt32());

        using var list = JsonDocument.Parse(CliRunner.Run(dir, "study", "list", "--data", "d", "--json").Out);
        var study = Assert.Single(list.RootElement.EnumerateArray());
        Assert.Equal(24, study.GetProperty("annotations").GetInt32());
        Assert.Equal(4, study.GetProperty("participants").GetInt32());

        var (bad, _, badErr) = CliRunner.Run(dir, "simulate", "--data", "d", "--behaviours", "careful=1,sleepy=1");
        Assert.Equal(1, bad);
        Assert.Contains("sleepy", badErr, StringComparison.Ordinal);
    }

    [Fact]
    public void SimulateWithoutWorldImagesSaysWhy()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init", "--data", "d").Code);
        var (code, _, err) = CliRunner.Run(dir, "simulate", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("no pairs", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulatedAnswersStoredAsShownAgreeWithGroundTruthInCanonicalOrder()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "simulate", "--data", "d", "--demo", "--participants", "20", "--answers", "15", "--behaviours", "careful=1", "--seed", "3");
        Assert.True(code == 0, err);
        var data = new DataDirectory(Path.Combine(dir, "d"));
        await using var db = PluralistDatabase.CreateContext(DatabaseOptions.Resolve(data, null, null));
        var images = await db.Images.ToDictionaryAsync(i => i.Id);
        var specs = images.Values.ToDictionary(i => i.Id, i => SceneFile.ReadSpec(Path.Combine(data.ImagesPath, SceneFile.SpecPath(i.StoragePath))));
        var pairs = await db.Pairs.ToDictionaryAsync(p => p.Id);
        var assignments = await db.Assignments.ToDictionaryAsync(a => a.Id);
        var annotations = await db.Annotations.Include(a => a.Scores).ToListAsync();
        int agree = 0, clear = 0;
        foreach (var annotation in annotations)
        {
            var assignment = assignments[annotation.AssignmentId];
            var pair = pairs[annotation.PairId];
            Assert.Equal(assignment.CriteriaShown, annotation.Scores.OrderBy(s => s.Position).Select(s => s.CriterionKey));
            foreach (var score in annotation.Scores.Where(s => s.Score is not null and not 0))
            {
                // Oriented to the canonical order: negative prefers image_0. Ground truth: U(image_1) - U(image_0).
                double oriented = AnnotationScore.Orient(score.Score, assignment.Image0OnLeft)!.Value;
                double truth = GroundTruth.Utility(specs[pair.Image1Id], score.CriterionKey) - GroundTruth.Utility(specs[pair.Image0Id], score.CriterionKey);
                if (Math.Abs(truth) > 0.05)
                {
                    clear++;
                    agree += Math.Sign(oriented) == Math.Sign(truth) ? 1 : 0;
                }
            }
        }

        Assert.True(clear > 100, $"only {clear} answers on clearly different pairs");
        Assert.True(agree > clear * 0.8, $"{agree} of {clear} answers agree with the ground truth");
        Assert.Contains(assignments.Values, a => a.Image0OnLeft);
        Assert.Contains(assignments.Values, a => !a.Image0OnLeft);
        Assert.All(images.Values, i => Assert.Equal(WorldGenerator.Name, i.Generator));
        Assert.Equal(6, pairs.Values.Count(p => p is { Kind: PairKind.AttentionCheck, ExpectedPreference: 1 }));
        Assert.Equal(0.05, (await db.Studies.SingleAsync()).AttentionCheckRate);
    }
}
