using System.Text.Json;
using Pluralist.World.Imaging;

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
}
