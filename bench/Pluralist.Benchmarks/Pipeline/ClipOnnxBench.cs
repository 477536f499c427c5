using System.Diagnostics;
using System.Globalization;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Onnx;
using Pluralist.Tensors;
using Pluralist.World.Imaging;

namespace Pluralist.Benchmarks.Pipeline;

/// <summary>
/// CLIP image embeddings per second on ONNX Runtime (CPU) against Pluralist's own tensor engine, on the same weights:
/// the tiny CLIP fixture of tools/onnx/make_tiny_clip.py and, when given, a larger model folder written by
/// <c>make_tiny_clip.py --preset b32 --out DIR</c> (ViT-B/32 sizes, random weights): <c>clip-onnx [DIR ...]</c>.
/// </summary>
public sealed class ClipOnnxBench : IBenchSuite
{
    public string Name => "clip-onnx";

    public string Description => "CLIP image embeddings per second: ONNX Runtime (CPU) vs our tensor engine on the same weights [model folders]";

    public Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var folders = new List<string> { FindTinyClip() };
        folders.AddRange(args);
        output.WriteLine("| model | engine | batch | images per second | ms per image |");
        output.WriteLine("|---|---|---:|---:|---:|");
        foreach (var folder in folders)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Bench(folder, output);
        }

        return Task.CompletedTask;
    }

    private static void Bench(string folder, TextWriter output)
    {
        using var onnx = OnnxClipModel.Load(folder);
        var clip = WorldClip.Load(folder);
        int s = onnx.Processor.OutputHeight, per = 3 * s * s;
        bool tiny = s <= 64;
        int batch = tiny ? 32 : 8, rounds = tiny ? 20 : 3;
        var rng = new Random(1);
        var pixels = new float[batch * per];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)(rng.NextDouble() * 4 - 2);
        }

        var images = Enumerable.Range(0, batch).Select(i =>
        {
            var img = new RgbaImage(s * 3 / 2, s);
            rng.NextBytes(img.Pixels);
            return img;
        }).ToArray();
        string name = $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)))} ({s} px, vision {clip.Model.Config.Vision.Width} wide × {clip.Model.Config.Vision.Layers} layers, patch {clip.Model.Config.PatchSize})";

        double ort = Time(rounds, () => onnx.EmbedPixels(pixels, batch));
        Row(output, name, $"ONNX Runtime 1.32, {onnx.Layout}, {onnx.ExecutionProvider}, default threads", batch, ort);
        using (var one = OnnxClipModel.Load(folder, new OnnxClipOptions { IntraOpThreads = 1 }))
        {
            Row(output, name, "ONNX Runtime, 1 thread", batch, Time(rounds, () => one.EmbedPixels(pixels, batch)));
        }

        Row(output, name, "ONNX Runtime from RGBA images, preprocessing included (bicubic resize, crop, normalise)", batch, Time(rounds, () => onnx.EmbedImages(images, batch)));
        var tensor = new Tensor(pixels, batch, 3, s, s);
        double ours = Time(tiny ? rounds : 2, () => clip.Model.EncodeImage(tensor));
        Row(output, name, "Pluralist tensor engine (ClipModel.EncodeImage)", batch, ours);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| | ONNX Runtime / our engine | | {ours / ort:0.0}× | |"));
    }

    /// <summary>Seconds per call after one warm-up call.</summary>
    private static double Time(int rounds, Action f)
    {
        f();
        var w = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++)
        {
            f();
        }

        return w.Elapsed.TotalSeconds / rounds;
    }

    private static void Row(TextWriter output, string model, string engine, int batch, double secondsPerBatch) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {model} | {engine} | {batch} | {batch / secondsPerBatch:0.0} | {secondsPerBatch * 1000 / batch:0.000} |"));

    private static string FindTinyClip()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "Pluralist.Pipeline.Tests", "Onnx", "tiny-clip");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/Pluralist.Pipeline.Tests/Onnx/tiny-clip not found above the benchmark's folder");
    }
}
