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
        // heads stay side by side in the projections: (B, N, H dh), no permuted copies
        var o = F.MultiHeadAttention(ToQ.Forward(x), ToK.Forward(ctx), ToV.Forward(ctx), Heads, keyMask); // (B, N, D)
        return ToOut.Forward(o); // (B, N, D)
    }

    /// <summary>The four projections (LoRA targets).</summary>
    public IEnumerable<Linear> Projections() => [ToQ, ToK, ToV, ToOut];
}
