using System.Numerics.Tensors;

namespace Pluralist.Tensors;

/// <summary>
/// Differentiable tensor operations (PyTorch <c>torch</c> and <c>torch.nn.functional</c> with .NET names).
/// Every operation records a backward closure when an input requires gradients and recording is enabled.
/// </summary>
public static partial class Functional
{
    private enum BinaryKind
    {
        Add,
        Sub,
        Mul,
        Div,
    }

    /// <summary>a + b with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Add);

    /// <summary>a - b with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Sub);

    /// <summary>a * b with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Mul);

    /// <summary>a / b with broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Div);

    /// <summary>a * s.</summary>
    public static Tensor Mul(Tensor a, float s)
    {
        ArgumentNullException.ThrowIfNull(a);
        var y = new float[a.Numel];
        TensorPrimitives.Multiply(a.Data, s, y);
        return Autograd.Record(new Tensor(y, a.Shape), [a], g =>
        {
            var ga = new float[g.Length];
            TensorPrimitives.Multiply(g, s, ga);
            a.AccumulateGrad(ga);
        });
    }

    /// <summary>a + s.</summary>
    public static Tensor Add(Tensor a, float s)
    {
        ArgumentNullException.ThrowIfNull(a);
        var y = new float[a.Numel];
        TensorPrimitives.Add(a.Data, s, y);
        return Autograd.Record(new Tensor(y, a.Shape), [a], a.AccumulateGrad);
    }

    /// <summary>-a.</summary>
    public static Tensor Neg(Tensor a) => Mul(a, -1f);

    private static Tensor Binary(Tensor a, Tensor b, BinaryKind kind)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outShape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var y = new float[ShapeUtil.Numel(outShape)];
        var ad = Expand(a.Data, a.Shape, outShape);
        var bd = Expand(b.Data, b.Shape, outShape);
        switch (kind)
        {
            case BinaryKind.Add:
                TensorPrimitives.Add(ad, bd, y);
                break;
            case BinaryKind.Sub:
                TensorPrimitives.Subtract(ad, bd, y);
                break;
            case BinaryKind.Mul:
                TensorPrimitives.Multiply(ad, bd, y);
                break;
            default:
                TensorPrimitives.Divide(ad, bd, y);
                break;
        }

        return Autograd.Record(new Tensor(y, outShape), [a, b], g =>
        {
            if (a.RequiresGrad)
            {
                float[] ga;
                switch (kind)
                {
                    case BinaryKind.Add:
                    case BinaryKind.Sub:
                        ga = g;
                        break;
                    case BinaryKind.Mul:
                        ga = new float[g.Length];
                        TensorPrimitives.Multiply(g, bd, ga);
                        break;
                    default:
                        ga = new float[g.Length];
                        TensorPrimitives.Divide(g, bd, ga);
                        break;
                }

                a.AccumulateGrad(SumTo(ga, outShape, a.Shape));
            }

            if (b.RequiresGrad)
            {
                var gb = new float[g.Length];
                switch (kind)
                {
                    case BinaryKind.Add:
                        g.CopyTo(gb, 0);
                        break;
                    case BinaryKind.Sub:
                        TensorPrimitives.Negate(g, gb);
                        break;
                    case BinaryKind.Mul:
                        TensorPrimitives.Multiply(g, ad, gb);
                        break;
                    default:
                        // d(a/b)/db = -a / b^2 = -y / b
                        TensorPrimitives.Multiply(g, y, gb);
                        TensorPrimitives.Divide(gb, bd, gb);
                        TensorPrimitives.Negate(gb, gb);
                        break;
                }

                b.AccumulateGrad(SumTo(gb, outShape, b.Shape));
            }
        });
    }

    /// <summary>Data of <paramref name="shape"/> broadcast to <paramref name="outShape"/> (the same array when shapes match).</summary>
    internal static float[] Expand(float[] data, int[] shape, int[] outShape)
    {
        if (ShapeUtil.SameShape(shape, outShape))
        {
            return data;
        }

        var o = new float[ShapeUtil.Numel(outShape)];
        if (data.Length == 1)
        {
            Array.Fill(o, data[0]);
            return o;
        }

        var st = ShapeUtil.BroadcastStrides(shape, outShape);
        ForEachRow(outShape, st, (outOff, inOff, n, stride) =>
        {
            if (stride == 0)
            {
                Array.Fill(o, data[inOff], outOff, n);
            }
            else
            {
                Array.Copy(data, inOff, o, outOff, n);
            }
        });
        return o;
    }

    /// <summary>Sums a gradient of <paramref name="outShape"/> down to a broadcast input's <paramref name="shape"/>.</summary>
    internal static float[] SumTo(float[] g, int[] outShape, int[] shape)
    {
        if (ShapeUtil.SameShape(shape, outShape))
        {
            return g;
        }

        var r = new float[ShapeUtil.Numel(shape)];
        if (r.Length == 1)
        {
            r[0] = TensorPrimitives.Sum(g);
            return r;
        }

        var st = ShapeUtil.BroadcastStrides(shape, outShape);
        ForEachRow(outShape, st, (outOff, inOff, n, stride) =>
        {
            if (stride == 0)
            {
                r[inOff] += TensorPrimitives.Sum(g.AsSpan(outOff, n));
            }
            else
            {
                TensorPrimitives.Add(r.AsSpan(inOff, n), g.AsSpan(outOff, n), r.AsSpan(inOff, n));
            }
        });
        return r;
    }

    /// <summary>Calls body(outOffset, inOffset, rowLength, innerStride) for every last-dimension row of outShape.</summary>
    private static void ForEachRow(int[] outShape, int[] inStrides, Action<int, int, int, int> body)
    {
        int rank = outShape.Length;
        if (rank == 0)
        {
            body(0, 0, 1, 0);
            return;
        }

        int n = outShape[rank - 1];
        int rows = n == 0 ? 0 : ShapeUtil.Numel(outShape) / n;
        var idx = new int[rank];
        int inOff = 0;
        for (int row = 0; row < rows; row++)
        {
            body(row * n, inOff, n, inStrides[rank - 1]);
            for (int d = rank - 2; d >= 0; d--)
            {
                idx[d]++;
                inOff += inStrides[d];
                if (idx[d] < outShape[d])
                {
                    break;
                }

                inOff -= inStrides[d] * outShape[d];
                idx[d] = 0;
            }
        }
    }

    private static Tensor Unary(Tensor a, Action<float[], float[]> forward, Func<float[], float[], float[], float[]> backward)
    {
        ArgumentNullException.ThrowIfNull(a);
        var y = new float[a.Numel];
        forward(a.Data, y);
        return Autograd.Record(new Tensor(y, a.Shape), [a], g => a.AccumulateGrad(backward(g, a.Data, y)));
    }

    /// <summary>e^x.</summary>
    public static Tensor Exp(Tensor a) => Unary(a, (x, y) => TensorPrimitives.Exp(x, y), (g, x, y) => Prod(g, y));

    /// <summary>Natural logarithm.</summary>
    public static Tensor Log(Tensor a) => Unary(a, (x, y) => TensorPrimitives.Log(x, y), (g, x, y) =>
    {
        var r = new float[g.Length];
        TensorPrimitives.Divide(g, x, r);
        return r;
    });

    /// <summary>Square root.</summary>
    public static Tensor Sqrt(Tensor a) => Unary(a, (x, y) => TensorPrimitives.Sqrt(x, y), (g, x, y) =>
    {
        // d sqrt(x) = 1 / (2 sqrt(x))
        var r = new float[g.Length];
        TensorPrimitives.Divide(g, y, r);
        TensorPrimitives.Multiply(r, 0.5f, r);
        return r;
    });

    /// <summary>x^p for a constant p.</summary>
    public static Tensor Pow(Tensor a, float p) => Unary(a, (x, y) => TensorPrimitives.Pow(x, p, y), (g, x, y) =>
    {
        var r = new float[g.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = g[i] * p * MathF.Pow(x[i], p - 1);
        }

        return r;
    });

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor a) => Unary(a, (x, y) => TensorPrimitives.Tanh(x, y), (g, x, y) =>
    {
        var r = new float[g.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = g[i] * (1 - (y[i] * y[i]));
        }

        return r;
    });

    /// <summary>Logistic sigmoid.</summary>
    public static Tensor Sigmoid(Tensor a) => Unary(a, (x, y) => TensorPrimitives.Sigmoid(x, y), (g, x, y) =>
    {
        var r = new float[g.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = g[i] * y[i] * (1 - y[i]);
        }

        return r;
    });

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor a) => Unary(a, (x, y) => TensorPrimitives.Max(x, 0f, y), (g, x, y) =>
    {
        var r = new float[g.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = x[i] > 0 ? g[i] : 0f;
        }

        return r;
    });

    /// <summary>SiLU (swish): x * sigmoid(x) (Elfwing et al. 2018).</summary>
    public static Tensor Silu(Tensor a) => Unary(a, Kernels.SiluForward, Kernels.SiluBackward);

    /// <summary>GELU (Hendrycks and Gimpel 2016): exact x * Phi(x), or the tanh approximation.</summary>
    public static Tensor Gelu(Tensor a, bool approximateTanh = false) => approximateTanh
        ? Unary(a, Kernels.GeluTanhForward, Kernels.GeluTanhBackward)
        : Unary(a, Kernels.GeluForward, Kernels.GeluBackward);

    /// <summary>log(sigmoid(x)) computed stably as min(x, 0) - log1p(exp(-|x|)).</summary>
    public static Tensor LogSigmoid(Tensor a) => Unary(a, Kernels.LogSigmoidForward, (g, x, y) =>
    {
        // d/dx log sigmoid(x) = sigmoid(-x)
        var r = new float[g.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = g[i] / (1f + MathF.Exp(x[i]));
        }

        return r;
    });

    /// <summary>Absolute value (gradient sign(x), 0 at 0).</summary>
    public static Tensor Abs(Tensor a) => Unary(a, (x, y) => TensorPrimitives.Abs(x, y), (g, x, y) =>
    {
        var r = new float[g.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = g[i] * MathF.Sign(x[i]);
        }

        return r;
    });

    private static float[] Prod(float[] a, float[] b)
    {
        var r = new float[a.Length];
        TensorPrimitives.Multiply(a, b, r);
        return r;
    }

    private static Tensor Compare(Tensor a, Tensor b, Func<float, float, bool> pred)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outShape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var ad = Expand(a.Data, a.Shape, outShape);
        var bd = Expand(b.Data, b.Shape, outShape);
        var y = new float[ad.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = pred(ad[i], bd[i]) ? 1f : 0f;
        }

        return new Tensor(y, outShape);
    }

    /// <summary>1 where a &gt; b, else 0 (no gradient).</summary>
    public static Tensor Gt(Tensor a, Tensor b) => Compare(a, b, (x, y) => x > y);

    /// <summary>1 where a &lt; b, else 0.</summary>
    public static Tensor Lt(Tensor a, Tensor b) => Compare(a, b, (x, y) => x < y);

    /// <summary>1 where a &gt;= b, else 0.</summary>
    public static Tensor Ge(Tensor a, Tensor b) => Compare(a, b, (x, y) => x >= y);

    /// <summary>1 where a &lt;= b, else 0.</summary>
    public static Tensor Le(Tensor a, Tensor b) => Compare(a, b, (x, y) => x <= y);

    /// <summary>1 where a == b, else 0.</summary>
    public static Tensor Eq(Tensor a, Tensor b) => Compare(a, b, (x, y) => x == y);

    /// <summary>Element-wise choice: a where condition is non-zero, else b (broadcasting all three).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outShape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition.Shape, a.Shape), b.Shape);
        var c = Expand(condition.Data, condition.Shape, outShape);
        var ad = Expand(a.Data, a.Shape, outShape);
        var bd = Expand(b.Data, b.Shape, outShape);
        var y = new float[c.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = c[i] != 0 ? ad[i] : bd[i];
        }

        return Autograd.Record(new Tensor(y, outShape), [a, b], g =>
        {
            var ga = new float[g.Length];
            var gb = new float[g.Length];
            for (int i = 0; i < g.Length; i++)
            {
                if (c[i] != 0)
                {
                    ga[i] = g[i];
                }
                else
                {
                    gb[i] = g[i];
                }
            }

            a.AccumulateGrad(SumTo(ga, outShape, a.Shape));
            b.AccumulateGrad(SumTo(gb, outShape, b.Shape));
        });
    }
}
