using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>
/// Text-conditioned noise-prediction UNet in pixel space (Ho et al. 2020; Rombach et al. 2022 for the cross-attention):
/// sinusoidal timestep embedding and MLP, conv_in, per level residual blocks (+ spatial transformers at the attention
/// resolutions) and a stride-2 conv down, a middle of res/attention/res, the mirrored way up with skip concatenations
/// and nearest-neighbour upsampling plus conv, then GN, SiLU, conv_out to eps.
/// </summary>
public sealed class UNet : Module, IDenoiser
{
    private readonly List<(ResBlock Res, SpatialTransformer? Attn)> _down = [];
    private readonly Dictionary<int, Conv2d> _downsample = [];
    private readonly List<(ResBlock Res, SpatialTransformer? Attn)> _up = [];
    private readonly Dictionary<int, Conv2d> _upsample = [];
    private readonly int _levels;
    private readonly int _perLevel;

    public UNet(UNetConfig config, Generator g)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(g);
        Config = config;
        int c0 = config.BaseChannels, temb = 4 * c0, groups = config.GroupNormGroups;
        _levels = config.ChannelMultipliers.Length;
        _perLevel = config.ResBlocksPerLevel;
        TimeLinear1 = RegisterModule("time_embedding.linear_1", new Linear(c0, temb, generator: g));
        TimeLinear2 = RegisterModule("time_embedding.linear_2", new Linear(temb, temb, generator: g));
        ConvIn = RegisterModule("conv_in", new Conv2d(config.InChannels, c0, 3, padding: 1, generator: g));

        var skipChannels = new List<int> { c0 };
        int ch = c0, res = config.ImageSize;
        for (int l = 0; l < _levels; l++)
        {
            int outCh = c0 * config.ChannelMultipliers[l];
            for (int i = 0; i < _perLevel; i++)
            {
                var rb = RegisterModule($"down.{l}.res.{i}", new ResBlock(ch, outCh, temb, groups, g));
                var at = config.AttentionResolutions.Contains(res) ? RegisterModule($"down.{l}.attn.{i}", new SpatialTransformer(outCh, config.Heads, config.ContextDim, groups, g)) : null;
                _down.Add((rb, at));
                ch = outCh;
                skipChannels.Add(ch);
            }

            if (l < _levels - 1)
            {
                _downsample[l] = RegisterModule($"down.{l}.downsample", new Conv2d(ch, ch, 3, stride: 2, padding: 1, generator: g));
                skipChannels.Add(ch);
                res /= 2;
            }
        }

        MidRes1 = RegisterModule("mid.res.0", new ResBlock(ch, ch, temb, groups, g));
        MidAttn = RegisterModule("mid.attn.0", new SpatialTransformer(ch, config.Heads, config.ContextDim, groups, g));
        MidRes2 = RegisterModule("mid.res.1", new ResBlock(ch, ch, temb, groups, g));

        for (int l = _levels - 1; l >= 0; l--)
        {
            int outCh = c0 * config.ChannelMultipliers[l];
            for (int i = 0; i <= _perLevel; i++)
            {
                int skip = skipChannels[^1];
                skipChannels.RemoveAt(skipChannels.Count - 1);
                var rb = RegisterModule($"up.{l}.res.{i}", new ResBlock(ch + skip, outCh, temb, groups, g));
                var at = config.AttentionResolutions.Contains(res) ? RegisterModule($"up.{l}.attn.{i}", new SpatialTransformer(outCh, config.Heads, config.ContextDim, groups, g)) : null;
                _up.Add((rb, at));
                ch = outCh;
            }

            if (l > 0)
            {
                _upsample[l] = RegisterModule($"up.{l}.upsample", new Conv2d(ch, ch, 3, padding: 1, generator: g));
                res *= 2;
            }
        }

        NormOut = RegisterModule("norm_out", new GroupNorm(groups, ch));
        ConvOut = RegisterModule("conv_out", new Conv2d(ch, config.InChannels, 3, padding: 1, generator: g));
    }

    public UNetConfig Config { get; }

    public Linear TimeLinear1 { get; }

    public Linear TimeLinear2 { get; }

    public Conv2d ConvIn { get; }

    public ResBlock MidRes1 { get; }

    public SpatialTransformer MidAttn { get; }

    public ResBlock MidRes2 { get; }

    public GroupNorm NormOut { get; }

    public Conv2d ConvOut { get; }

    /// <inheritdoc/>
    public Tensor PredictNoise(Tensor noisy, int[] timesteps, Tensor context, Tensor? contextMask)
    {
        ArgumentNullException.ThrowIfNull(noisy);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(context);
        int b = noisy.Shape[0];
        if (noisy.Rank != 4 || noisy.Shape[1] != Config.InChannels || noisy.Shape[2] != Config.ImageSize || noisy.Shape[3] != Config.ImageSize)
        {
            throw new ArgumentException($"x_t must be (B, {Config.InChannels}, {Config.ImageSize}, {Config.ImageSize}), got [{string.Join(", ", noisy.Shape)}]");
        }

        if (timesteps.Length != b || context.Shape[0] != b || context.Shape[2] != Config.ContextDim)
        {
            throw new ArgumentException("timesteps (B) and context (B, L, contextDim) must match the batch");
        }

        // temb = W2 SiLU(W1 sinusoid(t)) (DDPM / SD timestep embedding)
        var sin = F.TimestepEmbedding(timesteps.Select(t => (float)t).ToArray(), Config.BaseChannels); // (B, C0)
        var temb = TimeLinear2.Forward(F.Silu(TimeLinear1.Forward(sin))); // (B, 4 C0)

        var h = ConvIn.Forward(noisy); // (B, C0, H, W)
        var skips = new Stack<Tensor>();
        skips.Push(h);
        int k = 0;
        for (int l = 0; l < _levels; l++)
        {
            for (int i = 0; i < _perLevel; i++, k++)
            {
                var (rb, at) = _down[k];
                h = rb.Forward(h, temb);
                if (at is not null)
                {
                    h = at.Forward(h, context, contextMask);
                }

                skips.Push(h);
            }

            if (_downsample.TryGetValue(l, out var ds))
            {
                h = ds.Forward(h); // (B, C, H/2, W/2)
                skips.Push(h);
            }
        }

        h = MidRes2.Forward(MidAttn.Forward(MidRes1.Forward(h, temb), context, contextMask), temb);

        k = 0;
        for (int l = _levels - 1; l >= 0; l--)
        {
            for (int i = 0; i <= _perLevel; i++, k++)
            {
                var (rb, at) = _up[k];
                h = rb.Forward(F.Cat([h, skips.Pop()], 1), temb); // skip concatenation on channels
                if (at is not null)
                {
                    h = at.Forward(h, context, contextMask);
                }
            }

            if (_upsample.TryGetValue(l, out var us))
            {
                h = us.Forward(F.UpsampleNearest2d(h, 2)); // (B, C, 2H, 2W)
            }
        }

        return ConvOut.Forward(F.Silu(NormOut.Forward(h))); // (B, Cin, H, W)
    }

    /// <summary>Every spatial transformer (for LoRA on the attention projections).</summary>
    public IEnumerable<SpatialTransformer> Transformers() => _down.Select(d => d.Attn).Append(MidAttn).Concat(_up.Select(u => u.Attn)).OfType<SpatialTransformer>();
}
