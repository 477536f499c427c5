using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

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
