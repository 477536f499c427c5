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
