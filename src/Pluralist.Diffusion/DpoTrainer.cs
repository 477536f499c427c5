using System.Diagnostics;
using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>
/// Diffusion-DPO fine-tuning (Wallace et al. 2023) of the embedded model's UNet, as the reference trainers do it: per
/// pair one timestep t ~ U{0..T-1} and one noise eps shared by winner and loser, MSE per sample, the loss of
/// <see cref="DpoLoss"/>, AdamW with linear warmup and gradient accumulation. The text encoder is frozen.
/// </summary>
public sealed class DpoTrainer
{
    private readonly Adam _optimizer;
    private readonly IReadOnlyList<Parameter> _params;
    private readonly LearningRateSchedule _schedule;
    private readonly IPreferenceSource _source;
    private readonly int _micro;
    private readonly UNet? _ownReference;
    private long _epoch = -1;
    private int[] _permutation = [];

    /// <summary>
    /// Prepares training of <paramref name="model"/> on <paramref name="source"/>. In <see cref="FineTuneMode.Full"/> the
    /// reference is <paramref name="reference"/> or, when null, a frozen copy of the model now. In <see cref="FineTuneMode.Lora"/>
    /// adapters are attached (or <paramref name="adapters"/> reused, reset to B = 0) and the reference is the model with
    /// adapters disabled.
    /// </summary>
    public DpoTrainer(DiffusionModel model, IPreferenceSource source, DpoOptions options, IDenoiser? reference = null, LoraAdapterBank? adapters = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _source = source ?? throw new ArgumentNullException(nameof(source));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _micro = options.MicroBatchSize ?? options.BatchSize;
        if (options.BatchSize < 1 || _micro < 1 || options.BatchSize % _micro != 0)
        {
            throw new ArgumentException("BatchSize must be a positive multiple of MicroBatchSize", nameof(options));
        }

        if (!(options.Beta > 0) || !(options.LearningRate > 0) || options.Steps < 1 || options.WarmupFraction is < 0 or > 1)
        {
            throw new ArgumentException("beta and learning rate must be > 0, steps >= 1, warmup fraction in [0, 1]", nameof(options));
        }

        Preparation = Prepare(source, options);
        if (Preparation.Examples.Count == 0)
        {
            throw new InvalidOperationException($"no usable pairs: {Preparation.Total} total, {Preparation.TiesDropped} ties dropped, {Preparation.ZeroWeightDropped} with weight 0, {Preparation.OtherGroups} of other groups");
        }

        model.TextEncoder.Freeze();
        if (options.Mode == FineTuneMode.Lora)
        {
            Adapters = adapters ?? LoraAdapterBank.Attach(model.UNet, options.LoraRank, options.LoraAlpha, Streams.For(options.Seed, -1), options.LoraTargets);
            Adapters.Reset();
            Adapters.SetEnabled(true);
            Reference = reference ?? new AdaptersDisabledDenoiser(Adapters);
            _params = Adapters.Parameters();
        }
        else
        {
            if (reference is null)
            {
                var copy = model.Copy();
                copy.Freeze();
                copy.Eval();
                reference = copy.UNet;
                _ownReference = copy.UNet;
            }

            Reference = reference;
            model.UNet.Freeze(false);
            _params = model.UNet.TrainableParameters();
        }

        // lr = base x (per-device batch x accumulation steps x devices) with --scale_lr; here that product is BatchSize.
        LearningRate = options.ScaleLearningRate ? options.LearningRate * options.BatchSize : options.LearningRate;
        _schedule = new LearningRateSchedule(LearningRate, (int)Math.Round(options.WarmupFraction * options.Steps));
        _optimizer = new Adam(_params, LearningRate, options.Adam1, options.Adam2, options.AdamEpsilon, options.WeightDecay, decoupled: true);
    }

    public DiffusionModel Model { get; }

    public DpoOptions Options { get; }

    public IDenoiser Reference { get; }

    /// <summary>The adapters in LoRA mode (store the trained one under a group or criterion name with <see cref="LoraAdapterBank.Store"/>).</summary>
    public LoraAdapterBank? Adapters { get; }

    /// <summary>Peak learning rate actually used (after --scale_lr).</summary>
    public float LearningRate { get; }

    /// <summary>Which pairs are used and what was dropped.</summary>
    public DpoPreparation Preparation { get; }

    /// <summary>Optimiser steps taken.</summary>
    public int Step { get; private set; }

    /// <summary>Orients pairs (winner = image with p &gt; 0.5), applies the tie policy, label mode, pair and criterion weights and group filter.</summary>
    public static DpoPreparation Prepare(IPreferenceSource source, DpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var list = new List<DpoExample>();
        int tiesDropped = 0, tiesKept = 0, zero = 0, other = 0;
        for (int i = 0; i < source.Count; i++)
        {
            var pair = source.Get(i);
            if (pair.Probability0 is < 0 or > 1 || float.IsNaN(pair.Probability0))
            {
                throw new ArgumentException($"pair {i}: probability {pair.Probability0} outside [0, 1]");
            }

            if (options.Group is not null && !string.Equals(pair.Group, options.Group, StringComparison.Ordinal))
            {
                other++;
                continue;
            }

            if (!(pair.Weight >= 0) || float.IsInfinity(pair.Weight))
            {
                throw new ArgumentException($"pair {i}: weight {pair.Weight} must be a finite number >= 0");
            }

            float w = pair.Weight; // the pair's own weight, times its criterion's
            if (options.CriterionWeights is not null && pair.Criterion is not null && options.CriterionWeights.TryGetValue(pair.Criterion, out var cw))
            {
                w *= cw;
            }

            bool swap = pair.Probability0 < 0.5f;
            float p = swap ? 1 - pair.Probability0 : pair.Probability0; // P(winner preferred) in [0.5, 1]
            if (p == 0.5f)
            {
                if (options.Ties == TiePolicy.Drop)
                {
                    tiesDropped++;
                    continue;
                }

                tiesKept++;
                if (w == 0)
                {
                    zero++;
                    continue;
                }

                list.Add(new DpoExample(i, false, 0.5f, w, 0.5f));
                continue;
            }

            switch (options.Labels)
            {
                case LabelMode.MarginScaled:
                    w *= (2 * p) - 1; // scale the term by 2p - 1
                    break;
                case LabelMode.SoftCrossEntropy:
                    break;
                default:
                    p = p > 0.5f ? 1f : p;
                    break;
            }

            if (w == 0)
            {
                zero++;
                continue;
            }

            list.Add(new DpoExample(i, swap, p, w, options.Labels == LabelMode.SoftCrossEntropy ? p : null));
        }

        return new DpoPreparation(list, source.Count, tiesDropped, tiesKept, zero, other);
    }

    /// <summary>Runs the remaining steps (or <paramref name="maxSteps"/> more), calling back after each.</summary>
    public void Train(Action<DpoStepLog>? progress = null, int? maxSteps = null, CancellationToken cancellationToken = default)
    {
        int end = Math.Min(Options.Steps, maxSteps is int m ? Step + m : Options.Steps);
        while (Step < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var log = TrainStep();
            progress?.Invoke(log);
        }
    }

    /// <summary>One optimiser step over <see cref="DpoOptions.BatchSize"/> pairs (epoch-shuffled order).</summary>
    public DpoStepLog TrainStep()
    {
        var sw = Stopwatch.StartNew();
        _optimizer.ZeroGrad();
        Model.UNet.Train();
        int batch = Options.BatchSize;
        double loss = 0, acc = 0, mse = 0, refMse = 0, mseW = 0, mseL = 0;
        for (int start = 0; start < batch; start += _micro)
        {
            var examples = Enumerable.Range(start, _micro).Select(j => ExampleAt(((long)Step * batch) + j)).ToList();
            // the micro-batch's activations and gradients reuse one pool of arrays; only numbers leave the scope
            using var scope = TensorScope.Begin();
            var r = MicroBatch(examples, i => Streams.For(Options.Seed, Step, start + i), batch);
            r.Loss.Backward();
            double share = (double)_micro / batch;
            loss += r.Loss.Item(); // already divided by the full batch
            acc += r.ImplicitAccuracy * share;
            mse += r.ModelMse * share;
            refMse += r.ReferenceMse * share;
            mseW += r.ModelMseWinner * share;
            mseL += r.ModelMseLoser * share;
        }

        float norm = Options.MaxGradNorm > 0 ? GradUtil.ClipGradNorm(_params, Options.MaxGradNorm) : float.NaN;
        _optimizer.LearningRate = _schedule.At(Step);
        _optimizer.Step();
        Step++;
        return new DpoStepLog(Step, (float)loss, (float)acc, (float)mse, (float)refMse, (float)mseW, (float)mseL, _optimizer.LearningRate, norm, sw.Elapsed);
    }

    /// <summary>
    /// Loss of a list of examples: x_w, x_l (b, C, H, W), and per pair i a draw of t ~ U{0..T-1} and eps ~ N(0, I) from
    /// stream(i), used for both halves (noise.chunk(2)[0].repeat(2, 1, 1, 1) in the reference trainers). Per-pair streams make
    /// the result independent of how a batch is split into micro-batches.
    /// </summary>
    internal DpoLossResult MicroBatch(IReadOnlyList<DpoExample> examples, Func<int, Generator> stream, int normalizer)
    {
        int b = examples.Count, per = DiffusionTrainer.ShapeProduct(Model.ImageShape);
        var feed = new float[2 * b * per]; // cat(x_w, x_l): (2b, C, H, W)
        var captions = new string[b];
        foreach (var (e, i) in examples.Select((e, i) => (e, i)))
        {
            var pair = _source.Get(e.Index);
            var (w, l) = e.Swap ? (pair.Image1, pair.Image0) : (pair.Image0, pair.Image1);
            if (w.Length != per || l.Length != per)
            {
                throw new InvalidOperationException($"pair {e.Index}: images must have {per} values");
            }

            w.CopyTo(feed, i * per);
            l.CopyTo(feed, (b + i) * per);
            captions[i] = pair.Caption;
        }

        var t = new int[b];
        var eps = new float[b * per]; // (b, C, H, W)
        for (int i = 0; i < b; i++)
        {
            t[i] = Draw(stream(i), Model.Schedule.TrainSteps, per, eps.AsSpan(i * per, per));
        }

        var noise = new Tensor([.. eps, .. eps], [2 * b, .. Model.ImageShape]); // shared: (2b, C, H, W)
        int[] t2 = [.. t, .. t];
        var noisy = Model.Schedule.AddNoise(new Tensor(feed, [2 * b, .. Model.ImageShape]), noise, t2); // x_t (2b, C, H, W)

        Tensor ctx, mask;
        using (Autograd.NoGrad())
        {
            (ctx, mask) = Model.EncodeText([.. captions, .. captions]); // (2b, L, D)
        }

        var modelPred = Model.UNet.PredictNoise(noisy, t2, ctx, mask); // (2b, C, H, W)
        Tensor refPred;
        using (Autograd.NoGrad())
        {
            refPred = Reference.PredictNoise(noisy, t2, ctx, mask); // (2b, C, H, W)
        }

        var weights = examples.Select(e => e.Weight).ToArray();
        float[]? soft = examples.Any(e => e.SoftLabel is not null) ? examples.Select(e => e.SoftLabel ?? 1f).ToArray() : null;
        return DpoLoss.Compute(modelPred, refPred, noise, Options.Beta, weights.All(w => w == 1f) ? null : weights, soft, normalizer);
    }

    /// <summary>
    /// Saves the UNet (with its live adapters), the frozen reference copy when this trainer made it, the optimiser state and
    /// the step to one safetensors file. Draws depend only on (seed, step, pair), so a resumed run repeats an uninterrupted one.
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in Model.UNet.StateDict())
        {
            all["model." + k] = v;
        }

        if (_ownReference is not null)
        {
            foreach (var (k, v) in _ownReference.StateDict())
            {
                all["reference." + k] = v;
            }
        }

        foreach (var (k, v) in _optimizer.StateDict())
        {
            all["optim." + k] = v;
        }

        Safetensors.Save(path, all, StoredType.F32, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pluralist-dpo-checkpoint-1",
            ["step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["mode"] = Options.Mode.ToString(),
        });
    }

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote into a trainer built with the same options.</summary>
    public void LoadCheckpoint(string path)
    {
        var (t, meta) = Safetensors.Load(path);
        if (!meta.TryGetValue("mode", out var mode) || mode != Options.Mode.ToString())
        {
            throw new FormatException($"{path}: checkpoint of mode {mode ?? "?"}, trainer is {Options.Mode}");
        }

        Model.UNet.LoadStateDict(Sub(t, "model."));
        if (_ownReference is not null)
        {
            _ownReference.LoadStateDict(Sub(t, "reference."));
        }

        _optimizer.LoadStateDict(Sub(t, "optim."));
        Step = int.Parse(meta["step"], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, Tensor> Sub(Dictionary<string, Tensor> t, string prefix) =>
        t.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    /// <summary>
    /// Loss and implicit accuracy on every prepared pair, <paramref name="repeats"/> times with different draws of t and eps
    /// (from <paramref name="seed"/>), without training.
    /// </summary>
    public DpoLossResult Evaluate(ulong seed, int repeats = 1)
    {
        var all = Enumerable.Repeat(Preparation.Examples, Math.Max(1, repeats)).SelectMany(e => e).ToList();
        using var _ = Autograd.NoGrad();
        return MicroBatch(all, i => Streams.For(seed, -7, i), all.Count);
    }

    /// <summary>
    /// What optimiser step <paramref name="step"/> draws, as <see cref="TrainStep"/> draws it: for each position j of the batch the
    /// index into <see cref="DpoPreparation.Examples"/> (epoch-shuffled order), the timestep and the noise (C, H, W) shared by
    /// winner and loser. Another engine given these trains on exactly the same pairs, timesteps and noise.
    /// </summary>
    public (int[] Examples, int[] Timesteps, float[] Noise) Draws(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        int batch = Options.BatchSize, per = DiffusionTrainer.ShapeProduct(Model.ImageShape);
        var examples = new int[batch];
        var t = new int[batch];
        var eps = new float[batch * per]; // (B, C, H, W)
        for (int j = 0; j < batch; j++)
        {
            examples[j] = ExampleIndexAt(((long)step * batch) + j);
            t[j] = Draw(Streams.For(Options.Seed, step, j), Model.Schedule.TrainSteps, per, eps.AsSpan(j * per, per));
        }

        return (examples, t, eps);
    }

    /// <summary>t ~ U{0..T-1}, then eps ~ N(0, I) into <paramref name="noise"/>, from one pair's stream.</summary>
    private static int Draw(Generator g, int trainSteps, int per, Span<float> noise)
    {
        int t = g.NextInt(trainSteps);
        g.Normal(0, 1, per).Data.AsSpan(0, per).CopyTo(noise);
        return t;
    }

    private DpoExample ExampleAt(long k) => Preparation.Examples[ExampleIndexAt(k)];

    private int ExampleIndexAt(long k)
    {
        int n = Preparation.Examples.Count;
        long epoch = k / n;
        if (_epoch != epoch)
        {
            _permutation = Streams.Permutation(Options.Seed, epoch, n);
            _epoch = epoch;
        }

        return _permutation[(int)(k % n)];
    }
}
