namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>
    /// Group normalisation (Wu and He 2018): x (B, C, ...) split into G groups of C/G channels,
    /// y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c], statistics per (sample, group), biased variance.
    /// </summary>
    public static Tensor GroupNorm(Tensor x, int groups, Tensor? gamma, Tensor? beta, float eps = 1e-5f)
    {
        using var op = Profiler.Op("group norm");
        ArgumentNullException.ThrowIfNull(x);
        int bsz = x.Shape[0], c = x.Shape[1];
        if (c % groups != 0)
        {
            Throw.Argument("channels must divide into groups");
        }

        int spatial = x.Numel / (bsz * c);
        var y = TensorScope.Output(x.Numel);
        var mean = new float[bsz * groups];
        var rstd = new float[bsz * groups];
        NormKernels.GroupForward(x.Data, y, mean, rstd, bsz, c, groups, spatial, gamma?.Data, beta?.Data, eps);
        return Autograd.Record(new Tensor(y, x.Shape), NormInputs(x, gamma, beta), g =>
        {
            var (dx, dgamma, dbeta) = NormGradients(x, gamma, beta);
            NormKernels.GroupBackward(g, x.Data, mean, rstd, bsz, c, groups, spatial, gamma?.Data, dx ?? g, dgamma, dbeta);
            HandNormGradients(x, gamma, beta, dx, dgamma, dbeta, g);
        });
    }

    /// <summary>Layer normalisation (Ba et al. 2016) over the last dimension: gamma, beta (D).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, float eps = 1e-5f)
    {
        using var op = Profiler.Op("layer norm");
        ArgumentNullException.ThrowIfNull(x);
        int d = x.Shape[^1], rows = x.Numel / d;
        var y = TensorScope.Output(x.Numel);
        var mean = new float[rows];
        var rstd = new float[rows];
        NormKernels.LayerForward(x.Data, y, mean, rstd, rows, d, gamma?.Data, beta?.Data, eps);
        return Autograd.Record(new Tensor(y, x.Shape), NormInputs(x, gamma, beta), g =>
        {
            var (dx, dgamma, dbeta) = NormGradients(x, gamma, beta);
            NormKernels.LayerBackward(g, x.Data, mean, rstd, rows, d, gamma?.Data, dx ?? g, dgamma, dbeta);
            HandNormGradients(x, gamma, beta, dx, dgamma, dbeta, g);
        });
    }

    private static Tensor[] NormInputs(Tensor x, Tensor? gamma, Tensor? beta) =>
        gamma is null ? (beta is null ? [x] : [x, beta]) : (beta is null ? [x, gamma] : [x, gamma, beta]);

    // dx goes into the output gradient's own array unless x does not need it (then a scratch array, dropped); the
    // kernels read dy and x element by element before writing dx, so writing in place is safe
    private static (float[]? Dx, float[]? DGamma, float[]? DBeta) NormGradients(Tensor x, Tensor? gamma, Tensor? beta) =>
        (x.RequiresGrad ? null : TensorPool.Rent(x.Numel), gamma is { RequiresGrad: true } ? new float[gamma.Numel] : null, beta is { RequiresGrad: true } ? new float[beta.Numel] : null);

    private static void HandNormGradients(Tensor x, Tensor? gamma, Tensor? beta, float[]? dx, float[]? dgamma, float[]? dbeta, float[] g)
    {
        if (dgamma is not null)
        {
            gamma!.AccumulateGrad(dgamma, owned: true);
        }

        if (dbeta is not null)
        {
            beta!.AccumulateGrad(dbeta, owned: true);
        }

        if (dx is null)
        {
            x.AccumulateGrad(g, owned: true);
        }
        else
        {
            TensorPool.Return(dx);
        }
    }
}
