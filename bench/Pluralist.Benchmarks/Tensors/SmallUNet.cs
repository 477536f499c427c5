using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Benchmarks.Tensors;

/// <summary>Residual block: x + conv(SiLU(GN(conv(SiLU(GN(x)))))).</summary>
internal sealed class ResBlock : Module
{
    private readonly GroupNorm _norm1;
    private readonly Conv2d _conv1;
    private readonly GroupNorm _norm2;
    private readonly Conv2d _conv2;

    public ResBlock(int c, Generator g)
    {
        _norm1 = RegisterModule("norm1", new GroupNorm(8, c));
        _conv1 = RegisterModule("conv1", new Conv2d(c, c, 3, padding: 1, generator: g));
        _norm2 = RegisterModule("norm2", new GroupNorm(8, c));
        _conv2 = RegisterModule("conv2", new Conv2d(c, c, 3, padding: 1, generator: g));
    }

    public Tensor Forward(Tensor x)
    {
        var h = _conv1.Forward(F.Silu(_norm1.Forward(x)));
        return F.Add(x, _conv2.Forward(F.Silu(_norm2.Forward(h))));
    }
}

/// <summary>Multi-head self-attention over pixels: x + proj(attention(qkv(GN(x)))).</summary>
internal sealed class AttnBlock : Module
{
    private readonly int _heads;
    private readonly GroupNorm _norm;
    private readonly Linear _qkv;
    private readonly Linear _proj;

    public AttnBlock(int c, int heads, Generator g)
    {
        _heads = heads;
        _norm = RegisterModule("norm", new GroupNorm(8, c));
        _qkv = RegisterModule("qkv", new Linear(c, 3 * c, generator: g));
        _proj = RegisterModule("proj", new Linear(c, c, generator: g));
    }

    public Tensor Forward(Tensor x)
    {
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], d = c / _heads;
        var t = F.Transpose(F.Flatten(_norm.Forward(x), 2), 1, 2);                                // (B, HW, C)
        var qkv = F.Permute(F.Reshape(_qkv.Forward(t), b, h * w, 3, _heads, d), 2, 0, 3, 1, 4); // (3, B, heads, HW, d)
        var parts = F.Chunk(qkv, 3, 0);
        var a = F.ScaledDotProductAttention(F.Reshape(parts[0], b, _heads, h * w, d), F.Reshape(parts[1], b, _heads, h * w, d), F.Reshape(parts[2], b, _heads, h * w, d));
        var merged = F.Reshape(F.Permute(a, 0, 2, 1, 3), b, h * w, c);                           // (B, HW, C)
        return F.Add(x, F.Reshape(F.Transpose(_proj.Forward(merged), 1, 2), b, c, h, w));
    }
}

/// <summary>
/// The benchmark's representative denoiser (same layout as SmallUNet in bench/pytorch/bench_tensors.py):
/// conv in, res(32), stride-2 down, res(64), attention(64, 4 heads), nearest up, concat skip, res(32), conv out.
/// </summary>
internal sealed class SmallUNet : Module
{
    private readonly Conv2d _convIn;
    private readonly ResBlock _res1;
    private readonly Conv2d _down;
    private readonly ResBlock _res2;
    private readonly AttnBlock _attn;
    private readonly Conv2d _up;
    private readonly Conv2d _merge;
    private readonly ResBlock _res3;
    private readonly GroupNorm _normOut;
    private readonly Conv2d _convOut;

    public SmallUNet(Generator g)
    {
        _convIn = RegisterModule("conv_in", new Conv2d(4, 32, 3, padding: 1, generator: g));
        _res1 = RegisterModule("res1", new ResBlock(32, g));
        _down = RegisterModule("down", new Conv2d(32, 64, 3, stride: 2, padding: 1, generator: g));
        _res2 = RegisterModule("res2", new ResBlock(64, g));
        _attn = RegisterModule("attn", new AttnBlock(64, 4, g));
        _up = RegisterModule("up", new Conv2d(64, 32, 3, padding: 1, generator: g));
        _merge = RegisterModule("merge", new Conv2d(64, 32, 3, padding: 1, generator: g));
        _res3 = RegisterModule("res3", new ResBlock(32, g));
        _normOut = RegisterModule("norm_out", new GroupNorm(8, 32));
        _convOut = RegisterModule("conv_out", new Conv2d(32, 4, 3, padding: 1, generator: g));
    }

    public Tensor Forward(Tensor x)
    {
        var h1 = _res1.Forward(_convIn.Forward(x));                      // (B, 32, 32, 32)
        var h = _attn.Forward(_res2.Forward(_down.Forward(h1)));         // (B, 64, 16, 16)
        h = _up.Forward(F.UpsampleNearest2d(h, 2));                      // (B, 32, 32, 32)
        h = _res3.Forward(_merge.Forward(F.Cat([h, h1], 1)));
        return _convOut.Forward(F.Silu(_normOut.Forward(h)));
    }
}
