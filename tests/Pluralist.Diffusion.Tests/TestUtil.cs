using Pluralist.Tensors;

namespace Pluralist.Diffusion.Tests;

internal static class TestUtil
{
    private static readonly Lazy<Dictionary<string, Tensor>> Golden = new(() =>
        Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "Golden", "dpo_golden.safetensors")).Tensors);

    private static readonly Lazy<Dictionary<string, Tensor>> ObjectivesGolden = new(() =>
        Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "Golden", "objectives_golden.safetensors")).Tensors);

    /// <summary>A golden tensor from tools/golden/make_dpo_golden.py (a copy).</summary>
    public static Tensor G(string name) => Golden.Value[name].Clone();

    /// <summary>A golden tensor from tools/golden/make_objectives_golden.py (a copy).</summary>
    public static Tensor O(string name) => ObjectivesGolden.Value[name].Clone();

    /// <summary>A tiny model: 8x8 RGB, two levels, attention at 4x4, 16-wide text encoder with one layer.</summary>
    public static DiffusionModelConfig TinyConfig(ulong seed = 1) => new()
    {
        UNet = new UNetConfig { ImageSize = 8, BaseChannels = 8, ChannelMultipliers = [1, 2], AttentionResolutions = [4], Heads = 2, GroupNormGroups = 4, ContextDim = 16 },
        TextEncoder = new TextEncoderConfig { Width = 16, Layers = 1, Heads = 2, MaxLength = 8, MlpRatio = 2 },
        InitSeed = seed,
    };

    /// <summary>A solid-colour 8x8 image (3, 8, 8) in [-1, 1] with a little seeded texture.</summary>
    public static float[] Solid(float r, float g, float b, int size = 8, ulong seed = 0, float texture = 0.05f)
    {
        var gen = new Generator(seed);
        int plane = size * size;
        var x = new float[3 * plane];
        float[] c = [r, g, b];
        for (int ch = 0; ch < 3; ch++)
        {
            for (int p = 0; p < plane; p++)
            {
                x[(ch * plane) + p] = Math.Clamp(c[ch] + (texture * gen.NextNormal()), -1f, 1f);
            }
        }

        return x;
    }
}
