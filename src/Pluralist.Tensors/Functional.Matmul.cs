using System.Numerics.Tensors;

namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>
    /// Batched matrix product: a (..., M, K) x b (..., K, N) -> (..., M, N). Batch dimensions must match,
    /// or b may be a plain (K, N) matrix shared by every batch.
    /// </summary>
    public static Tensor Matmul(Tensor a, Tensor b)
    {
        using var op = Profiler.Op("matmul");
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank < 2 || b.Rank < 2)
        {
            Throw.Argument("matmul needs rank >= 2");
        }

        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k)
        {
            Throw.Argument($"matmul inner sizes differ: {k} vs {b.Shape[^2]}");
        }

        var outShape = (int[])a.Shape.Clone();
        outShape[^1] = n;
        if (b.Rank == 2)
        {
            // (B*M, K) x (K, N): one large product.
            int rows = a.Numel / k;
            var y2 = TensorScope.Output(rows * n);
            Gemm.Multiply(a.Data, 0, false, b.Data, 0, false, y2, 0, rows, n, k, false);
            return Autograd.Record(new Tensor(y2, outShape), [a, b], g =>
            {
                if (a.RequiresGrad)
                {
                    var ga = TensorPool.Rent(a.Numel);
                    Gemm.Multiply(g, 0, false, b.Data, 0, true, ga, 0, rows, k, n, false); // g (R, N) x b^T (N, K)
                    a.AccumulateGrad(ga, owned: true);
                }

                if (b.RequiresGrad)
                {
                    var gb = TensorPool.Rent(b.Numel);
                    Gemm.Multiply(a.Data, 0, true, g, 0, false, gb, 0, k, n, rows, false); // a^T (K, R) x g (R, N)
                    b.AccumulateGrad(gb, owned: true);
                }
            });
        }

        if (!a.Shape.AsSpan(0, a.Rank - 2).SequenceEqual(b.Shape.AsSpan(0, b.Rank - 2)))
        {
            Throw.Argument("matmul batch dimensions differ");
        }

        int batch = a.Numel / (m * k);
        var y = TensorScope.Output(batch * m * n);
        // Batches in parallel; each product is then computed serially on its worker (nested loops run inline).
        long work = (long)m * n * k / 8;
        Parallelism.For(batch, work, i => Gemm.Multiply(a.Data, i * m * k, false, b.Data, i * k * n, false, y, i * m * n, m, n, k, false));

        return Autograd.Record(new Tensor(y, outShape), [a, b], g =>
        {
            if (a.RequiresGrad)
            {
                var ga = TensorPool.Rent(a.Numel);
                Parallelism.For(batch, work, i => Gemm.Multiply(g, i * m * n, false, b.Data, i * k * n, true, ga, i * m * k, m, k, n, false));

                a.AccumulateGrad(ga, owned: true);
            }

            if (b.RequiresGrad)
            {
                var gb = TensorPool.Rent(b.Numel);
                Parallelism.For(batch, work, i => Gemm.Multiply(a.Data, i * m * k, true, g, i * m * n, false, gb, i * k * n, k, n, m, false));

                b.AccumulateGrad(gb, owned: true);
            }
        });
    }

    /// <summary>y = x W^T + b: x (..., In), weight (Out, In), bias (Out) -> (..., Out).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        using var op = Profiler.Op("linear");
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        int inF = weight.Shape[1], outF = weight.Shape[0];
        if (x.Shape[^1] != inF)
        {
            Throw.Argument($"linear expects {inF} input features, got {x.Shape[^1]}");
        }

        int rows = x.Numel / inF;
        var y = TensorScope.Output(rows * outF);
        if (bias is not null)
        {
            // start every row at the bias and let the product add to it
            for (int r = 0; r < rows; r++)
            {
                bias.Data.AsSpan(0, outF).CopyTo(y.AsSpan(r * outF, outF));
            }
        }

        Gemm.Multiply(x.Data, 0, false, weight.Data, 0, true, y, 0, rows, outF, inF, bias is not null);

        var shape = (int[])x.Shape.Clone();
        shape[^1] = outF;
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(new Tensor(y, shape), inputs, g =>
        {
            if (x.RequiresGrad)
            {
                var gx = TensorPool.Rent(x.Numel);
                Gemm.Multiply(g, 0, false, weight.Data, 0, false, gx, 0, rows, inF, outF, false); // (R, Out) x (Out, In)
                x.AccumulateGrad(gx, owned: true);
            }

            if (weight.RequiresGrad)
            {
                var gw = TensorPool.Rent(weight.Numel);
                Gemm.Multiply(g, 0, true, x.Data, 0, false, gw, 0, outF, inF, rows, false); // (Out, R) x (R, In)
                weight.AccumulateGrad(gw, owned: true);
            }

            if (bias is not null && bias.RequiresGrad)
            {
                var gb = new float[outF];
                for (int r = 0; r < rows; r++)
                {
                    TensorPrimitives.Add(gb, g.AsSpan(r * outF, outF), gb);
                }

                bias.AccumulateGrad(gb, owned: true);
            }
        });
    }
}
