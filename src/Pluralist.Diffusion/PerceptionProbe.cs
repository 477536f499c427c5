using System.Diagnostics;
using System.Text.Json;
using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>
/// A small convolutional classifier that reads categorical attributes from pixels: conv3x3 -> SiLU, then stride-2
/// conv3x3 + GroupNorm + SiLU down to 4x4, flatten, Linear -> SiLU -> Linear to the concatenated logits of every head.
/// The loss is the mean over heads of the softmax cross-entropy.
/// </summary>
public sealed class PerceptionProbe : Module
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true };
    private readonly List<(Conv2d Conv, GroupNorm Norm)> _down = [];
    private readonly Conv2d _in;
    private readonly Linear _hidden;
    private readonly Linear _out;
    private readonly int[] _offsets;

    public PerceptionProbe(ProbeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var g = new Generator(config.InitSeed);
        _in = RegisterModule("conv_in", new Conv2d(3, config.Channels, 3, padding: 1, generator: g));
        int c = config.Channels, size = config.ImageSize, level = 0;
        while (size > 4)
        {
            int next = Math.Min(c * 2, config.Channels * 4);
            var conv = RegisterModule($"down.{level}.conv", new Conv2d(c, next, 3, stride: 2, padding: 1, generator: g));
            var norm = RegisterModule($"down.{level}.norm", new GroupNorm(Math.Min(8, next), next));
            _down.Add((conv, norm));
            c = next;
            size /= 2;
            level++;
        }

        _hidden = RegisterModule("hidden", new Linear(c * 16, config.Hidden, generator: g));
        _offsets = new int[config.Heads.Count + 1];
        for (int h = 0; h < config.Heads.Count; h++)
        {
            _offsets[h + 1] = _offsets[h] + config.Heads[h].Classes;
        }

        _out = RegisterModule("out", new Linear(config.Hidden, _offsets[^1], generator: g));
    }

    public ProbeConfig Config { get; }

    /// <summary>Concatenated logits (B, sum of classes) for images (B, 3, S, S).</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var h = F.Silu(_in.Forward(x)); // (B, C, S, S)
        foreach (var (conv, norm) in _down)
        {
            h = F.Silu(norm.Forward(conv.Forward(h))); // (B, C', S/2, S/2)
        }

        h = F.Flatten(h, 1); // (B, C 4 4)
        return _out.Forward(F.Silu(_hidden.Forward(h)));
    }

    /// <summary>Mean over heads of the cross-entropy of each head's logits against its labels.</summary>
    public Tensor Loss(Tensor logits, IReadOnlyList<int[]> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        int b = logits.Shape[0];
        Tensor? total = null;
        for (int h = 0; h < Config.Heads.Count; h++)
        {
            var targets = new int[b];
            for (int i = 0; i < b; i++)
            {
                targets[i] = labels[i][h];
            }

            var ce = F.CrossEntropy(F.Slice(logits, 1, _offsets[h], Config.Heads[h].Classes), targets);
            total = total is null ? ce : F.Add(total, ce);
        }

        return F.Mul(total!, 1f / Config.Heads.Count);
    }

    /// <summary>The most likely class of every head for each image; <paramref name="images"/> holds B images of (3, S, S) back to back.</summary>
    public int[][] Predict(float[] images, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var _ = Autograd.NoGrad();
        Eval();
        int s = Config.ImageSize;
        var result = new int[count][];
        const int chunk = 64;
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            var x = new Tensor(images.AsSpan(start * 3 * s * s, n * 3 * s * s).ToArray(), [n, 3, s, s]);
            var logits = Forward(x); // (n, K)
            int k = _offsets[^1];
            for (int i = 0; i < n; i++)
            {
                var row = new int[Config.Heads.Count];
                for (int h = 0; h < row.Length; h++)
                {
                    int best = 0;
                    for (int c = 1; c < Config.Heads[h].Classes; c++)
                    {
                        if (logits.Data[(i * k) + _offsets[h] + c] > logits.Data[(i * k) + _offsets[h] + best])
                        {
                            best = c;
                        }
                    }

                    row[h] = best;
                }

                result[start + i] = row;
            }
        }

        return result;
    }

    /// <summary>
    /// Trains on <paramref name="examples"/> for <paramref name="steps"/> steps (see <see cref="ProbeTrainer"/>), calling back
    /// with (step, loss, elapsed) after each.
    /// </summary>
    public void Train(IReadOnlyList<ProbeExample> examples, int steps, int batchSize = 32, float learningRate = 2e-3f, ulong seed = 7, Action<int, float, TimeSpan>? progress = null, CancellationToken cancellationToken = default)
    {
        var trainer = new ProbeTrainer(this, examples, steps, batchSize, learningRate, seed);
        var sw = Stopwatch.StartNew();
        while (trainer.Step < steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float loss = trainer.TrainStep();
            progress?.Invoke(trainer.Step, loss, sw.Elapsed);
        }

        Eval();
    }

    /// <summary>Accuracy per head on <paramref name="examples"/>.</summary>
    public double[] Accuracy(IReadOnlyList<ProbeExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int per = 3 * Config.ImageSize * Config.ImageSize;
        var x = new float[examples.Count * per];
        for (int i = 0; i < examples.Count; i++)
        {
            examples[i].Pixels.CopyTo(x, i * per);
        }

        var pred = Predict(x, examples.Count);
        var acc = new double[Config.Heads.Count];
        for (int h = 0; h < acc.Length; h++)
        {
            acc[h] = examples.Count == 0 ? 0 : examples.Select((e, i) => e.Labels[h] == pred[i][h] ? 1 : 0).Average();
        }

        return acc;
    }

    public void Save(string path) => Safetensors.Save(path, StateDict(), StoredType.F32, new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["format"] = "pluralist-probe-1",
        ["config"] = JsonSerializer.Serialize(Config, Json),
    });

    public static PerceptionProbe Load(string path)
    {
        var (tensors, meta) = Safetensors.Load(path);
        if (!meta.TryGetValue("format", out var f) || f != "pluralist-probe-1" || !meta.TryGetValue("config", out var cfg))
        {
            throw new FormatException($"{path}: not a Pluralist perception probe (metadata 'format' pluralist-probe-1 and 'config' expected)");
        }

        var probe = new PerceptionProbe(JsonSerializer.Deserialize<ProbeConfig>(cfg, Json) ?? throw new FormatException($"{path}: empty config"));
        probe.LoadStateDict(tensors);
        probe.Eval();
        return probe;
    }

    /// <summary>Parameter count.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);
}
