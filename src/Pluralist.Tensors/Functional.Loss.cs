namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>Mean squared error mean((a - b)^2).</summary>
    public static Tensor MseLoss(Tensor a, Tensor b)
    {
        using var op = Profiler.Op("mse loss");
        var d = Sub(a, b);
        return Mean(Mul(d, d));
    }

    /// <summary>Cross-entropy of logits (N, C) against class indices (N), averaged over N.</summary>
    public static Tensor CrossEntropy(Tensor logits, int[] targets)
    {
        using var op = Profiler.Op("cross entropy");
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        int n = logits.Shape[0], c = logits.Numel / n;
        if (targets.Length != n)
        {
            Throw.Argument("one target per row");
        }

        var logp = new float[logits.Numel];
        double loss = 0;
        for (int r = 0; r < n; r++)
        {
            if ((uint)targets[r] >= (uint)c)
            {
                Throw.Argument("target out of range");
            }

            SoftmaxRow(logp.AsSpan(r * c, c), logits.Data.AsSpan(r * c, c), log: true);
            loss -= logp[(r * c) + targets[r]];
        }

        return Autograd.Record(new Tensor([(float)(loss / n)], 1), [logits], g =>
        {
            // d/dlogits = (softmax - onehot) / N
            var gl = TensorPool.Rent(logits.Numel);
            float s = g[0] / n;
            for (int r = 0; r < n; r++)
            {
                for (int j = 0; j < c; j++)
                {
                    gl[(r * c) + j] = MathF.Exp(logp[(r * c) + j]) * s;
                }

                gl[(r * c) + targets[r]] -= s;
            }

            logits.AccumulateGrad(gl, owned: true);
        });
    }
}
