using System.Numerics.Tensors;

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
        return Normalize(x, bsz * groups, (c / groups) * spatial, gamma, beta, eps, spatial, c);
    }

    /// <summary>Layer normalisation (Ba et al. 2016) over the last dimension: gamma, beta (D).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, float eps = 1e-5f)
    {
        using var op = Profiler.Op("layer norm");
        ArgumentNullException.ThrowIfNull(x);
        int d = x.Shape[^1];
        return Normalize(x, x.Numel / d, d, gamma, beta, eps, 1, d);
    }

    // Normalises `rows` contiguous blocks of `m` elements. The affine entry of flat index i is (i / run) % channels:
    // every row is a sequence of runs of `run` elements that share one entry (group norm: a channel's pixels; layer
    // norm: run 1). Statistics: float vector sums per run, combined in double, in a fixed order per row.
    // Backward: dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy gamma.
    private static Tensor Normalize(Tensor x, int rows, int m, Tensor? gamma, Tensor? beta, float eps, int run, int channels)
    {
        var y = new float[x.Numel];
        var xhat = new float[x.Numel];
        var rstd = new float[rows];
        // layer-norm-like rows (run 1) are one span for the statistics; the row then covers channels ch0 .. ch0 + m - 1
        int sr = run == 1 ? m : run, runs = m / sr;
        Parallelism.For(rows, m * 4L, r =>
        {
            var seg = x.Data.AsSpan(r * m, m);
            double mean = 0;
            for (int q = 0; q < runs; q++)
            {
                mean += TensorPrimitives.Sum(seg.Slice(q * sr, sr));
            }

            mean /= m;
            double var = 0;
            var xh = xhat.AsSpan(r * m, m);
            TensorPrimitives.Subtract(seg, (float)mean, xh);
            for (int q = 0; q < runs; q++)
            {
                var part = xh.Slice(q * sr, sr);
                var += TensorPrimitives.Dot(part, part);
            }

            var /= m;
            float rs = (float)(1.0 / Math.Sqrt(var + eps));
            rstd[r] = rs;
            TensorPrimitives.Multiply(xh, rs, xh);
            var yr = y.AsSpan(r * m, m);
            if (run == 1)
            {
                int ch0 = r * m % channels;
                if (gamma is null)
                {
                    xh.CopyTo(yr);
                }
                else
                {
                    TensorPrimitives.Multiply(xh, gamma.Data.AsSpan(ch0, m), yr);
                }

                if (beta is not null)
                {
                    TensorPrimitives.Add(yr, beta.Data.AsSpan(ch0, m), yr);
                }

                return;
            }

            for (int q = 0; q < runs; q++)
            {
                int ch = ((r * m) + (q * run)) / run % channels;
                var dst = yr.Slice(q * run, run);
                TensorPrimitives.Multiply(xh.Slice(q * run, run), gamma is null ? 1f : gamma.Data[ch], dst);
                TensorPrimitives.Add(dst, beta is null ? 0f : beta.Data[ch], dst);
            }
        });

        Tensor[] inputs = gamma is null ? (beta is null ? [x] : [x, beta]) : (beta is null ? [x, gamma] : [x, gamma, beta]);
        return Autograd.Record(new Tensor(y, x.Shape), inputs, g =>
        {
            if (x.RequiresGrad)
            {
                var gx = new float[x.Numel];
                Parallelism.For(rows, m * 4L, r =>
                {
                    var gr = g.AsSpan(r * m, m);
                    var xh = xhat.AsSpan(r * m, m);
                    var gxr = gx.AsSpan(r * m, m);
                    if (gamma is not null && run == 1)
                    {
                        TensorPrimitives.Multiply(gr, gamma.Data.AsSpan(r * m % channels, m), gxr); // dxhat
                        gr = gxr;
                    }

                    double s1 = 0, s2 = 0;
                    for (int q = 0; q < runs; q++)
                    {
                        float gc = gamma is null || run == 1 ? 1f : gamma.Data[((r * m) + (q * sr)) / sr % channels];
                        var gq = gr.Slice(q * sr, sr);
                        s1 += gc * (double)TensorPrimitives.Sum(gq);
                        s2 += gc * (double)TensorPrimitives.Dot(gq, xh.Slice(q * sr, sr));
                    }

                    s1 /= m;
                    s2 /= m;
                    float rs = rstd[r];
                    for (int q = 0; q < runs; q++)
                    {
                        float gc = gamma is null || run == 1 ? 1f : gamma.Data[((r * m) + (q * sr)) / sr % channels];
                        var dst = gxr.Slice(q * sr, sr);
                        var gq = gr.Slice(q * sr, sr);
                        // rstd (gc g - s1 - xhat s2), computed in place (gq may be dst itself)
                        TensorPrimitives.Multiply(gq, rs * gc, dst);
                        TensorPrimitives.MultiplyAdd(xh.Slice(q * sr, sr), (float)(-rs * s2), dst, dst);
                        TensorPrimitives.Add(dst, (float)(-rs * s1), dst);
                    }
                });
                x.AccumulateGrad(gx, owned: true);
            }

            bool needGamma = gamma is not null && gamma.RequiresGrad, needBeta = beta is not null && beta.RequiresGrad;
            if (!needGamma && !needBeta)
            {
                return;
            }

            var gg = new double[channels];
            var gb = new double[channels];
            if (run == 1)
            {
                var accG = new float[channels];
                var accB = new float[channels];
                for (int r = 0; r < rows; r++)
                {
                    var gr = g.AsSpan(r * m, m);
                    var ag = accG.AsSpan(r * m % channels, m);
                    var ab = accB.AsSpan(r * m % channels, m);
                    TensorPrimitives.MultiplyAdd(gr, xhat.AsSpan(r * m, m), ag, ag);
                    TensorPrimitives.Add(gr, ab, ab);
                }

                for (int ch = 0; ch < channels; ch++)
                {
                    gg[ch] = accG[ch];
                    gb[ch] = accB[ch];
                }
            }
            else
            {
                for (int at = 0; at < x.Numel; at += run)
                {
                    int ch = at / run % channels;
                    var gq = g.AsSpan(at, run);
                    gg[ch] += TensorPrimitives.Dot(gq, xhat.AsSpan(at, run));
                    gb[ch] += TensorPrimitives.Sum(gq);
                }
            }

            if (needGamma)
            {
                gamma!.AccumulateGrad(gg.Select(v => (float)v).ToArray(), owned: true);
            }

            if (needBeta)
            {
                beta!.AccumulateGrad(gb.Select(v => (float)v).ToArray(), owned: true);
            }
        });
    }
}
