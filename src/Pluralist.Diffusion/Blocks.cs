using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>Multi-head attention with separate query and context widths (self-attention when the context is the input); to_q/to_k/to_v without bias, to_out with bias, as Stable Diffusion.</summary>
public sealed class Attention : Module
{
    public Attention(int queryDim, int contextDim, int heads, Generator g)
    {
        Heads = heads;
        ToQ = RegisterModule("to_q", new Linear(queryDim, queryDim, bias: false, generator: g));
        ToK = RegisterModule("to_k", new Linear(contextDim, queryDim, bias: false, generator: g));
        ToV = RegisterModule("to_v", new Linear(contextDim, queryDim, bias: false, generator: g));
        ToOut = RegisterModule("to_out", new Linear(queryDim, queryDim, generator: g));
    }

    public int Heads { get; }

    public Linear ToQ { get; }

    public Linear ToK { get; }

    public Linear ToV { get; }

    public Linear ToOut { get; }

    /// <summary>x (B, N, Dq), context (B, M, Dc) or null for self-attention, keyMask (B, M) 1 = attend -> (B, N, Dq).</summary>
    public Tensor Forward(Tensor x, Tensor? context = null, Tensor? keyMask = null)
    {
        var ctx = context ?? x;
        int b = x.Shape[0], n = x.Shape[1], m = ctx.Shape[1], d = x.Shape[2], dh = d / Heads;
        var q = F.Permute(F.Reshape(ToQ.Forward(x), b, n, Heads, dh), 0, 2, 1, 3); // (B, H, N, dh)
        var k = F.Permute(F.Reshape(ToK.Forward(ctx), b, m, Heads, dh), 0, 2, 1, 3); // (B, H, M, dh)
        var v = F.Permute(F.Reshape(ToV.Forward(ctx), b, m, Heads, dh), 0, 2, 1, 3); // (B, H, M, dh)
        var mask = keyMask is null ? null : keyMask.Reshape(b, 1, 1, m); // (B, 1, 1, M)
        var o = F.ScaledDotProductAttention(q, k, v, mask); // (B, H, N, dh)
        return ToOut.Forward(F.Reshape(F.Permute(o, 0, 2, 1, 3), b, n, d)); // (B, N, D)
    }

    /// <summary>The four projections (LoRA targets).</summary>
    public IEnumerable<Linear> Projections() => [ToQ, ToK, ToV, ToOut];
}

/// <summary>Pre-norm transformer layer: x += SelfAttn(LN x); [x += CrossAttn(LN x, ctx)]; x += MLP(LN x) with GELU (Vaswani et al. 2017; SD's BasicTransformerBlock).</summary>
public sealed class TransformerLayer : Module
{
    public TransformerLayer(int dim, int heads, int? contextDim, int mlpRatio, Generator g)
    {
        Norm1 = RegisterModule("norm1", new LayerNorm(dim));
        Attn1 = RegisterModule("attn1", new Attention(dim, dim, heads, g));
        if (contextDim is int cd)
        {
            Norm2 = RegisterModule("norm2", new LayerNorm(dim));
            Attn2 = RegisterModule("attn2", new Attention(dim, cd, heads, g));
        }

        Norm3 = RegisterModule("norm3", new LayerNorm(dim));
        Ff1 = RegisterModule("ff1", new Linear(dim, dim * mlpRatio, generator: g));
        Ff2 = RegisterModule("ff2", new Linear(dim * mlpRatio, dim, generator: g));
    }

    public LayerNorm Norm1 { get; }

    public Attention Attn1 { get; }

    public LayerNorm? Norm2 { get; }

    public Attention? Attn2 { get; }

    public LayerNorm Norm3 { get; }

    public Linear Ff1 { get; }

    public Linear Ff2 { get; }

    /// <summary>x (B, N, D); selfMask (B, N) for padded sequences; context (B, M, Dc) with contextMask (B, M).</summary>
    public Tensor Forward(Tensor x, Tensor? selfMask = null, Tensor? context = null, Tensor? contextMask = null)
    {
        x = F.Add(x, Attn1.Forward(Norm1.Forward(x), null, selfMask));
        if (Attn2 is not null && Norm2 is not null && context is not null)
        {
            x = F.Add(x, Attn2.Forward(Norm2.Forward(x), context, contextMask));
        }

        return F.Add(x, Ff2.Forward(F.Gelu(Ff1.Forward(Norm3.Forward(x)))));
    }

    /// <summary>Attention projections (LoRA targets).</summary>
    public IEnumerable<Linear> AttentionProjections() => Attn2 is null ? Attn1.Projections() : Attn1.Projections().Concat(Attn2.Projections());
}

/// <summary>Residual block with timestep conditioning (Ho et al. 2020, App. B): h = conv(SiLU(GN x)) + W temb; h = conv(SiLU(GN h)); out = skip(x) + h.</summary>
public sealed class ResBlock : Module
{
    public ResBlock(int inChannels, int outChannels, int tembDim, int groups, Generator g)
    {
        Norm1 = RegisterModule("norm1", new GroupNorm(groups, inChannels));
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, outChannels, 3, padding: 1, generator: g));
        TimeProj = RegisterModule("time_emb_proj", new Linear(tembDim, outChannels, generator: g));
        Norm2 = RegisterModule("norm2", new GroupNorm(groups, outChannels));
        Conv2 = RegisterModule("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, generator: g));
        Skip = inChannels == outChannels ? null : RegisterModule("skip", new Conv2d(inChannels, outChannels, 1, generator: g));
        OutChannels = outChannels;
    }

    public int OutChannels { get; }

    public GroupNorm Norm1 { get; }

    public Conv2d Conv1 { get; }

    public Linear TimeProj { get; }

    public GroupNorm Norm2 { get; }

    public Conv2d Conv2 { get; }

    public Conv2d? Skip { get; }

    /// <summary>x (B, Cin, H, W), temb (B, Dt) -> (B, Cout, H, W).</summary>
    public Tensor Forward(Tensor x, Tensor temb)
    {
        int b = x.Shape[0];
        var h = Conv1.Forward(F.Silu(Norm1.Forward(x))); // (B, Cout, H, W)
        h = F.Add(h, F.Reshape(TimeProj.Forward(F.Silu(temb)), b, OutChannels, 1, 1));
        h = Conv2.Forward(F.Silu(Norm2.Forward(h)));
        return F.Add(Skip is null ? x : Skip.Forward(x), h);
    }
}

/// <summary>Spatial transformer (Rombach et al. 2022): GN, 1x1 projection in, one transformer layer with self- and cross-attention over the H W tokens, projection out, residual.</summary>
public sealed class SpatialTransformer : Module
{
    public SpatialTransformer(int channels, int heads, int contextDim, int groups, Generator g)
    {
        Norm = RegisterModule("norm", new GroupNorm(groups, channels));
        ProjIn = RegisterModule("proj_in", new Linear(channels, channels, generator: g));
        Layer = RegisterModule("transformer", new TransformerLayer(channels, heads, contextDim, 4, g));
        ProjOut = RegisterModule("proj_out", new Linear(channels, channels, generator: g));
    }

    public GroupNorm Norm { get; }

    public Linear ProjIn { get; }

    public TransformerLayer Layer { get; }

    public Linear ProjOut { get; }

    /// <summary>x (B, C, H, W), context (B, L, D), contextMask (B, L) -> (B, C, H, W).</summary>
    public Tensor Forward(Tensor x, Tensor context, Tensor? contextMask)
    {
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var t = F.Permute(F.Reshape(Norm.Forward(x), b, c, h * w), 0, 2, 1); // (B, HW, C)
        t = ProjOut.Forward(Layer.Forward(ProjIn.Forward(t), null, context, contextMask)); // (B, HW, C)
        return F.Add(x, F.Reshape(F.Permute(t, 0, 2, 1), b, c, h, w));
    }
}
