using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

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
