namespace Pluralist.Tensors;

/// <summary>
/// Iteration plan for an element-wise operation of two operands broadcast to one output shape: dimensions of size 1
/// are dropped and neighbouring dimensions that both operands traverse in the same way are merged, leaving rows of
/// <see cref="Inner"/> output elements in which each operand is either contiguous (stride 1) or one repeated value
/// (stride 0). (B, C, H, W) + (B, C, 1, 1) becomes B C rows of H W elements against one value each; (B, N, D) + (D)
/// becomes B N rows against the same vector.
/// </summary>
internal sealed class Broadcast
{
    private readonly int[] _size;
    private readonly int[] _strideA;
    private readonly int[] _strideB;

    private Broadcast(int[] size, int[] strideA, int[] strideB, int inner, int innerA, int innerB)
    {
        _size = size;
        _strideA = strideA;
        _strideB = strideB;
        Inner = inner;
        InnerA = innerA;
        InnerB = innerB;
        Rows = 1;
        foreach (var s in size)
        {
            Rows *= s;
        }
    }

    /// <summary>Elements per row.</summary>
    public int Inner { get; }

    /// <summary>Stride of operand a along a row: 1 (contiguous) or 0 (one value).</summary>
    public int InnerA { get; }

    /// <summary>Stride of operand b along a row.</summary>
    public int InnerB { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Plan for a (shape <paramref name="a"/>) and b (shape <paramref name="b"/>) broadcast to <paramref name="output"/>.</summary>
    public static Broadcast Create(int[] output, int[] a, int[] b)
    {
        var sa = ShapeUtil.BroadcastStrides(a, output);
        var sb = ShapeUtil.BroadcastStrides(b, output);
        var size = new List<int>();
        var la = new List<int>();
        var lb = new List<int>();
        for (int i = 0; i < output.Length; i++)
        {
            if (output[i] == 1)
            {
                continue;
            }

            int n = size.Count - 1;
            // merge with the previous kept dimension when both operands continue their layout across the boundary
            if (n >= 0 && la[n] == sa[i] * output[i] && lb[n] == sb[i] * output[i])
            {
                size[n] *= output[i];
                la[n] = sa[i];
                lb[n] = sb[i];
                continue;
            }

            size.Add(output[i]);
            la.Add(sa[i]);
            lb.Add(sb[i]);
        }

        if (size.Count == 0)
        {
            return new Broadcast([], [], [], 1, 1, 1);
        }

        // the last dimension is the row; a stride other than 0 or 1 there (never produced by broadcasting, whose
        // innermost kept stride is 1 or 0) would need element-wise loops
        int last = size.Count - 1;
        return new Broadcast([.. size[..last]], [.. la[..last]], [.. lb[..last]], size[last], la[last], lb[last]);
    }

    /// <summary>Calls <c>op.Row(row, aOffset, bOffset)</c> for every row in order (output offset = row * Inner).</summary>
    public void ForEachRow<TOp>(ref TOp op)
        where TOp : struct, IRowOp
    {
        int rank = _size.Length;
        if (rank == 0)
        {
            op.Row(0, 0, 0);
            return;
        }

        Span<int> idx = stackalloc int[rank];
        int aOff = 0, bOff = 0;
        for (int row = 0; row < Rows; row++)
        {
            op.Row(row, aOff, bOff);
            for (int d = rank - 1; d >= 0; d--)
            {
                aOff += _strideA[d];
                bOff += _strideB[d];
                if (++idx[d] < _size[d])
                {
                    break;
                }

                aOff -= _strideA[d] * _size[d];
                bOff -= _strideB[d] * _size[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>One row of a broadcast loop.</summary>
    public interface IRowOp
    {
        void Row(int row, int aOffset, int bOffset);
    }
}
