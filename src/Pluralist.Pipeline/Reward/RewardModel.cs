using System.Globalization;
using System.Text.Json;
using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Pipeline.Reward;

/// <summary>
/// Shape and vocabulary of a <see cref="RewardModel"/>: the backbone's embedding sizes, the criteria it scores, and the
/// identity groups it is conditioned on (none for a criterion-only model). Index 0 of the group embedding is "no group",
/// so a group-conditioned model also scores without a group.
/// </summary>
public sealed record RewardModelConfig
{
    /// <summary>Name of the frozen backbone that made the embeddings (<c>world-clip</c>, <c>onnx-clip:NAME</c>); scores need the same one.</summary>
    public string Backbone { get; init; } = "";

    public int ImageDim { get; init; }

    public int TextDim { get; init; }

    public IReadOnlyList<string> Criteria { get; init; } = [];

    /// <summary>The identity groups, without "no group"; empty for a criterion-only model.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Whether the model has a group embedding (false: every input is scored as "no group").</summary>
    public bool GroupConditioned { get; init; }

    /// <summary>Width of the criterion and group embeddings.</summary>
    public int ConditionDim { get; init; } = 16;

    public int Hidden { get; init; } = 128;

    public ulong InitSeed { get; init; } = 1;

    public void Validate()
    {
        if (ImageDim < 1 || TextDim < 1 || ConditionDim < 1 || Hidden < 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"reward model: dimensions must be at least 1 (image {ImageDim}, text {TextDim}, condition {ConditionDim}, hidden {Hidden})"));
        }

        if (Criteria.Count == 0)
        {
            throw new ArgumentException("reward model: no criteria");
        }

        foreach (var (list, what) in new[] { (Criteria, "criterion"), (Groups, "group") })
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in list)
            {
                if (string.IsNullOrWhiteSpace(name) || !seen.Add(name))
                {
                    throw new ArgumentException($"reward model: {what} '{name}' is empty or given twice");
                }
            }
        }

        if (!GroupConditioned && Groups.Count > 0)
        {
            throw new ArgumentException("reward model: a criterion-only model has no groups");
        }
    }
}

/// <summary>
/// A reward r(image, prompt, criterion, group) over a frozen image-text backbone: the image embedding, the prompt's text
/// embedding, their element-wise product (where the sizes match), a learned criterion embedding and, when
/// group-conditioned, a learned group embedding (index 0 = no group), into Linear -> SiLU -> Linear -> SiLU -> Linear(1).
/// Trained on pairs with the Bradley-Terry loss and the slider's soft target (<see cref="PairLoss"/>).
/// </summary>
public sealed class RewardModel : Module
{
    /// <summary>The <c>format</c> metadata value of a saved model.</summary>
    public const string Format = "pluralist-reward-1";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true };
    private readonly Embedding _criterion;
    private readonly Embedding? _group;
    private readonly Linear _hidden1;
    private readonly Linear _hidden2;
    private readonly Linear _out;
    private readonly Dictionary<string, int> _criterionIndex;
    private readonly Dictionary<string, int> _groupIndex;

    public RewardModel(RewardModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var g = new Generator(config.InitSeed);
        _criterionIndex = config.Criteria.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        _groupIndex = config.Groups.Select((c, i) => (c, i + 1)).ToDictionary(x => x.c, x => x.Item2, StringComparer.Ordinal);
        _criterion = RegisterModule("criterion", new Embedding(config.Criteria.Count, config.ConditionDim, g));
        if (config.GroupConditioned)
        {
            _group = RegisterModule("group", new Embedding(config.Groups.Count + 1, config.ConditionDim, g));
        }

        _hidden1 = RegisterModule("hidden1", new Linear(InputWidth, config.Hidden, generator: g));
        _hidden2 = RegisterModule("hidden2", new Linear(config.Hidden, config.Hidden, generator: g));
        _out = RegisterModule("out", new Linear(config.Hidden, 1, generator: g));
    }

    public RewardModelConfig Config { get; }

    private bool Product => Config.ImageDim == Config.TextDim;

    private int InputWidth => Config.ImageDim + Config.TextDim + (Product ? Config.ImageDim : 0) + (Config.ConditionDim * (Config.GroupConditioned ? 2 : 1));

    /// <summary>Index of a criterion; an unknown one is an error that lists the model's criteria.</summary>
    public int CriterionIndex(string criterion) => _criterionIndex.TryGetValue(criterion ?? "", out var i) ? i
        : throw new ArgumentException($"criterion '{criterion}' is not one of the reward model's ({string.Join(", ", Config.Criteria)})");

    /// <summary>Index of a group (0 for null or empty: no group). A criterion-only model takes only "no group"; an unknown group is an error that lists the model's groups.</summary>
    public int GroupIndex(string? group)
    {
        if (string.IsNullOrEmpty(group))
        {
            return 0;
        }

        if (!Config.GroupConditioned)
        {
            throw new ArgumentException($"group '{group}': the reward model is criterion-only (trained without groups); score without a group");
        }

        return _groupIndex.TryGetValue(group, out var i) ? i
            : throw new ArgumentException($"group '{group}' is not one of the reward model's ({string.Join(", ", Config.Groups)}; or no group)");
    }

    /// <summary>Rewards (N) for images (N, ImageDim), prompt embeddings (N, TextDim), criterion and group indices (N each).</summary>
    public Tensor Forward(Tensor images, Tensor texts, int[] criteria, int[] groups)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(groups);
        int n = images.Shape[0];
        if (images.Shape[1] != Config.ImageDim || texts.Shape[0] != n || texts.Shape[1] != Config.TextDim || criteria.Length != n || groups.Length != n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"reward model: expected images (N, {Config.ImageDim}), texts (N, {Config.TextDim}) and N indices"));
        }

        var parts = new List<Tensor> { images, texts }; // (N, Di), (N, Dt)
        if (Product)
        {
            parts.Add(F.Mul(images, texts)); // (N, Di): image-text agreement per dimension
        }

        parts.Add(_criterion.Forward(criteria, n)); // (N, Dc)
        if (_group is not null)
        {
            parts.Add(_group.Forward(groups, n)); // (N, Dc)
        }
        else if (groups.Any(g => g != 0))
        {
            throw new ArgumentException("reward model: a criterion-only model takes only group index 0 (no group)");
        }

        var h = F.Silu(_hidden1.Forward(F.Cat(parts, 1))); // (N, H)
        h = F.Silu(_hidden2.Forward(h)); // (N, H)
        return F.Reshape(_out.Forward(h), n); // (N)
    }

    /// <summary>
    /// Bradley-Terry loss with soft targets over B pairs: d = r(image_0) - r(image_1) (both images scored in one pass with
    /// the pair's prompt, criterion and group), loss = Σ w_i BCE(σ(d_i), p_i) / Σ w_i with BCE(σ(d), p) =
    /// -(p log σ(d) + (1 - p) log σ(-d)) and p = P(image_0 preferred) (<see cref="Pluralist.Diffusion.PreferencePair.Probability0Of"/>).
    /// Returns the loss (scalar) and the margins d (B).
    /// </summary>
    public (Tensor Loss, Tensor Margins) PairLoss(RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int b = batch.Count;
        var images = new Tensor(Concat(batch.Image0, batch.Image1), 2 * b, Config.ImageDim); // (2B, Di)
        var texts = new Tensor(Concat(batch.Text, batch.Text), 2 * b, Config.TextDim); // (2B, Dt)
        var r = Forward(images, texts, [.. batch.Criteria, .. batch.Criteria], [.. batch.Groups, .. batch.Groups]); // (2B)
        var d = F.Sub(F.Slice(r, 0, 0, b), F.Slice(r, 0, b, b)); // (B)
        var p = new Tensor((float[])batch.Targets.Clone(), b);
        var q = new Tensor(batch.Targets.Select(v => 1 - v).ToArray(), b);
        var terms = F.Neg(F.Add(F.Mul(p, F.LogSigmoid(d)), F.Mul(q, F.LogSigmoid(F.Neg(d))))); // (B)
        double total = batch.Weights.Sum(w => (double)w);
        if (!(total > 0))
        {
            throw new ArgumentException("reward model: the batch's weights sum to 0");
        }

        var w = new Tensor((float[])batch.Weights.Clone(), b);
        return (F.Mul(F.Sum(F.Mul(terms, w)), (float)(1 / total)), d);
    }

    /// <summary>Rewards without gradients for N inputs given as flat arrays (N·ImageDim and N·TextDim values), in chunks.</summary>
    public float[] Score(float[] images, float[] texts, int[] criteria, int[] groups)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(groups);
        using var _ = Autograd.NoGrad();
        int n = criteria.Length, di = Config.ImageDim, dt = Config.TextDim;
        var result = new float[n];
        const int chunk = 512;
        for (int start = 0; start < n; start += chunk)
        {
            int m = Math.Min(chunk, n - start);
            var r = Forward(
                new Tensor(images.AsSpan(start * di, m * di).ToArray(), m, di),
                new Tensor(texts.AsSpan(start * dt, m * dt).ToArray(), m, dt),
                criteria.AsSpan(start, m).ToArray(),
                groups.AsSpan(start, m).ToArray());
            r.Data.AsSpan(0, m).CopyTo(result.AsSpan(start, m));
        }

        return result;
    }

    /// <summary>Writes the weights and the configuration (and any extra metadata, such as the training summary) as one safetensors file.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? extra = null)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["config"] = JsonSerializer.Serialize(Config, Json),
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            meta.TryAdd(k, v);
        }

        Safetensors.Save(path, StateDict(), StoredType.F32, meta);
    }

    /// <summary>Reads a file written by <see cref="Save"/>; anything else is an error naming the file.</summary>
    public static (RewardModel Model, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        Dictionary<string, Tensor> tensors;
        Dictionary<string, string> meta;
        try
        {
            (tensors, meta) = Safetensors.Load(path);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or ArgumentException or FormatException or EndOfStreamException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: not a safetensors file ({e.Message})", e);
        }

        if (!meta.TryGetValue("format", out var f) || f != Format || !meta.TryGetValue("config", out var cfg))
        {
            throw new InvalidDataException($"{path}: not a Pluralist reward model (metadata 'format' {Format} and 'config' expected)");
        }

        try
        {
            var model = new RewardModel(JsonSerializer.Deserialize<RewardModelConfig>(cfg, Json) ?? throw new InvalidDataException($"{path}: empty config"));
            model.LoadStateDict(tensors);
            model.Eval();
            return (model, meta);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parameter count.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);

    private static float[] Concat(float[] a, float[] b)
    {
        var r = new float[a.Length + b.Length];
        a.CopyTo(r, 0);
        b.CopyTo(r, a.Length);
        return r;
    }
}

/// <summary>
/// B pairs as <see cref="RewardModel.PairLoss"/> takes them: both images' embeddings (B·ImageDim each, back to back), the
/// prompt embedding (B·TextDim), criterion and group indices, P(image_0 preferred) and a weight per pair.
/// </summary>
public sealed record RewardBatch(float[] Image0, float[] Image1, float[] Text, int[] Criteria, int[] Groups, float[] Targets, float[] Weights)
{
    public int Count => Targets.Length;
}
