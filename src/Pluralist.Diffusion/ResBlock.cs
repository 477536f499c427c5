using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

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
