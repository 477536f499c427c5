using System.Diagnostics;
using System.Globalization;
using Pluralist.Diffusion;
using Pluralist.Tensors;

namespace Pluralist.Benchmarks.Diffusion;

/// <summary>
/// Time per <see cref="DpoTrainer"/> step for each <see cref="DpoObjective"/> against DPO on the same batch: one copy of
/// the embedded model (default 32x32 configuration) per objective, the same pairs (two identity groups), seed and so the
/// same pairs, timesteps and noise at every step; the trainers step in turn (round robin), so load changes on the machine
/// fall on every objective alike. Full fine-tuning (or <c>--lora</c>: rank 4 on the attention projections).
/// Options: <c>--pairs N</c> (per step, 8), <c>--micro N</c> (gradient accumulation rows with micro-batches of N, 4; 0 = none),
/// <c>--repeats N</c> (5), <c>--threads N</c>, <c>--lora</c>. Median and min after one warm-up step each.
/// </summary>
public sealed class ObjectivesBench : IBenchSuite
{
    public string Name => "objectives";

    public string Description => "DPO trainer step per objective (dpo, group-robust, kto, mapo) on the same batch";

    public Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        int pairs = Opt(args, "--pairs", 8), micro = Opt(args, "--micro", 4), repeats = Opt(args, "--repeats", 5);
        int threads = Opt(args, "--threads", Environment.ProcessorCount);
        bool lora = args.Contains("--lora");
        Parallelism.Threads = threads;
        var model = new DiffusionModel(DiffusionModelConfig.Default32);
        int per = 3 * 32 * 32;
        var g = new Generator(1);
        var data = new InMemoryPreferenceSource([.. Enumerable.Range(0, 4 * pairs).Select(i => new PreferencePair(
            g.Uniform(-1, 1, per).Data, g.Uniform(-1, 1, per).Data, i % 2 == 0 ? "a quiet park with benches and trees" : "une rue animée avec des vélos",
            i % 3 == 0 ? 0.2f : 0.9f, Group: i % 4 == 0 ? "mobility" : "none"))]);

        var arms = new List<(string Name, DpoOptions Options)>
        {
            ("dpo", new DpoOptions()),
            ("group-robust (2 groups)", new DpoOptions { Objective = DpoObjective.GroupRobust }),
            ("kto", new DpoOptions { Objective = DpoObjective.Kto }),
            ("mapo (no reference pass)", new DpoOptions { Objective = DpoObjective.Mapo }),
            ("dpo + margin", new DpoOptions { MarginPerStrength = 1f }),
        };
        if (micro > 0 && micro < pairs)
        {
            arms.Add(($"dpo, micro-batches of {micro}", new DpoOptions { MicroBatchSize = micro }));
            arms.Add(($"group-robust, micro-batches of {micro} (+ a pass without gradients)", new DpoOptions { Objective = DpoObjective.GroupRobust, MicroBatchSize = micro }));
        }

        var trainers = arms.Select(a => new DpoTrainer(model.Copy(), data, a.Options with
        {
            BatchSize = pairs,
            Steps = 1000,
            LearningRate = 1e-5f,
            Mode = lora ? FineTuneMode.Lora : FineTuneMode.Full,
        })).ToList();
        output.WriteLine($"# objectives, 32x32, {model.ParameterCount():N0} parameters, {(lora ? "LoRA rank 4 (attention)" : "full fine-tuning")}, {pairs} pairs per step, {threads} threads, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load {Load()}");
        output.WriteLine();
        output.WriteLine("| objective | median | min | median / dpo's |");
        output.WriteLine("|---|---:|---:|---:|");

        foreach (var t in trainers)
        {
            t.TrainStep(); // warm-up (tiered JIT)
        }

        var times = trainers.Select(_ => new List<double>()).ToList();
        for (int r = 0; r < repeats; r++)
        {
            for (int i = 0; i < trainers.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                trainers[i].TrainStep();
                times[i].Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        double dpo = Median(times[0]);
        for (int i = 0; i < trainers.Count; i++)
        {
            double m = Median(times[i]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {arms[i].Name} | {Fmt(m)} | {Fmt(times[i].Min())} | {m / dpo:F2} |"));
        }

        return Task.CompletedTask;
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToList();
        return s[s.Count / 2];
    }

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
