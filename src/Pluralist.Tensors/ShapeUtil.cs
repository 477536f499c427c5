namespace Pluralist.Tensors;

internal static class ShapeUtil
{
    public static int Numel(int[] shape)
    {
        long n = 1;
        foreach (var s in shape)
        {
            if (s < 0)
            {
                Throw.Argument("negative dimension");
            }

            n *= s;
        }

        if (n > int.MaxValue)
        {
            Throw.Argument("tensor too large");
        }

        return (int)n;
    }

    public static int Axis(int dim, int rank)
    {
        int a = dim < 0 ? dim + rank : dim;
        if (a < 0 || a >= rank)
        {
            Throw.Argument($"dimension {dim} out of range for rank {rank}");
        }

        return a;
    }

    public static int Offset(int[] shape, int[] index)
    {
        if (index.Length != shape.Length)
        {
            Throw.Argument("index rank mismatch");
        }

        int off = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i])
            {
                Throw.Argument("index out of range");
            }

            off = (off * shape[i]) + index[i];
        }

        return off;
    }

    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }

        return s;
    }

    /// <summary>(outer, n, inner) sizes around axis.</summary>
    public static (int Outer, int N, int Inner) Split(int[] shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
        {
            outer *= shape[i];
        }

        for (int i = axis + 1; i < shape.Length; i++)
        {
            inner *= shape[i];
        }

        return (outer, shape[axis], inner);
    }

    public static int[] Broadcast(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                Throw.Argument($"shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast");
            }

            o[i] = da == 1 ? db : da;
        }

        return o;
    }

    /// <summary>Strides of <paramref name="shape"/> expanded to <paramref name="outShape"/> (0 where broadcast).</summary>
    public static int[] BroadcastStrides(int[] shape, int[] outShape)
    {
        var st = Strides(shape);
        var o = new int[outShape.Length];
        int off = outShape.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
        {
            o[i + off] = shape[i] == 1 ? 0 : st[i];
        }

        return o;
    }

    public static bool SameShape(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);
}
