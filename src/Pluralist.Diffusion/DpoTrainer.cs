using System.Diagnostics;
using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>
/// Diffusion-DPO fine-tuning (Wallace et al. 2023) of the embedded model's UNet, as the reference trainers do it: per
/// pair one timestep t ~ U{0..T-1} and one noise eps shared by winner and loser, MSE per sample, the loss of
/// <see cref="DpoLoss"/>, AdamW with linear warmup and gradient accumulation. The text encoder is frozen.
/// <see cref="DpoOptions.Objective"/> swaps the loss on the same pairs, draws and optimiser: group-robust DPO
/// (<see cref="GroupRobustDpo"/>), Diffusion-KTO (<see cref="KtoLoss"/>, each winner desirable, each loser undesirable) or
/// MaPO (<see cref="MapoLoss"/>, no reference pass in training); <see cref="DpoOptions.MarginPerStrength"/> and
/// <see cref="DpoOptions.Curriculum"/> are options of the DPO objectives and of the pair order.
/// </summary>
public sealed class DpoTrainer
{
    private readonly Adam _optimizer;
    private readonly IReadOnlyList<Parameter> _params;
    private readonly LearningRateSchedule _schedule;
    private readonly IPreferenceSource _source;
    private readonly int _micro;
    private readonly UNet? _ownReference;
    private readonly GroupRobustDpo? _robust;
    private readonly int[] _byStrength = [];
    private long _epoch = -1;
    private int[] _permutation = [];
    private (long Pass, int Pool) _curriculumPass = (-1, 0);
    private int[] _curriculumOrder = [];

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

        ValidateObjective(options);
        Preparation = Prepare(source, options);
        if (Preparation.Examples.Count == 0)
        {
            throw new InvalidOperationException($"no usable pairs: {Preparation.Total} total, {Preparation.TiesDropped} ties dropped, {Preparation.ZeroWeightDropped} with weight 0, {Preparation.OtherGroups} of other groups");
        }

        if (options.Objective == DpoObjective.GroupRobust)
        {
            int without = Preparation.Examples.Count(e => e.Group < 0);
            if (without > 0)
            {
                throw new InvalidOperationException($"group-robust DPO needs an identity group on every pair: {without} of {Preparation.Examples.Count} used pairs have none (build the dataset with a group, or train them with --objective dpo)");
            }

            _robust = new GroupRobustDpo(Preparation.Groups!.Count, options.GroupStepSize);
        }

        if (options.Curriculum)
        {
            // strongest first; equal strengths in a seeded random order
            var ex = Preparation.Examples;
            _byStrength = [.. Streams.Permutation(options.Seed, -999, ex.Count).OrderByDescending(i => ex[i].Strength)];
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

    /// <summary>Group-robust DPO: the current group weights, in <see cref="DpoPreparation.Groups"/> order; null for the other objectives.</summary>
    public IReadOnlyList<double>? GroupWeights => _robust?.Weights;

    /// <summary>
    /// Refuses combinations the objective cannot honour: KTO and MaPO take hard or margin-scaled labels and drop ties (a
    /// tie names no desirable image, and neither loss has a soft form); the strength margin is an option of DPO and
    /// group-robust DPO; every number in range.
    /// </summary>
    public static void ValidateObjective(DpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool pairwiseDpo = options.Objective is DpoObjective.Dpo or DpoObjective.GroupRobust;
        if (!pairwiseDpo && options.Labels == LabelMode.SoftCrossEntropy)
        {
            throw new ArgumentException($"objective {options.Objective}: soft labels are an option of DPO (use hard or margin labels)", nameof(options));
        }

        if (!pairwiseDpo && options.Ties == TiePolicy.SoftHalf)
        {
            throw new ArgumentException($"objective {options.Objective}: ties must be dropped (a tie has no desirable image)", nameof(options));
        }

        if (!(options.MarginPerStrength >= 0) || float.IsInfinity(options.MarginPerStrength))
        {
            throw new ArgumentException("the strength margin must be a finite number >= 0", nameof(options));
        }

        if (!pairwiseDpo && options.MarginPerStrength != 0)
        {
            throw new ArgumentException($"objective {options.Objective}: the strength margin is an option of DPO and group-robust DPO", nameof(options));
        }

        if (!(options.GroupStepSize >= 0) || float.IsInfinity(options.GroupStepSize))
        {
            throw new ArgumentException("the group weights' step size must be a finite number >= 0", nameof(options));
        }

        if (!(options.KtoDesirableWeight >= 0) || !(options.KtoUndesirableWeight >= 0) || float.IsInfinity(options.KtoDesirableWeight) || float.IsInfinity(options.KtoUndesirableWeight))
        {
            throw new ArgumentException("the KTO weights must be finite numbers >= 0", nameof(options));
        }

        if (!(options.MapoBeta >= 0) || float.IsInfinity(options.MapoBeta) || !(options.MapoSnr > 0) || float.IsInfinity(options.MapoSnr))
        {
            throw new ArgumentException("MaPO's beta must be a finite number >= 0 and its snr a finite number > 0", nameof(options));
        }

        if (!(options.CurriculumStart is > 0 and <= 1) || !(options.CurriculumRamp is > 0 and <= 1))
        {
            throw new ArgumentException("the curriculum's start share and ramp must be in (0, 1]", nameof(options));
        }
    }

    /// <summary>Orients pairs (winner = image with p &gt; 0.5), applies the tie policy, label mode, pair and criterion weights and group filter.</summary>
    public static DpoPreparation Prepare(IPreferenceSource source, DpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var list = new List<DpoExample>();
        var groupOf = new List<string?>();
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

                list.Add(new DpoExample(i, false, 0.5f, w, 0.5f, 0f));
                groupOf.Add(pair.Group);
                continue;
            }

            float strength = (2 * p) - 1; // the answer's strength, before a hard label mode drops it
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

            list.Add(new DpoExample(i, swap, p, w, options.Labels == LabelMode.SoftCrossEntropy ? p : null, strength));
            groupOf.Add(pair.Group);
        }

        var groups = groupOf.OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = groups.Select((g, k) => (g, k)).ToDictionary(x => x.g, x => x.k, StringComparer.Ordinal);
        for (int k = 0; k < list.Count; k++)
        {
            if (groupOf[k] is { } g)
            {
                list[k] = list[k] with { Group = index[g] };
            }
        }

        return new DpoPreparation(list, source.Count, tiesDropped, tiesKept, zero, other, groups);
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

    /// <summary>One optimiser step over <see cref="DpoOptions.BatchSize"/> pairs (epoch-shuffled order, or the curriculum's).</summary>
    public DpoStepLog TrainStep()
    {
        var sw = Stopwatch.StartNew();
        _optimizer.ZeroGrad();
        Model.UNet.Train();
        int batch = Options.BatchSize;
        var all = Enumerable.Range(0, batch).Select(j => ExampleAt(Step, j)).ToList();
        float[]? groupMultipliers = null;
        double[]? groupLoss = null;
        if (_robust is not null)
        {
            // Ramesh et al., Algorithm 1: the group weights move on this batch's losses first, then the model steps on the
            // weighted sum. With gradient accumulation a forward pass without gradients gives every pair's term first (the
            // draws are per pair, so it sees what the training pass sees); in one pass the terms come from that pass.
            var groups = all.Select(e => e.Group).ToArray();
            if (_micro < batch)
            {
                var terms = new List<double>(batch);
                using (Autograd.NoGrad())
                {
                    for (int start = 0; start < batch; start += _micro)
                    {
                        using var scope = TensorScope.Begin();
                        int offset = start;
                        var pred = Predict(all.GetRange(start, _micro), i => Streams.For(Options.Seed, Step, offset + i), withReference: true);
                        terms.AddRange(PairTerms(pred, all.GetRange(start, _micro)));
                    }
                }

                groupLoss = _robust.Update(terms, groups);
                groupMultipliers = _robust.PairWeights(groups);
            }
        }

        double loss = 0, acc = 0, mse = 0, refMse = 0, mseW = 0, mseL = 0;
        for (int start = 0; start < batch; start += _micro)
        {
            var examples = all.GetRange(start, _micro);
            // the micro-batch's activations and gradients reuse one pool of arrays; only numbers leave the scope
            using var scope = TensorScope.Begin();
            int offset = start;
            var pred = Predict(examples, i => Streams.For(Options.Seed, Step, offset + i), withReference: Options.Objective != DpoObjective.Mapo);
            if (_robust is not null && groupMultipliers is null)
            {
                var groups = all.Select(e => e.Group).ToArray();
                groupLoss = _robust.Update(PairTerms(pred, examples), groups);
                groupMultipliers = _robust.PairWeights(groups);
            }

            var r = ObjectiveLoss(pred, examples, batch, groupMultipliers?.AsSpan(start, _micro).ToArray());
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
        string? worstName = null;
        float worstLoss = float.NaN;
        if (groupLoss is not null && GroupRobustDpo.Worst(groupLoss) is int worst and >= 0)
        {
            worstName = Preparation.Groups![worst];
            worstLoss = (float)groupLoss[worst];
        }

        return new DpoStepLog(Step, (float)loss, (float)acc, (float)mse, (float)refMse, (float)mseW, (float)mseL, _optimizer.LearningRate, norm, sw.Elapsed, worstName, worstLoss, _robust is null ? null : [.. _robust.Weights]);
    }

    /// <summary>The predictions of one list of pairs: model (2b, C, H, W) with gradient, reference without (null when not asked), and the shared noise.</summary>
    private sealed record Predictions(Tensor ModelPred, Tensor? RefPred, Tensor Noise);

    /// <summary>
    /// x_w, x_l (b, C, H, W), and per pair i a draw of t ~ U{0..T-1} and eps ~ N(0, I) from stream(i), used for both halves
    /// (noise.chunk(2)[0].repeat(2, 1, 1, 1) in the reference trainers). Per-pair streams make the result independent of how
    /// a batch is split into micro-batches.
    /// </summary>
    private Predictions Predict(List<DpoExample> examples, Func<int, Generator> stream, bool withReference)
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
        Tensor? refPred = null;
        if (withReference)
        {
            using (Autograd.NoGrad())
            {
                refPred = Reference.PredictNoise(noisy, t2, ctx, mask); // (2b, C, H, W)
            }
        }

        return new Predictions(modelPred, refPred, noise);
    }

    /// <summary>The DPO loss of the examples (their weights, soft labels and strength margins), as the published objective computes it.</summary>
    private DpoLossResult DpoOf(Predictions pred, IReadOnlyList<DpoExample> examples, int normalizer, float[]? multipliers = null)
    {
        var weights = examples.Select((e, i) => e.Weight * (multipliers?[i] ?? 1f)).ToArray();
        float[]? soft = examples.Any(e => e.SoftLabel is not null) ? examples.Select(e => e.SoftLabel ?? 1f).ToArray() : null;
        return DpoLoss.Compute(pred.ModelPred, pred.RefPred!, pred.Noise, Options.Beta, weights.All(w => w == 1f) ? null : weights, soft, normalizer, Margins(examples));
    }

    /// <summary>margin_i = gamma (2p_i - 1), or null without a strength margin.</summary>
    private float[]? Margins(IReadOnlyList<DpoExample> examples) =>
        Options.MarginPerStrength > 0 ? [.. examples.Select(e => Options.MarginPerStrength * e.Strength)] : null;

    /// <summary>Each pair's DPO term (soft label and margin included, without weights) at the current model, no gradient.</summary>
    private double[] PairTerms(Predictions pred, IReadOnlyList<DpoExample> examples)
    {
        float[] inside;
        using (Autograd.NoGrad())
        {
            inside = DpoLoss.Compute(pred.ModelPred, pred.RefPred!, pred.Noise, Options.Beta).InsideTerm;
        }

        var margins = Margins(examples);
        return [.. examples.Select((e, i) => DpoLoss.PairTerm(inside[i], e.SoftLabel, margins?[i] ?? 0))];
    }

    /// <summary>The objective's loss on one micro-batch (divided by <paramref name="normalizer"/>) and the step log's diagnostics.</summary>
    private DpoLossResult ObjectiveLoss(Predictions pred, List<DpoExample> examples, int normalizer, float[]? groupMultipliers)
    {
        int b = examples.Count;
        switch (Options.Objective)
        {
            case DpoObjective.Kto:
                {
                    // Winners desirable, losers undesirable; a pair's weight on both of its images.
                    bool[] desirable = [.. Enumerable.Repeat(true, b), .. Enumerable.Repeat(false, b)];
                    var w = examples.Select(e => e.Weight).ToArray();
                    var kto = KtoLoss.Compute(pred.ModelPred, pred.RefPred!, pred.Noise, desirable, Options.Beta, Options.KtoDesirableWeight, Options.KtoUndesirableWeight, w.All(x => x == 1f) ? null : [.. w, .. w], 2 * normalizer);
                    DpoLossResult diag;
                    using (Autograd.NoGrad())
                    {
                        diag = DpoLoss.Compute(pred.ModelPred, pred.RefPred!, pred.Noise, Options.Beta);
                    }

                    return diag with { Loss = kto.Loss };
                }

            case DpoObjective.Mapo:
                {
                    var w = examples.Select(e => e.Weight).ToArray();
                    var mapo = MapoLoss.Compute(pred.ModelPred, pred.Noise, Model.Schedule.TrainSteps, Options.MapoBeta, Options.MapoSnr, w.All(x => x == 1f) ? null : w, normalizer);
                    return new DpoLossResult(mapo.Loss, mapo.Accuracy, (mapo.WinnerMse + mapo.LoserMse) / 2, float.NaN, mapo.WinnerMse, mapo.LoserMse, mapo.LogOdds);
                }

            default:
                return DpoOf(pred, examples, normalizer, groupMultipliers);
        }
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

        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pluralist-dpo-checkpoint-1",
            ["step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["mode"] = Options.Mode.ToString(),
            ["objective"] = Options.Objective.ToString(),
        };
        if (_robust is not null)
        {
            // doubles as round-trip text: a resumed run continues with exactly these weights
            meta["group_weights"] = string.Join(",", _robust.Weights.Select(w => w.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        }

        Safetensors.Save(path, all, StoredType.F32, meta);
    }

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote into a trainer built with the same options.</summary>
    public void LoadCheckpoint(string path)
    {
        var (t, meta) = Safetensors.Load(path);
        if (!meta.TryGetValue("mode", out var mode) || mode != Options.Mode.ToString())
        {
            throw new FormatException($"{path}: checkpoint of mode {mode ?? "?"}, trainer is {Options.Mode}");
        }

        var objective = meta.TryGetValue("objective", out var o) ? o : nameof(DpoObjective.Dpo); // written before objectives existed: DPO
        if (objective != Options.Objective.ToString())
        {
            throw new FormatException($"{path}: checkpoint of objective {objective}, trainer is {Options.Objective}");
        }

        if (_robust is not null)
        {
            if (!meta.TryGetValue("group_weights", out var gw))
            {
                throw new FormatException($"{path}: a group-robust checkpoint without group_weights");
            }

            _robust.SetWeights([.. gw.Split(',').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture))]);
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
    /// DPO's loss and implicit accuracy against the reference on every prepared pair, <paramref name="repeats"/> times with
    /// different draws of t and eps (from <paramref name="seed"/>), without training. The same measure for every objective.
    /// </summary>
    /// <remarks>
    /// The pairs go through the model <see cref="EvaluationChunk"/> at a time (each pair's draws are those of its place in the
    /// whole list, so the chunking does not change them): one forward pass of every pair at once held the activations of all
    /// of them, more than 24 GB at 2,000 pairs drawn twice.
    /// </remarks>
    public DpoLossResult Evaluate(ulong seed, int repeats = 1)
    {
        var all = Enumerable.Repeat(Preparation.Examples, Math.Max(1, repeats)).SelectMany(e => e).ToList();
        using var _ = Autograd.NoGrad();
        var parts = new List<DpoLossResult>();
        for (int start = 0; start < all.Count; start += EvaluationChunk)
        {
            var chunk = all.GetRange(start, Math.Min(EvaluationChunk, all.Count - start));
            int offset = start;
            parts.Add(DpoOf(Predict(chunk, i => Streams.For(seed, -7, offset + i), withReference: true), chunk, all.Count));
        }

        if (parts.Count == 1)
        {
            return parts[0];
        }

        // Each chunk's loss is already divided by the whole count: their sum is the loss of the whole. Means weighted by size.
        float[] inside = [.. parts.SelectMany(p => p.InsideTerm)];
        float correct = inside.Count(v => v > 0) + (0.5f * inside.Count(v => v == 0));
        float Mean(Func<DpoLossResult, float> of) => (float)(parts.Sum(p => (double)of(p) * p.InsideTerm.Length) / inside.Length);
        return new DpoLossResult(parts.Select(p => p.Loss).Aggregate(Functional.Add), correct / inside.Length, Mean(p => p.ModelMse), Mean(p => p.ReferenceMse),
            Mean(p => p.ModelMseWinner), Mean(p => p.ModelMseLoser), inside);
    }

    /// <summary>Pairs per forward pass of <see cref="Evaluate"/> (64; tests compare other sizes).</summary>
    internal int EvaluationChunk { get; set; } = 64;

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
            examples[j] = ExampleIndexAt(step, j);
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

    private DpoExample ExampleAt(int step, int j) => Preparation.Examples[ExampleIndexAt(step, j)];

    private int ExampleIndexAt(int step, int j)
    {
        if (Options.Curriculum)
        {
            return CurriculumIndexAt(step, j);
        }

        long k = ((long)step * Options.BatchSize) + j;
        int n = Preparation.Examples.Count;
        long epoch = k / n;
        if (_epoch != epoch)
        {
            _permutation = Streams.Permutation(Options.Seed, epoch, n);
            _epoch = epoch;
        }

        return _permutation[(int)(k % n)];
    }

    /// <summary>The pool of step s: the strongest share c(s) of the pairs, ties at its edge included.</summary>
    internal int CurriculumPool(int step)
    {
        int n = Preparation.Examples.Count;
        double c = Math.Min(1, Options.CurriculumStart + ((1 - Options.CurriculumStart) * step / (Options.CurriculumRamp * Options.Steps)));
        int m = Math.Clamp((int)Math.Ceiling(c * n), 1, n);
        float edge = Preparation.Examples[_byStrength[m - 1]].Strength;
        while (m < n && Preparation.Examples[_byStrength[m]].Strength == edge)
        {
            m++;
        }

        return m;
    }

    // While the pool grows, position k = s B + j of the stream takes the pool in shuffled passes (pass e = k / m over the
    // m pairs of step s's pool); once the pool holds every pair, the epoch-shuffled order as without a curriculum.
    private int CurriculumIndexAt(int step, int j)
    {
        int m = CurriculumPool(step), n = Preparation.Examples.Count;
        long k = ((long)step * Options.BatchSize) + j;
        if (m == n)
        {
            long epoch = k / n;
            if (_epoch != epoch)
            {
                _permutation = Streams.Permutation(Options.Seed, epoch, n);
                _epoch = epoch;
            }

            return _byStrength[_permutation[(int)(k % n)]];
        }

        long pass = k / m;
        if (_curriculumPass != (pass, m))
        {
            _curriculumOrder = Streams.Permutation(Options.Seed ^ (ulong)m, -1000L - pass, m);
            _curriculumPass = (pass, m);
        }

        return _byStrength[_curriculumOrder[(int)(k % m)]];
    }
}
