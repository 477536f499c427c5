namespace Pluralist.Cli.Tests;

/// <summary><c>images select --embedder onnx-clip</c> and <c>images score</c> on the tiny ONNX CLIP, and their errors.</summary>
public sealed class OnnxCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    private static string Model => Path.Combine(AppContext.BaseDirectory, "tiny-clip");

    public void Dispose() => Directory.Delete(_dir, true);

    private void Generate()
    {
        File.WriteAllText(Path.Combine(_dir, "p.txt"), "A park with benches under trees\nUne place calme la nuit\n");
        var (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "world", "--variants", "5", "--size", "40", "--out", "run");
        Assert.True(code == 0, err);
    }

    [Fact]
    public void Select_and_score_run_on_ONNX_Runtime_and_say_which_provider_ran()
    {
        Generate();
        var (code, output, err) = CliRunner.Run(_dir, "images", "select", "run", "--k", "3", "--embedder", "onnx-clip", "--clip-dir", Model, "--random-draws", "10");
        Assert.True(code == 0, err);
        Assert.Contains("model.onnx on CPUExecutionProvider", output, StringComparison.Ordinal);
        Assert.Matches(@"2 prompts, k = 3, greedy on onnx-clip:tiny-clip: Vendi selected \d\.\d{3}", output);
        Assert.Equal(7, File.ReadAllLines(Path.Combine(_dir, "run", "selection.csv")).Length);

        (code, output, err) = CliRunner.Run(_dir, "images", "select", "run", "--k", "2", "--embedder", "onnx-clip", "--clip-dir", Model, "--method", "mmr", "--random-draws", "10");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("has no text tower", err, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(_dir, "images", "score", "run", "--scorer", Model, "--kind", "clip-score", "--language", "fr");
        Assert.True(code == 0, err);
        Assert.Contains("CPUExecutionProvider", output, StringComparison.Ordinal);
        Assert.Contains("logit scale 33.115 (logits_per_image)", output, StringComparison.Ordinal);
        Assert.Contains("2 prompts, 10 images, 7 criteria", output, StringComparison.Ordinal);
        var scores = File.ReadAllLines(Path.Combine(_dir, "run", "scores.csv"));
        Assert.Equal(1 + 10 * 7, scores.Length);
        Assert.Contains(scores, l => l.Contains("un lieu sûr", StringComparison.Ordinal) && l.Contains("clip-score:onnx-clip:tiny-clip", StringComparison.Ordinal));
        Assert.Equal(1 + 2 * 10 * 7, File.ReadAllLines(Path.Combine(_dir, "run", "score-pairs.csv")).Length);
    }

    [Fact]
    public void Bad_devices_kinds_and_folders_are_named_and_exit_1()
    {
        Generate();
        var (code, _, err) = CliRunner.Run(_dir, "images", "select", "run", "--embedder", "onnx-clip", "--clip-dir", Model, "--device", "cuda");
        Assert.Equal(1, code);
        Assert.Contains("--device cuda: this build of ONNX Runtime has no CUDA execution provider", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "run", "selection.csv")));

        (code, _, err) = CliRunner.Run(_dir, "images", "score", "run", "--scorer", Model, "--device", "cuda");
        Assert.Equal(1, code);
        Assert.Contains("no CUDA execution provider", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "run", "scores.csv")));

        (code, _, err) = CliRunner.Run(_dir, "images", "select", "run", "--embedder", "onnx-clip", "--clip-dir", Model, "--device", "tpu");
        Assert.Equal(1, code);
        Assert.Contains("--device 'tpu'", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "select", "run", "--embedder", "color-layout", "--device", "cuda");
        Assert.Equal(1, code);
        Assert.Contains("--device cuda applies to --embedder onnx-clip only", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "select", "run", "--embedder", "onnx-clip");
        Assert.Equal(1, code);
        Assert.Contains("--embedder onnx-clip needs --clip-dir", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "select", "run", "--embedder", "onnx-clip", "--clip-dir", "run");
        Assert.Equal(1, code);
        Assert.Contains($"{Path.Combine("run", "model.onnx")} not found: no ONNX model", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "score", "run", "--scorer", Model, "--kind", "aesthetic");
        Assert.Equal(1, code);
        Assert.Contains("--kind 'aesthetic'", err, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "criteria.csv"), "criterion,template\nsafety,a safe place\n");
        (code, _, err) = CliRunner.Run(_dir, "images", "score", "run", "--scorer", Model, "--criteria", "criteria.csv");
        Assert.Equal(1, code);
        Assert.Contains("criteria.csv:2:2 (template): must contain {prompt}", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "score", "nowhere", "--scorer", Model);
        Assert.Equal(1, code);
        Assert.Contains("manifest.csv not found", err, StringComparison.Ordinal);
    }
}
