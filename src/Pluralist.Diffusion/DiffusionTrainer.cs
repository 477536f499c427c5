using System.Diagnostics;
using System.Globalization;
using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>
/// Noise-prediction training (Ho et al. 2020, Alg. 1): x_0 from the source, t ~ U{0..T-1}, eps ~ N(0, I),
/// L = ||eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t, c)||^2 averaged, with prompt dropout, AdamW,
/// linear warmup, gradient clipping, EMA and checkpoints that resume bit for bit (every random draw of step k comes
/// from a stream seeded by (seed, k)).
/// </summary>
public sealed class DiffusionTrainer
{
    private readonly Adam _optimizer;
    private readonly LearningRateSchedule _lr;
    private readonly IReadOnlyList<Parameter> _params;

    public DiffusionTrainer(DiffusionModel model, TrainingOptions options)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.BatchSize < 1 || options.Steps < 0 || !(options.LearningRate > 0) || options.PromptDropout is < 0 or > 1 || options.EmaDecay is < 0 or >= 1)
        {
            throw new ArgumentException("invalid training options", nameof(options));
        }

        model.TextEncoder.Freeze(!options.TrainTextEncoder);
        _params = model.TrainableParameters();
        _optimizer = Adam.AdamW(_params, options.LearningRate, options.WeightDecay);
        _lr = new LearningRateSchedule(options.LearningRate, options.WarmupSteps);
        Ema = options.EmaDecay > 0 ? new ExponentialMovingAverage(model, options.EmaDecay) : null;
    }

    public DiffusionModel Model { get; }

    public TrainingOptions Options { get; }

    /// <summary>Shadow weights (null without EMA); copy them into a model for sampling with <see cref="ExponentialMovingAverage.CopyTo"/>.</summary>
    public ExponentialMovingAverage? Ema { get; }

    /// <summary>Optimiser steps taken so far.</summary>
    public int Step { get; private set; }

    /// <summary>Runs until <see cref="TrainingOptions.Steps"/> (or <paramref name="maxSteps"/> more steps), calling back after each step.</summary>
    public void Train(IImageCaptionSource source, Action<TrainingProgress>? progress = null, int? maxSteps = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        int end = Math.Min(Options.Steps, maxSteps is int m ? Step + m : Options.Steps);
        while (Step < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var p = TrainStep(source);
            progress?.Invoke(p);
        }
    }

    /// <summary>One optimiser step on a batch drawn from <paramref name="source"/>.</summary>
    public TrainingProgress TrainStep(IImageCaptionSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Count == 0)
        {
            throw new ArgumentException("the source is empty", nameof(source));
        }

        var sw = Stopwatch.StartNew();
        var g = Streams.For(Options.Seed, Step);
        int b = Options.BatchSize, per = ShapeProduct(Model.ImageShape), T = Model.Schedule.TrainSteps;
        var x0 = new float[b * per];
        var captions = new string[b];
        var t = new int[b];
        for (int i = 0; i < b; i++)
        {
            var item = source.Get(g.NextInt(source.Count));
            if (item.Pixels.Length != per)
            {
                throw new InvalidOperationException($"image has {item.Pixels.Length} values, the model takes {per}");
            }

            item.Pixels.CopyTo(x0, i * per);
            captions[i] = g.NextFloat() < Options.PromptDropout ? string.Empty : item.Caption;
            t[i] = g.NextInt(T); // t ~ U{0..T-1}
        }

        var noise = g.Normal(0, 1, [b, .. Model.ImageShape]); // eps (B, C, H, W)
        float lossValue;
        // the step's activations and gradients reuse one pool of arrays from step to step
        using (TensorScope.Begin())
        {
            var noisy = Model.Schedule.AddNoise(new Tensor(x0, [b, .. Model.ImageShape]), noise, t); // x_t (B, C, H, W)
            Model.Train();
            var (ctx, mask) = Model.EncodeText(captions); // (B, L, D)
            var pred = Model.UNet.PredictNoise(noisy, t, ctx, mask); // (B, C, H, W)
            var loss = F.MseLoss(pred, noise);
            _optimizer.ZeroGrad();
            loss.Backward();
            lossValue = loss.Item();
        }

        float norm = Options.MaxGradNorm > 0 ? GradUtil.ClipGradNorm(_params, Options.MaxGradNorm) : float.NaN;
        _optimizer.LearningRate = _lr.At(Step);
        _optimizer.Step();
        Ema?.Update();
        Step++;
        return new TrainingProgress(Step, Options.Steps, lossValue, _optimizer.LearningRate, norm, sw.Elapsed);
    }

    /// <summary>
    /// Mean noise-prediction loss over <paramref name="count"/> draws (item, t, eps from <paramref name="seed"/>; captions kept),
    /// without gradients: a fixed yardstick to compare before and after training.
    /// </summary>
    public float EvaluateLoss(IImageCaptionSource source, ulong seed, int count = 32)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var _ = Autograd.NoGrad();
        var g = new Generator(seed);
        int per = ShapeProduct(Model.ImageShape);
        var x0 = new float[count * per];
        var captions = new string[count];
        var t = new int[count];
        for (int i = 0; i < count; i++)
        {
            var item = source.Get(i % source.Count);
            item.Pixels.CopyTo(x0, i * per);
            captions[i] = item.Caption;
            t[i] = g.NextInt(Model.Schedule.TrainSteps);
        }

        var noise = g.Normal(0, 1, [count, .. Model.ImageShape]);
        var noisy = Model.Schedule.AddNoise(new Tensor(x0, [count, .. Model.ImageShape]), noise, t);
        var (ctx, mask) = Model.EncodeText(captions);
        return F.MseLoss(Model.UNet.PredictNoise(noisy, t, ctx, mask), noise).Item();
    }

    /// <summary>Saves weights, optimiser moments, EMA shadow and step to one safetensors file.</summary>
    public void SaveCheckpoint(string path)
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in Model.StateDict())
        {
            all["model." + k] = v;
        }

        foreach (var (k, v) in _optimizer.StateDict())
        {
            all["optim." + k] = v;
        }

        if (Ema is not null)
        {
            foreach (var (k, v) in Ema.StateDict())
            {
                all["ema." + k] = v;
            }
        }

        Safetensors.Save(path, all, StoredType.F32, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pluralist-diffusion-checkpoint-1",
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["config"] = Model.Config.ToJson(),
            ["vocab"] = Model.Tokenizer.ToJson(),
        });
    }

    /// <summary>Restores a checkpoint of the same model and options; training then continues bit for bit.</summary>
    public void LoadCheckpoint(string path)
    {
        var (t, meta) = Safetensors.Load(path);
        Model.LoadStateDict(Sub(t, "model."));
        _optimizer.LoadStateDict(Sub(t, "optim."));
        if (Ema is not null)
        {
            var shadow = Ema.StateDict(); // shares storage with the EMA
            foreach (var (k, v) in Sub(t, "ema."))
            {
                shadow[k].CopyFrom(v);
            }
        }

        Step = int.Parse(meta["step"], CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, Tensor> Sub(Dictionary<string, Tensor> t, string prefix) =>
        t.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    internal static int ShapeProduct(int[] s) => s.Aggregate(1, (a, b) => a * b);
}
