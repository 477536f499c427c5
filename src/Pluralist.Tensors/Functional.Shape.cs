using System.Numerics.Tensors;

namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>Same data with a new shape (one dimension may be -1); shares storage.</summary>
    public static Tensor Reshape(Tensor a, params int[] shape)
    {
        using var op = Profiler.Op("reshape");
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(shape);
        var s = (int[])shape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            int known = 1;
            for (int i = 0; i < s.Length; i++)
            {
                if (i != infer)
                {
                    known *= s[i];
                }
            }

            s[infer] = known == 0 ? 0 : a.Numel / known;
        }

        if (ShapeUtil.Numel(s) != a.Numel)
        {
            Throw.Argument($"cannot reshape [{string.Join(", ", a.Shape)}] to [{string.Join(", ", shape)}]");
        }

        return Autograd.Record(new Tensor(a.Data, s), [a], g => a.AccumulateGrad(g, owned: true));
    }

    /// <summary>Flattens dimensions start..end into one.</summary>
    public static Tensor Flatten(Tensor a, int start = 0, int end = -1)
    {
        ArgumentNullException.ThrowIfNull(a);
        int s = ShapeUtil.Axis(start, a.Rank), e = ShapeUtil.Axis(end, a.Rank);
        var shape = new List<int>();
        int m = 1;
        for (int i = 0; i < a.Rank; i++)
        {
            if (i < s || i > e)
            {
                shape.Add(a.Shape[i]);
            }
            else
            {
                m *= a.Shape[i];
                if (i == e)
                {
                    shape.Add(m);
                }
            }
        }

        return Reshape(a, [.. shape]);
    }

    /// <summary>Inserts a dimension of size 1.</summary>
    public static Tensor Unsqueeze(Tensor a, int dim)
    {
        ArgumentNullException.ThrowIfNull(a);
        var s = a.Shape.ToList();
        s.Insert(dim < 0 ? dim + a.Rank + 1 : dim, 1);
        return Reshape(a, [.. s]);
    }

    /// <summary>Reorders dimensions (contiguous copy): out.Shape[i] = a.Shape[dims[i]].</summary>
    public static Tensor Permute(Tensor a, params int[] dims)
    {
        using var op = Profiler.Op("permute");
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != a.Rank)
        {
            Throw.Argument("permute needs one entry per dimension");
        }

        var d = dims.Select(x => ShapeUtil.Axis(x, a.Rank)).ToArray();
        var outShape = d.Select(x => a.Shape[x]).ToArray();
        var inStrides = ShapeUtil.Strides(a.Shape);
        var perm = d.Select(x => inStrides[x]).ToArray();
        var y = TensorScope.Output(a.Numel);
        PermuteKernel.Copy(a.Data, y, outShape, perm);
        var inverse = new int[d.Length];
        for (int i = 0; i < d.Length; i++)
        {
            inverse[d[i]] = i;
        }

        return Autograd.Record(new Tensor(y, outShape), [a], g =>
        {
            var gs = ShapeUtil.Strides(outShape);
            var ga = TensorPool.Rent(g.Length);
            PermuteKernel.Copy(g, ga, a.Shape, inverse.Select(x => gs[x]).ToArray());
            a.AccumulateGrad(ga, owned: true);
        });
    }

    /// <summary>Swaps two dimensions (contiguous copy).</summary>
    public static Tensor Transpose(Tensor a, int dim0, int dim1)
    {
        ArgumentNullException.ThrowIfNull(a);
        var d = Enumerable.Range(0, a.Rank).ToArray();
        int x = ShapeUtil.Axis(dim0, a.Rank), y = ShapeUtil.Axis(dim1, a.Rank);
        (d[x], d[y]) = (d[y], d[x]);
        return Permute(a, d);
    }

    /// <summary>Elements start..start+length-1 along dim (contiguous copy).</summary>
    public static Tensor Slice(Tensor a, int dim, int start, int length)
    {
        using var op = Profiler.Op("slice");
        ArgumentNullException.ThrowIfNull(a);
        int ax = ShapeUtil.Axis(dim, a.Rank);
        var (outer, n, inner) = ShapeUtil.Split(a.Shape, ax);
        if (start < 0 || length < 0 || start + length > n)
        {
            Throw.Argument("slice out of range");
        }

        var shape = (int[])a.Shape.Clone();
        shape[ax] = length;
        var y = TensorScope.Output(outer * length * inner);
        for (int o = 0; o < outer; o++)
        {
            Array.Copy(a.Data, ((o * n) + start) * inner, y, o * length * inner, length * inner);
        }

        // backward adds g straight into its region of a's gradient (the chunks of one tensor fill one buffer)
        return Autograd.Record(new Tensor(y, shape), [a], g => a.AccumulateGradRows(g, outer, length * inner, length * inner, n * inner, start * inner));
    }

    /// <summary>Splits into <paramref name="chunks"/> equal parts along dim (the last may be smaller).</summary>
    public static Tensor[] Chunk(Tensor a, int chunks, int dim)
    {
        ArgumentNullException.ThrowIfNull(a);
        int n = a.Size(dim);
        int size = (n + chunks - 1) / chunks;
        var parts = new List<Tensor>();
        for (int s = 0; s < n; s += size)
        {
            parts.Add(Slice(a, dim, s, Math.Min(size, n - s)));
        }

        return [.. parts];
    }

    /// <summary>Concatenates along dim; other dimensions must match.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim)
    {
        using var op = Profiler.Op("cat");
        ArgumentNullException.ThrowIfNull(tensors);
        var first = tensors[0];
        int ax = ShapeUtil.Axis(dim, first.Rank);
        var (outer, _, inner) = ShapeUtil.Split(first.Shape, ax);
        int total = 0;
        foreach (var t in tensors)
        {
            if (t.Rank != first.Rank)
            {
                Throw.Argument("cat needs equal ranks");
            }

            for (int i = 0; i < t.Rank; i++)
            {
                if (i != ax && t.Shape[i] != first.Shape[i])
                {
                    Throw.Argument("cat needs equal sizes off the joined dimension");
                }
            }

            total += t.Shape[ax];
        }

        var shape = (int[])first.Shape.Clone();
        shape[ax] = total;
        var y = TensorScope.Output(outer * total * inner);
        int at = 0;
        var starts = new int[tensors.Count];
        for (int k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            int len = t.Shape[ax] * inner;
            starts[k] = at;
            for (int o = 0; o < outer; o++)
            {
                Array.Copy(t.Data, o * len, y, (o * total * inner) + at, len);
            }

            at += len;
        }

        var inputs = tensors.ToArray();
        return Autograd.Record(new Tensor(y, shape), inputs, g =>
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                var t = inputs[k];
                if (!t.RequiresGrad)
                {
                    continue;
                }

                int len = t.Shape[ax] * inner;
                var gt = TensorPool.Rent(t.Numel);
                for (int o = 0; o < outer; o++)
                {
                    Array.Copy(g, (o * total * inner) + starts[k], gt, o * len, len);
                }

                t.AccumulateGrad(gt, owned: true);
            }
        });
    }

    /// <summary>Stacks equal-shaped tensors along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return Cat(tensors.Select(t => Unsqueeze(t, dim)).ToArray(), dim);
    }

    /// <summary>Selects entries <paramref name="index"/> along dim (PyTorch <c>index_select</c>).</summary>
    public static Tensor IndexSelect(Tensor a, int dim, int[] index)
    {
        using var op = Profiler.Op("index select");
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(index);
        int ax = ShapeUtil.Axis(dim, a.Rank);
        var (outer, n, inner) = ShapeUtil.Split(a.Shape, ax);
        foreach (var i in index)
        {
            if ((uint)i >= (uint)n)
            {
                Throw.Argument("index out of range");
            }
        }

        var shape = (int[])a.Shape.Clone();
        shape[ax] = index.Length;
        var y = TensorScope.Output(outer * index.Length * inner);
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < index.Length; j++)
            {
                Array.Copy(a.Data, ((o * n) + index[j]) * inner, y, ((o * index.Length) + j) * inner, inner);
            }
        }

        return Autograd.Record(new Tensor(y, shape), [a], g =>
        {
            var ga = TensorPool.RentZeroed(a.Numel);
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < index.Length; j++)
                {
                    var dst = ga.AsSpan(((o * n) + index[j]) * inner, inner);
                    TensorPrimitives.Add(dst, g.AsSpan(((o * index.Length) + j) * inner, inner), dst);
                }
            }

            a.AccumulateGrad(ga, owned: true);
        });
    }

    /// <summary>
    /// out[..., j, ...] = a[..., index[..., j, ...], ...] along dim (PyTorch <c>gather</c>); index has a's shape
    /// except along dim, given flat in row-major order with that dim's size <paramref name="count"/>.
    /// </summary>
    public static Tensor Gather(Tensor a, int dim, int[] index, int count)
    {
        using var op = Profiler.Op("gather");
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(index);
        int ax = ShapeUtil.Axis(dim, a.Rank);
        var (outer, n, inner) = ShapeUtil.Split(a.Shape, ax);
        if (index.Length != outer * count * inner)
        {
            Throw.Argument("gather index size mismatch");
        }

        var shape = (int[])a.Shape.Clone();
        shape[ax] = count;
        var y = TensorScope.Output(index.Length);
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < count; j++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int at = (((o * count) + j) * inner) + i;
                    int src = index[at];
                    if ((uint)src >= (uint)n)
                    {
                        Throw.Argument("gather index out of range");
                    }

                    y[at] = a.Data[(((o * n) + src) * inner) + i];
                }
            }
        }

        return Autograd.Record(new Tensor(y, shape), [a], g =>
        {
            var ga = TensorPool.RentZeroed(a.Numel);
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < count; j++)
                {
                    for (int i = 0; i < inner; i++)
                    {
                        int at = (((o * count) + j) * inner) + i;
                        ga[(((o * n) + index[at]) * inner) + i] += g[at];
                    }
                }
            }

            a.AccumulateGrad(ga, owned: true);
        });
    }

    /// <summary>Materialised broadcast to a larger shape.</summary>
    public static Tensor Expand(Tensor a, params int[] shape)
    {
        using var op = Profiler.Op("expand");
        ArgumentNullException.ThrowIfNull(a);
        var outShape = ShapeUtil.Broadcast(a.Shape, shape);
        var y = Expand(a.Data, a.Shape, outShape);
        if (ReferenceEquals(y, a.Data))
        {
            y = (float[])y.Clone();
        }

        return Autograd.Record(new Tensor(y, outShape), [a], g => a.AccumulateGrad(SumTo(g, outShape, a.Shape), owned: true));
    }

    /// <summary>Sum of all elements (scalar tensor of shape [1]).</summary>
    public static Tensor Sum(Tensor a)
    {
        using var op = Profiler.Op("sum");
        ArgumentNullException.ThrowIfNull(a);
        double s = 0;
        foreach (var v in a.Data)
        {
            s += v;
        }

        return Autograd.Record(new Tensor([(float)s], 1), [a], g =>
        {
            var ga = TensorPool.RentZeroed(a.Numel);
            Array.Fill(ga, g[0]);
            a.AccumulateGrad(ga, owned: true);
        });
    }

    /// <summary>Mean of all elements.</summary>
    public static Tensor Mean(Tensor a) => Mul(Sum(a), 1f / a.Numel);

    /// <summary>Sum over one dimension.</summary>
    public static Tensor Sum(Tensor a, int dim, bool keepDim = false) => Reduce(a, dim, keepDim, 1f);

    /// <summary>Mean over one dimension.</summary>
    public static Tensor Mean(Tensor a, int dim, bool keepDim = false) => Reduce(a, dim, keepDim, 1f / a.Size(dim));

    private static int[] ReducedShape(int[] shape, int ax, bool keepDim)
    {
        var s = shape.ToList();
        if (keepDim)
        {
            s[ax] = 1;
        }
        else
        {
            s.RemoveAt(ax);
        }

        return [.. s];
    }

    private static Tensor Reduce(Tensor a, int dim, bool keepDim, float scale)
    {
        using var op = Profiler.Op("sum/mean (dim)");
        ArgumentNullException.ThrowIfNull(a);
        int ax = ShapeUtil.Axis(dim, a.Rank);
        var (outer, n, inner) = ShapeUtil.Split(a.Shape, ax);
        var y = TensorScope.OutputZeroed(outer * inner);
        for (int o = 0; o < outer; o++)
        {
            var dst = y.AsSpan(o * inner, inner);
            for (int j = 0; j < n; j++)
            {
                TensorPrimitives.Add(dst, a.Data.AsSpan(((o * n) + j) * inner, inner), dst);
            }

            TensorPrimitives.Multiply(dst, scale, dst);
        }

        return Autograd.Record(new Tensor(y, ReducedShape(a.Shape, ax, keepDim)), [a], g =>
        {
            var ga = TensorPool.RentZeroed(a.Numel);
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < n; j++)
                {
                    TensorPrimitives.Multiply(g.AsSpan(o * inner, inner), scale, ga.AsSpan(((o * n) + j) * inner, inner));
                }
            }

            a.AccumulateGrad(ga, owned: true);
        });
    }

    /// <summary>Maximum over one dimension (gradient goes to the first maximal entry).</summary>
    public static Tensor Max(Tensor a, int dim, bool keepDim = false)
    {
        using var op = Profiler.Op("max (dim)");
        ArgumentNullException.ThrowIfNull(a);
        int ax = ShapeUtil.Axis(dim, a.Rank);
        var (outer, n, inner) = ShapeUtil.Split(a.Shape, ax);
        var y = TensorScope.Output(outer * inner);
        var arg = new int[outer * inner];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                float bv = a.Data[(o * n * inner) + i];
                for (int j = 1; j < n; j++)
                {
                    float v = a.Data[(((o * n) + j) * inner) + i];
                    if (v > bv || float.IsNaN(v))
                    {
                        bv = v;
                        best = j;
                    }
                }

                y[(o * inner) + i] = bv;
                arg[(o * inner) + i] = best;
            }
        }

        return Autograd.Record(new Tensor(y, ReducedShape(a.Shape, ax, keepDim)), [a], g =>
        {
            var ga = TensorPool.RentZeroed(a.Numel);
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    ga[(((o * n) + arg[(o * inner) + i]) * inner) + i] = g[(o * inner) + i];
                }
            }

            a.AccumulateGrad(ga, owned: true);
        });
    }

    /// <summary>Variance over one dimension (unbiased by default, as PyTorch).</summary>
    public static Tensor Var(Tensor a, int dim, bool unbiased = true, bool keepDim = false)
    {
        using var op = Profiler.Op("var");
        ArgumentNullException.ThrowIfNull(a);
        int n = a.Size(dim);
        var centred = Sub(a, Mean(a, dim, keepDim: true));
        return Mul(Sum(Mul(centred, centred), dim, keepDim), 1f / (unbiased ? n - 1 : n));
    }
}
