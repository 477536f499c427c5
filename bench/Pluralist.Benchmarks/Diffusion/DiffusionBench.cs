using System.Diagnostics;
using System.Globalization;
using Pluralist.Diffusion;
using Pluralist.Tensors;

namespace Pluralist.Benchmarks.Diffusion;

/// <summary>
/// The embedded diffusion model at its default configuration (32x32, or 64x64 with <c>--size 64</c>): parameter count,
/// one base training step (batch 16), one Diffusion-DPO step (8 pairs: model on 16 images with backward, reference
/// forward), and generation per image (DDIM, 50 steps by default, guidance 3 = two UNet passes per step) at batch 1 and 8.
/// Options: <c>--size 32|64</c>, <c>--steps N</c> (sampler steps), <c>--repeats N</c>, <c>--threads N</c>.
/// Timings: median of the repeats after warm-up steps (tiered JIT).
/// </summary>
public sealed class DiffusionBench : IBenchSuite
{
    public string Name => "diffusion";

    public string Description => "embedded diffusion model: training step, DPO step, generation per image";

    public Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        int size = Opt(args, "--size", 32), sampleSteps = Opt(args, "--steps", 50), repeats = Opt(args, "--repeats", 3);
        int threads = Opt(args, "--threads", Environment.ProcessorCount);
        Parallelism.Threads = threads;
        var config = size == 64 ? DiffusionModelConfig.Default64 : DiffusionModelConfig.Default32;
        var model = new DiffusionModel(config);
        var g = new Generator(1);
        int per = 3 * size * size;
        var images = Enumerable.Range(0, 32).Select(i => new ImageCaption(g.Uniform(-1, 1, per).Data, i % 2 == 0 ? "a quiet park with benches and trees" : "une rue animée avec des vélos")).ToList();
        var source = new InMemoryImageCaptionSource(images);

        output.WriteLine($"# diffusion, {size}x{size}, {model.ParameterCount():N0} parameters, {threads} threads, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load {Load()}");
        output.WriteLine();
        output.WriteLine("| measurement | median | min |");
        output.WriteLine("|---|---:|---:|");

        var trainer = new DiffusionTrainer(model, new TrainingOptions { BatchSize = 16, Steps = 1000, WarmupSteps = 1, EmaDecay = 0.999f });
        Row(output, "training step, batch 16 (forward, backward, AdamW, EMA)", Time(() => trainer.TrainStep(source), 2, repeats, cancellationToken));

        var pairs = new InMemoryPreferenceSource(Enumerable.Range(0, 16).Select(i => new PreferencePair(images[i].Pixels, images[i + 16].Pixels, images[i].Caption, 1f)).ToList());
        var dpo = new DpoTrainer(model, pairs, new DpoOptions { BatchSize = 8, Steps = 1000 });
        Row(output, "Diffusion-DPO step, 8 pairs (full fine-tuning; model fwd+bwd on 16 images, reference fwd)", Time(() => dpo.TrainStep(), 1, repeats, cancellationToken));

        foreach (var batch in new[] { 1, 8 })
        {
            var req = new GenerationRequest { Prompts = Enumerable.Repeat("a quiet park with benches", batch).ToList(), Seed = 1, GuidanceScale = 3f, Sampler = new SamplerOptions { Steps = sampleSteps } };
            var t = Time(() => model.Generate(req), 1, Math.Min(repeats, 2), cancellationToken);
            Row(output, $"generation, DDIM {sampleSteps} steps, guidance 3, batch {batch}: per image", (t.Median / batch, t.Min / batch));
        }

        return Task.CompletedTask;
    }

    private static (double Median, double Min) Time(Action a, int warmup, int repeats, CancellationToken ct)
    {
        for (int i = 0; i < warmup; i++)
        {
            a();
        }

        var ts = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            ct.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            a();
            ts.Add(sw.Elapsed.TotalMilliseconds);
        }

        ts.Sort();
        return (ts[ts.Count / 2], ts[0]);
    }

    private static void Row(TextWriter o, string what, (double Median, double Min) t) =>
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {Fmt(t.Median)} | {Fmt(t.Min)} |"));

    private static string Fmt(double ms) => ms >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:F2} s") : string.Create(CultureInfo.InvariantCulture, $"{ms:F0} ms");

    private static string Load()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static int Opt(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
