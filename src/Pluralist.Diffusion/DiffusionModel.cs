using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>
/// The embedded text-to-image model: tokenizer (vocabulary as data), text encoder and UNet, with its configuration.
/// Weights are one safetensors file with names <c>text_encoder.*</c> and <c>unet.*</c>; the configuration and the
/// vocabulary travel in its metadata (<c>config</c>, <c>vocab</c>).
/// </summary>
public sealed class DiffusionModel : Module
{
    public DiffusionModel(DiffusionModelConfig config, WordTokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Tokenizer = tokenizer ?? WordTokenizer.Default();
        var g = new Generator(config.InitSeed);
        TextEncoder = RegisterModule("text_encoder", new TextEncoder(config.TextEncoder, Tokenizer.VocabularySize, g));
        UNet = RegisterModule("unet", new UNet(config.UNet, g));
        Schedule = config.Schedule.Build();
    }

    public DiffusionModelConfig Config { get; }

    public WordTokenizer Tokenizer { get; }

    public TextEncoder TextEncoder { get; }

    public UNet UNet { get; }

    public NoiseSchedule Schedule { get; }

    /// <summary>Image shape (C, H, W).</summary>
    public int[] ImageShape => [Config.UNet.InChannels, Config.UNet.ImageSize, Config.UNet.ImageSize];

    /// <summary>Tokenizes and encodes prompts: context (B, L, D) and mask (B, L). Records gradients only if the text encoder is trainable and recording is on.</summary>
    public (Tensor Context, Tensor Mask) EncodeText(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        return TextEncoder.Forward(Tokenizer.EncodeBatch(prompts, Config.TextEncoder.MaxLength));
    }

    /// <summary>
    /// Generates one image per prompt, (B, C, H, W) in [-1, 1] (clamped). With guidance w != 1 each step runs the UNet on
    /// [unconditional; conditional] and mixes eps = eps_u + w (eps_c - eps_u).
    /// </summary>
    public Tensor Generate(GenerationRequest request, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Prompts.Count == 0)
        {
            throw new ArgumentException("at least one prompt", nameof(request));
        }

        using var _ = Autograd.NoGrad();
        bool wasTraining = Training;
        Eval();
        try
        {
            int b = request.Prompts.Count;
            float w = request.GuidanceScale;
            bool guided = w != 1f;
            var prompts = guided ? Enumerable.Repeat(string.Empty, b).Concat(request.Prompts).ToList() : request.Prompts.ToList();
            var (ctx, mask) = EncodeText(prompts); // (B or 2B, L, D)
            var x = Sampler.Sample(Schedule, (xt, ts) =>
            {
                if (!guided)
                {
                    return UNet.PredictNoise(xt, ts, ctx, mask);
                }

                var eps = UNet.PredictNoise(F.Cat([xt, xt], 0), [.. ts, .. ts], ctx, mask); // (2B, C, H, W)
                int n = xt.Numel;
                var mixed = new float[n];
                for (int i = 0; i < n; i++)
                {
                    float u = eps.Data[i], c = eps.Data[n + i];
                    mixed[i] = u + (w * (c - u)); // classifier-free guidance (Ho and Salimans 2022, Eq. 6)
                }

                return new Tensor(mixed, xt.Shape);
            }, [b, .. ImageShape], new Generator(request.Seed), request.Sampler, progress);
            for (int i = 0; i < x.Numel; i++)
            {
                x.Data[i] = Math.Clamp(x.Data[i], -1f, 1f);
            }

            return x;
        }
        finally
        {
            Train(wasTraining);
        }
    }

    /// <summary>One image of a (B, 3, H, W) batch in [-1, 1] as interleaved RGB bytes (H W 3).</summary>
    public static byte[] ToRgbBytes(Tensor images, int index)
    {
        ArgumentNullException.ThrowIfNull(images);
        int c = images.Shape[1], h = images.Shape[2], w = images.Shape[3], plane = h * w;
        if (c != 3)
        {
            throw new ArgumentException("RGB images need 3 channels");
        }

        var bytes = new byte[plane * 3];
        int off = index * c * plane;
        for (int p = 0; p < plane; p++)
        {
            for (int ch = 0; ch < 3; ch++)
            {
                float v = (images.Data[off + (ch * plane) + p] + 1f) * 127.5f; // [-1, 1] -> [0, 255]
                bytes[(p * 3) + ch] = (byte)Math.Clamp(MathF.Round(v), 0, 255);
            }
        }

        return bytes;
    }

    /// <summary>Interleaved RGB bytes (H W 3) to one (3, H, W) image in [-1, 1].</summary>
    public static float[] FromRgbBytes(byte[] rgb, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != height * width * 3)
        {
            throw new ArgumentException($"expected {height * width * 3} bytes");
        }

        int plane = height * width;
        var x = new float[3 * plane];
        for (int p = 0; p < plane; p++)
        {
            for (int ch = 0; ch < 3; ch++)
            {
                x[(ch * plane) + p] = (rgb[(p * 3) + ch] / 127.5f) - 1f;
            }
        }

        return x;
    }

    /// <summary>Writes weights (F32), configuration and vocabulary to one safetensors file.</summary>
    public void Save(string path)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pluralist-diffusion-1",
            ["config"] = Config.ToJson(),
            ["vocab"] = Tokenizer.ToJson(),
        };
        Safetensors.Save(path, StateDict(), StoredType.F32, meta);
    }

    /// <summary>Reads what <see cref="Save"/> wrote (strict: every weight present, none unexpected).</summary>
    public static DiffusionModel Load(string path)
    {
        var (tensors, meta) = Safetensors.Load(path);
        if (!meta.TryGetValue("config", out var cfg) || !meta.TryGetValue("vocab", out var vocab))
        {
            throw new FormatException($"{path}: not a Pluralist diffusion model (metadata 'config' and 'vocab' missing)");
        }

        var model = new DiffusionModel(DiffusionModelConfig.FromJson(cfg), WordTokenizer.FromJson(vocab));
        model.LoadStateDict(tensors);
        return model;
    }

    /// <summary>A deep copy (same configuration, tokenizer and weights; LoRA adapters are not copied), e.g. the frozen DPO reference.</summary>
    public DiffusionModel Copy()
    {
        var m = new DiffusionModel(Config, Tokenizer);
        var targets = m.StateDict();
        foreach (var (name, t) in StateDict())
        {
            if (targets.TryGetValue(name, out var target))
            {
                target.CopyFrom(t);
            }
        }

        return m;
    }

    /// <summary>Number of parameters.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);
}
