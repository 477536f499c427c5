using System.Globalization;
using Pluralist.Tensors;

namespace Pluralist.Pipeline.Reward;

/// <summary>
/// One slider answer as a reward-model example: the two images and the prompt (indices into <see cref="RewardData"/>'s
/// embedding tables), the criterion, the answering person's consented group (null: none), P(image_0 preferred) from the
/// slider (<see cref="Pluralist.Diffusion.PreferencePair.Probability0Of"/>), who answered (for splits by participant) and
/// a weight. <see cref="Source"/> says where the answer came from, for error messages.
/// </summary>
public sealed record RewardComparison(int Image0, int Image1, int Prompt, string Criterion, string? Group, float Probability0, string Participant = "", float Weight = 1f, string Source = "");

/// <summary>The frozen embeddings of a data set (images and prompts, each L2-normalised by its backbone) and its comparisons.</summary>
public sealed class RewardData
{
    public RewardData(IReadOnlyList<float[]> images, IReadOnlyList<float[]> prompts, IReadOnlyList<RewardComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(comparisons);
        Images = images;
        Prompts = prompts;
        Comparisons = comparisons;
        foreach (var c in comparisons)
        {
            string at = c.Source.Length > 0 ? c.Source + ": " : "";
            if (c.Image0 < 0 || c.Image0 >= images.Count || c.Image1 < 0 || c.Image1 >= images.Count || c.Prompt < 0 || c.Prompt >= prompts.Count)
            {
                throw new ArgumentException($"{at}image or prompt index out of range");
            }

            if (!(c.Probability0 is >= 0 and <= 1))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{at}P(image_0 preferred) must be in [0, 1], got {c.Probability0}"));
            }

            if (!(c.Weight >= 0) || float.IsInfinity(c.Weight))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{at}weight must be a number >= 0, got {c.Weight}"));
            }

            if (string.IsNullOrWhiteSpace(c.Criterion))
            {
                throw new ArgumentException($"{at}no criterion");
            }
        }
    }

    public IReadOnlyList<float[]> Images { get; }

    public IReadOnlyList<float[]> Prompts { get; }

    public IReadOnlyList<RewardComparison> Comparisons { get; }

    /// <summary>Size of the image embeddings (0 without images).</summary>
    public int ImageDim => Images.Count == 0 ? 0 : Images[0].Length;

    public int TextDim => Prompts.Count == 0 ? 0 : Prompts[0].Length;

    /// <summary>The comparisons at <paramref name="indices"/> as a batch for <paramref name="model"/>; with <paramref name="groupOf"/> the group index of each (default: the model's index of its group).</summary>
    public RewardBatch Batch(RewardModel model, IReadOnlyList<int> indices, Func<int, RewardComparison, int>? groupOf = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(indices);
        int b = indices.Count, di = model.Config.ImageDim, dt = model.Config.TextDim;
        var batch = new RewardBatch(new float[b * di], new float[b * di], new float[b * dt], new int[b], new int[b], new float[b], new float[b]);
        for (int i = 0; i < b; i++)
        {
            var c = Comparisons[indices[i]];
            Images[c.Image0].CopyTo(batch.Image0, i * di);
            Images[c.Image1].CopyTo(batch.Image1, i * di);
            Prompts[c.Prompt].CopyTo(batch.Text, i * dt);
            batch.Criteria[i] = model.CriterionIndex(c.Criterion);
            batch.Groups[i] = groupOf?.Invoke(i, c) ?? model.GroupIndex(c.Group);
            batch.Targets[i] = c.Probability0;
            batch.Weights[i] = c.Weight;
        }

        return batch;
    }
}

/// <summary>Training settings of <see cref="RewardTrainer"/>.</summary>
public sealed record RewardTrainingOptions
{
    public int Steps { get; init; } = 400;

    public int BatchSize { get; init; } = 64;

    /// <summary>Peak AdamW rate, cosine decay to 0.</summary>
    public float LearningRate { get; init; } = 3e-3f;

    public float WeightDecay { get; init; } = 1e-2f;

    /// <summary>Share of a group-conditioned model's examples shown as "no group" in training, so unconditioned scores stay meaningful.</summary>
    public double GroupDropout { get; init; } = 0.2;

    public int Hidden { get; init; } = 128;

    public int ConditionDim { get; init; } = 16;

    /// <summary>Seed of the initial weights, the batch order and the group dropout.</summary>
    public ulong Seed { get; init; } = 1;

    public void Validate()
    {
        if (Steps < 1 || BatchSize < 1 || Hidden < 1 || ConditionDim < 1)
        {
            throw new ArgumentException("reward training: steps, batch size, hidden and condition sizes must be at least 1");
        }

        if (!(LearningRate > 0) || !float.IsFinite(LearningRate) || !(WeightDecay >= 0) || !(GroupDropout is >= 0 and < 1))
        {
            throw new ArgumentException("reward training: the learning rate must be > 0, weight decay >= 0 and group dropout in [0, 1)");
        }
    }
}

/// <summary>
/// Trains a <see cref="RewardModel"/> on comparisons: minibatches from a seeded permutation per epoch, AdamW with a cosine
/// schedule, the soft Bradley-Terry loss. Same data, options and seed give the same weights.
/// </summary>
public sealed class RewardTrainer
{
    private readonly RewardData _data;
    private readonly IReadOnlyList<int> _train;
    private readonly RewardTrainingOptions _options;
    private readonly Adam _optimizer;
    private readonly Generator _order;
    private readonly Generator _dropout;
    private int[] _permutation = [];
    private int _cursor;

    /// <summary>
    /// A trainer over the comparisons at <paramref name="train"/>; <paramref name="groups"/> true conditions on the groups
    /// present there (a comparison with another group at scoring is an error), false makes a criterion-only model.
    /// <paramref name="criteria"/> fixes the criteria (default: those of the training comparisons, in ordinal order).
    /// </summary>
    public RewardTrainer(RewardData data, IReadOnlyList<int> train, bool groups, RewardTrainingOptions? options = null, string backbone = "", IReadOnlyList<string>? criteria = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(train);
        _options = options ?? new RewardTrainingOptions();
        _options.Validate();
        if (train.Count == 0)
        {
            throw new ArgumentException("reward training: no training comparisons");
        }

        _data = data;
        _train = train;
        var used = train.Select(i => data.Comparisons[i]).ToList();
        Model = new RewardModel(new RewardModelConfig
        {
            Backbone = backbone,
            ImageDim = data.ImageDim,
            TextDim = data.TextDim,
            Criteria = criteria ?? [.. used.Select(c => c.Criterion).Distinct().Order(StringComparer.Ordinal)],
            Groups = groups ? [.. used.Where(c => !string.IsNullOrEmpty(c.Group)).Select(c => c.Group!).Distinct().Order(StringComparer.Ordinal)] : [],
            GroupConditioned = groups,
            ConditionDim = _options.ConditionDim,
            Hidden = _options.Hidden,
            InitSeed = _options.Seed,
        });
        _optimizer = Adam.AdamW(Model.Parameters(), _options.LearningRate, _options.WeightDecay);
        _order = new Generator(_options.Seed ^ 0x5EED_0001UL);
        _dropout = new Generator(_options.Seed ^ 0x5EED_0002UL);
    }

    public RewardModel Model { get; }

    public int Step { get; private set; }

    /// <summary>One optimiser step; returns the batch's loss.</summary>
    public float TrainStep()
    {
        int b = Math.Min(_options.BatchSize, _train.Count);
        var indices = new int[b];
        for (int i = 0; i < b; i++)
        {
            if (_cursor == _permutation.Length)
            {
                _permutation = Permutation(_train.Count, _order);
                _cursor = 0;
            }

            indices[i] = _train[_permutation[_cursor++]];
        }

        Func<int, RewardComparison, int>? groupOf = Model.Config.GroupConditioned
            ? (_, c) => _dropout.NextFloat() < _options.GroupDropout ? 0 : Model.GroupIndex(c.Group)
            : (_, _) => 0;
        var batch = _data.Batch(Model, indices, groupOf);
        Model.Train();
        _optimizer.ZeroGrad();
        var (loss, _) = Model.PairLoss(batch);
        loss.Backward();
        _optimizer.LearningRate = (float)(_options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Step / _options.Steps)));
        _optimizer.Step();
        Step++;
        Model.Eval();
        return loss.Data[0];
    }

    /// <summary>Runs the remaining steps, calling back with (step, loss) after each.</summary>
    public RewardModel Train(Action<int, float>? progress = null, CancellationToken ct = default)
    {
        while (Step < _options.Steps)
        {
            ct.ThrowIfCancellationRequested();
            float loss = TrainStep();
            progress?.Invoke(Step, loss);
        }

        Model.Eval();
        return Model;
    }

    internal static int[] Permutation(int n, Generator g)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = g.NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }

        return p;
    }
}
