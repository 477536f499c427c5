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
        using var op = Profiler.Op("mul (scalar)");
        ArgumentNullException.ThrowIfNull(a);
        var y = TensorScope.Output(a.Numel);
        TensorPrimitives.Multiply(a.Data, s, y);
        return Autograd.Record(new Tensor(y, a.Shape), [a], g =>
        {
            TensorPrimitives.Multiply(g, s, g);
            a.AccumulateGrad(g, owned: true);
        });
    }

    /// <summary>a + s.</summary>
    public static Tensor Add(Tensor a, float s)
    {
        using var op = Profiler.Op("add (scalar)");
        ArgumentNullException.ThrowIfNull(a);
        var y = TensorScope.Output(a.Numel);
        TensorPrimitives.Add(a.Data, s, y);
        return Autograd.Record(new Tensor(y, a.Shape), [a], g => a.AccumulateGrad(g, owned: true));
    }

    /// <summary>-a.</summary>
    public static Tensor Neg(Tensor a) => Mul(a, -1f);

    // y = a op b over a broadcast plan; backward reduces each operand's gradient over the dimensions it was broadcast
    // along (rows in order, so the sums do not depend on threads). The gradient the closure owns goes to a when a
    // has the output's shape (add, sub), after everything that reads it.
    private static Tensor Binary(Tensor a, Tensor b, BinaryKind kind)
    {
        using var op = Profiler.Op(kind switch { BinaryKind.Add => "add", BinaryKind.Sub => "sub", BinaryKind.Mul => "mul", _ => "div" });
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outShape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var y = TensorScope.Output(ShapeUtil.Numel(outShape));
        var plan = Broadcast.Create(outShape, a.Shape, b.Shape);
        var fwd = new BinaryForward(plan, kind, a.Data, b.Data, y);
        plan.ForEachRow(ref fwd);

        return Autograd.Record(new Tensor(y, outShape), [a, b], g =>
        {
            bool aFull = a.Numel == g.Length, needA = a.RequiresGrad, needB = b.RequiresGrad;
            if (needB)
            {
                // d/db: add g, sub -g, mul g a, div -g y / b, summed to b's shape
                var gb = TensorPool.RentZeroed(b.Numel);
                var bwd = new BinaryGradB(plan, kind, g, a.Data, b.Data, y, gb);
                plan.ForEachRow(ref bwd);
                b.AccumulateGrad(gb, owned: true);
            }

            if (!needA)
            {
                return;
            }

            if (kind is BinaryKind.Add or BinaryKind.Sub && aFull)
            {
                a.AccumulateGrad(g, owned: true);
                return;
            }

            // d/da: g (add, sub), g b (mul), g / b (div), summed to a's shape
            var ga = aFull ? TensorPool.Rent(a.Numel) : TensorPool.RentZeroed(a.Numel);
            var gradA = new BinaryGradA(plan, kind, g, b.Data, ga, aFull);
            plan.ForEachRow(ref gradA);
            a.AccumulateGrad(ga, owned: true);
        });
    }

    private readonly struct BinaryForward(Broadcast plan, BinaryKind kind, float[] a, float[] b, float[] y) : Broadcast.IRowOp
    {
        public void Row(int row, int aOffset, int bOffset)
        {
            int n = plan.Inner;
            var dst = y.AsSpan(row * n, n);
            if (plan.InnerA == 1 && plan.InnerB == 1)
            {
                var x = a.AsSpan(aOffset, n);
                var z = b.AsSpan(bOffset, n);
                switch (kind)
                {
                    case BinaryKind.Add: TensorPrimitives.Add(x, z, dst); break;
                    case BinaryKind.Sub: TensorPrimitives.Subtract(x, z, dst); break;
                    case BinaryKind.Mul: TensorPrimitives.Multiply(x, z, dst); break;
                    default: TensorPrimitives.Divide(x, z, dst); break;
                }
            }
            else if (plan.InnerA == 1)
            {
                var x = a.AsSpan(aOffset, n);
                float z = b[bOffset];
                switch (kind)
                {
                    case BinaryKind.Add: TensorPrimitives.Add(x, z, dst); break;
                    case BinaryKind.Sub: TensorPrimitives.Subtract(x, z, dst); break;
                    case BinaryKind.Mul: TensorPrimitives.Multiply(x, z, dst); break;
                    default: TensorPrimitives.Divide(x, z, dst); break;
                }
            }
            else if (plan.InnerB == 1)
            {
                float x = a[aOffset];
                var z = b.AsSpan(bOffset, n);
                switch (kind)
                {
                    case BinaryKind.Add: TensorPrimitives.Add(z, x, dst); break;
                    case BinaryKind.Sub: TensorPrimitives.Subtract(x, z, dst); break;
                    case BinaryKind.Mul: TensorPrimitives.Multiply(z, x, dst); break;
                    default: TensorPrimitives.Divide(x, z, dst); break;
                }
            }
            else
            {
                float x = a[aOffset], z = b[bOffset];
                dst.Fill(kind switch { BinaryKind.Add => x + z, BinaryKind.Sub => x - z, BinaryKind.Mul => x * z, _ => x / z });
            }
        }
    }

    // ga (a's shape) = g, g b or g / b per element, added up where a was broadcast (zeroed then) or written (a full)
    private readonly struct BinaryGradA(Broadcast plan, BinaryKind kind, float[] g, float[] b, float[] ga, bool full) : Broadcast.IRowOp
    {
        public void Row(int row, int aOffset, int bOffset)
        {
            int n = plan.Inner;
            var gr = g.AsSpan(row * n, n);
            if (plan.InnerA == 0)
            {
                // a repeated along the row: its gradient is the row's sum
                float s = kind switch
                {
                    BinaryKind.Add or BinaryKind.Sub => TensorPrimitives.Sum(gr),
                    BinaryKind.Mul => plan.InnerB == 1 ? TensorPrimitives.Dot(gr, b.AsSpan(bOffset, n)) : TensorPrimitives.Sum(gr) * b[bOffset],
                    _ => plan.InnerB == 1 ? DivSum(gr, b.AsSpan(bOffset, n)) : TensorPrimitives.Sum(gr) / b[bOffset],
                };
                ga[aOffset] += s;
                return;
            }

            var dst = ga.AsSpan(aOffset, n);
            if (kind is BinaryKind.Add or BinaryKind.Sub)
            {
                if (full)
                {
                    gr.CopyTo(dst);
                }
                else
                {
                    TensorPrimitives.Add(dst, gr, dst);
                }

                return;
            }

            if (full)
            {
                if (plan.InnerB == 1)
                {
                    if (kind == BinaryKind.Mul)
                    {
                        TensorPrimitives.Multiply(gr, b.AsSpan(bOffset, n), dst);
                    }
                    else
                    {
                        TensorPrimitives.Divide(gr, b.AsSpan(bOffset, n), dst);
                    }
                }
                else if (kind == BinaryKind.Mul)
                {
                    TensorPrimitives.Multiply(gr, b[bOffset], dst);
                }
                else
                {
                    TensorPrimitives.Divide(gr, b[bOffset], dst);
                }

                return;
            }

            for (int i = 0; i < n; i++)
            {
                float bv = b[bOffset + (i * plan.InnerB)];
                dst[i] += kind == BinaryKind.Mul ? gr[i] * bv : gr[i] / bv;
            }
        }

        private static float DivSum(ReadOnlySpan<float> g, ReadOnlySpan<float> b)
        {
            float s = 0;
            for (int i = 0; i < g.Length; i++)
            {
                s += g[i] / b[i];
            }

            return s;
        }
    }

    // gb (b's shape, zeroed) += g, -g, g a or -g y / b, summed where b was broadcast
    private readonly struct BinaryGradB(Broadcast plan, BinaryKind kind, float[] g, float[] a, float[] b, float[] y, float[] gb) : Broadcast.IRowOp
    {
        public void Row(int row, int aOffset, int bOffset)
        {
            int n = plan.Inner, o = row * n;
            var gr = g.AsSpan(o, n);
            if (plan.InnerB == 0)
            {
                float s;
                switch (kind)
                {
                    case BinaryKind.Add: s = TensorPrimitives.Sum(gr); break;
                    case BinaryKind.Sub: s = -TensorPrimitives.Sum(gr); break;
                    case BinaryKind.Mul: s = plan.InnerA == 1 ? TensorPrimitives.Dot(gr, a.AsSpan(aOffset, n)) : TensorPrimitives.Sum(gr) * a[aOffset]; break;
                    default:
                        // -g y / b with one b for the row: -(sum g y) / b
                        s = -(TensorPrimitives.Dot(gr, y.AsSpan(o, n)) / b[bOffset]);
                        break;
                }

                gb[bOffset] += s;
                return;
            }

            var dst = gb.AsSpan(bOffset, n);
            switch (kind)
            {
                case BinaryKind.Add:
                    TensorPrimitives.Add(dst, gr, dst);
                    break;
                case BinaryKind.Sub:
                    TensorPrimitives.Subtract(dst, gr, dst);
                    break;
                case BinaryKind.Mul:
                    if (plan.InnerA == 1)
                    {
                        TensorPrimitives.MultiplyAdd(gr, a.AsSpan(aOffset, n), dst, dst);
                    }
                    else
                    {
                        TensorPrimitives.MultiplyAdd(gr, a[aOffset], dst, dst);
                    }

                    break;
                default:
                    for (int i = 0; i < n; i++)
                    {
                        dst[i] -= gr[i] * y[o + i] / b[bOffset + i];
                    }

                    break;
            }
        }
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

    // backward turns the output gradient g into the input gradient in place (the closure owns g) and hands it on
    private static Tensor Unary(string name, Tensor a, Action<float[], float[]> forward, Action<float[], float[], float[]> backward)
    {
        using var op = Profiler.Op(name);
        ArgumentNullException.ThrowIfNull(a);
        var y = TensorScope.Output(a.Numel);
        forward(a.Data, y);
        return Autograd.Record(new Tensor(y, a.Shape), [a], g =>
        {
            backward(g, a.Data, y);
            a.AccumulateGrad(g, owned: true);
        });
    }

    /// <summary>e^x.</summary>
    public static Tensor Exp(Tensor a) => Unary("exp", a, (x, y) => TensorPrimitives.Exp(x, y), (g, x, y) => TensorPrimitives.Multiply(g, y, g));

    /// <summary>
    /// e^x - 1, accurate where x is near 0 (where e^x - 1 in float loses every digit to cancellation): computed in
    /// double with Kahan's correction (e^x - 1) x / log(e^x), then rounded once to float. Gradient e^x.
    /// </summary>
    public static Tensor Expm1(Tensor a) => Unary("expm1", a, (x, y) =>
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = (float)Expm1(x[i]);
        }
    }, (g, x, y) =>
    {
        for (int i = 0; i < g.Length; i++)
        {
            g[i] = g[i] * (y[i] + 1);
        }
    });

    private static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0)
        {
            return x;
        }

        double um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : double.IsInfinity(u) ? u : um1 * x / Math.Log(u);
    }

    /// <summary>Natural logarithm.</summary>
    public static Tensor Log(Tensor a) => Unary("log", a, (x, y) => TensorPrimitives.Log(x, y), (g, x, y) => TensorPrimitives.Divide(g, x, g));

    /// <summary>Square root.</summary>
    public static Tensor Sqrt(Tensor a) => Unary("sqrt", a, (x, y) => TensorPrimitives.Sqrt(x, y), (g, x, y) =>
    {
        // d sqrt(x) = 1 / (2 sqrt(x))
        TensorPrimitives.Divide(g, y, g);
        TensorPrimitives.Multiply(g, 0.5f, g);
    });

    /// <summary>x^p for a constant p.</summary>
    public static Tensor Pow(Tensor a, float p) => Unary("pow", a, (x, y) => TensorPrimitives.Pow(x, p, y), (g, x, y) =>
    {
        for (int i = 0; i < g.Length; i++)
        {
            g[i] = g[i] * p * MathF.Pow(x[i], p - 1);
        }
    });

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor a) => Unary("tanh", a, (x, y) => TensorPrimitives.Tanh(x, y), (g, x, y) =>
    {
        for (int i = 0; i < g.Length; i++)
        {
            g[i] *= 1 - (y[i] * y[i]);
        }
    });

    /// <summary>Logistic sigmoid.</summary>
    public static Tensor Sigmoid(Tensor a) => Unary("sigmoid", a, (x, y) => TensorPrimitives.Sigmoid(x, y), (g, x, y) =>
    {
        for (int i = 0; i < g.Length; i++)
        {
            g[i] = g[i] * y[i] * (1 - y[i]);
        }
    });

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor a) => Unary("relu", a, (x, y) => TensorPrimitives.Max(x, 0f, y), (g, x, y) =>
    {
        for (int i = 0; i < g.Length; i++)
        {
            g[i] = x[i] > 0 ? g[i] : 0f;
        }
    });

    /// <summary>SiLU (swish): x * sigmoid(x) (Elfwing et al. 2018).</summary>
    public static Tensor Silu(Tensor a) => Unary("silu", a, Kernels.SiluForward, Kernels.SiluBackward);

    /// <summary>GELU (Hendrycks and Gimpel 2016): exact x * Phi(x), or the tanh approximation.</summary>
    public static Tensor Gelu(Tensor a, bool approximateTanh = false) => approximateTanh
        ? Unary("gelu", a, Kernels.GeluTanhForward, Kernels.GeluTanhBackward)
        : Unary("gelu", a, Kernels.GeluForward, Kernels.GeluBackward);

    /// <summary>log(sigmoid(x)) computed stably as min(x, 0) - log1p(exp(-|x|)).</summary>
    public static Tensor LogSigmoid(Tensor a) => Unary("log sigmoid", a, Kernels.LogSigmoidForward, (g, x, y) =>
    {
        // d/dx log sigmoid(x) = sigmoid(-x)
        for (int i = 0; i < g.Length; i++)
        {
            g[i] /= 1f + MathF.Exp(x[i]);
        }
    });

    /// <summary>Absolute value (gradient sign(x), 0 at 0).</summary>
    public static Tensor Abs(Tensor a) => Unary("abs", a, (x, y) => TensorPrimitives.Abs(x, y), (g, x, y) =>
    {
        for (int i = 0; i < g.Length; i++)
        {
            g[i] *= MathF.Sign(x[i]);
        }
    });

    private static Tensor Compare(Tensor a, Tensor b, Func<float, float, bool> pred)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outShape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var ad = Expand(a.Data, a.Shape, outShape);
        var bd = Expand(b.Data, b.Shape, outShape);
        var y = TensorScope.Output(ad.Length);
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
        using var op = Profiler.Op("where");
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outShape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition.Shape, a.Shape), b.Shape);
        var c = Expand(condition.Data, condition.Shape, outShape);
        var ad = Expand(a.Data, a.Shape, outShape);
        var bd = Expand(b.Data, b.Shape, outShape);
        var y = TensorScope.Output(c.Length);
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = c[i] != 0 ? ad[i] : bd[i];
        }

        return Autograd.Record(new Tensor(y, outShape), [a, b], g =>
        {
            var ga = TensorPool.RentZeroed(g.Length);
            var gb = TensorPool.RentZeroed(g.Length);
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

            a.AccumulateGrad(SumTo(ga, outShape, a.Shape), owned: true);
            b.AccumulateGrad(SumTo(gb, outShape, b.Shape), owned: true);
        });
    }

    /// <summary>Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p); identity when not training.</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Generator generator)
    {
        using var op = Profiler.Op("dropout");
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(generator);
        if (!training || p == 0f)
        {
            return x;
        }

        var maskData = TensorScope.Output(x.Numel);
        float keep = 1f / (1f - p);
        for (int i = 0; i < maskData.Length; i++)
        {
            maskData[i] = generator.NextFloat() >= p ? keep : 0f;
        }

        return Mul(x, new Tensor(maskData, x.Shape));
    }
}
