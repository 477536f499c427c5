namespace Pluralist.Tensors;

/// <summary>
/// A dense, row-major, contiguous float32 tensor with optional reverse-mode gradient tracking.
/// Views that keep the element order (<see cref="Reshape"/>) share storage; views that reorder
/// elements (transpose, permute, slice) are explicit contiguous copies that still carry gradients.
/// </summary>
public class Tensor
{
    private float[]? _gradAcc;

    /// <summary>Creates a tensor over <paramref name="data"/> (not copied) with the given shape.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        Shape = (int[])shape.Clone();
        Numel = ShapeUtil.Numel(Shape);
        if (data.Length != Numel)
        {
            Throw.Argument($"data has {data.Length} elements, shape [{string.Join(", ", shape)}] needs {Numel}");
        }

        Data = data;
    }

    /// <summary>Row-major storage; its length is <see cref="Numel"/>.</summary>
    public float[] Data { get; private set; }

    /// <summary>Sizes of each dimension.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Numel { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Whether operations on this tensor are recorded for <see cref="Backward(Tensor?)"/>.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Accumulated gradient of a leaf tensor after <see cref="Backward(Tensor?)"/>; null before.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True for tensors not produced by a recorded operation.</summary>
    public bool IsLeaf => GradFn is null;

    internal Node? GradFn { get; set; }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[ShapeUtil.Axis(dim, Rank)];

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1)
        {
            Throw.Argument($"Item needs one element, tensor has {Numel}");
        }

        return Data[0];
    }

    /// <summary>Element at a multi-dimensional index.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Data[ShapeUtil.Offset(Shape, index)];
        set => Data[ShapeUtil.Offset(Shape, index)] = value;
    }

    /// <summary>A copy of the data.</summary>
    public float[] ToArray() => (float[])Data.Clone();

    /// <summary>A new tensor sharing the data but cut from the graph (PyTorch <c>detach</c>).</summary>
    public Tensor Detach() => new(Data, Shape);

    /// <summary>A deep copy without gradient history.</summary>
    public Tensor Clone() => new(ToArray(), Shape);

    /// <summary>Replaces the storage in place (used by optimisers and state loading); shapes must match.</summary>
    public void CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Numel != Numel)
        {
            Throw.Argument($"CopyFrom: {source.Numel} elements into {Numel}");
        }

        Array.Copy(source.Data, Data, Numel);
    }

    /// <summary>Sets the gradient to null (PyTorch <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>Same data viewed with a new shape; one dimension may be -1.</summary>
    public Tensor Reshape(params int[] shape) => Functional.Reshape(this, shape);

    /// <summary>Shape as text, e.g. <c>[2, 3]</c>.</summary>
    public override string ToString() => $"Tensor[{string.Join(", ", Shape)}]";

    /// <summary>
    /// Reverse-mode differentiation from this tensor. With no <paramref name="gradient"/> the
    /// tensor must hold one element (gradient 1). Leaf tensors that require gradients get them
    /// added to <see cref="Grad"/>; the recorded graph and intermediate gradients are freed.
    /// </summary>
    public void Backward(Tensor? gradient = null)
    {
        if (gradient is null && Numel != 1)
        {
            Throw.Argument("Backward without a gradient needs a scalar tensor");
        }

        if (gradient is not null && gradient.Numel != Numel)
        {
            Throw.Argument("Backward gradient must have the tensor's shape");
        }

        if (!RequiresGrad)
        {
            Throw.InvalidOperation("tensor does not require grad");
        }

        var order = TopologicalOrder();
        var seed = gradient is null ? [1f] : Copy(gradient.Data);
        AccumulateGrad(seed, owned: true);
        var running = t_running;
        try
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var t = order[i];
                if (t.GradFn is null)
                {
                    continue;
                }

                var g = t._gradAcc;
                t._gradAcc = null;
                var fn = t.GradFn;
                t.GradFn = null;
                if (g is null)
                {
                    continue;
                }

                // The closure owns g: it may hand it to one input (owned: true) once it has read it; otherwise g is
                // dead when the closure returns and goes back to the pool.
                t_running = g;
                t_kept = false;
                using (Profiler.Backward(fn.Name))
                {
                    fn.Backward(g);
                }

                if (!t_kept)
                {
                    TensorPool.Return(g);
                }
            }
        }
        finally
        {
            t_running = running;
        }
    }

    [ThreadStatic]
    private static float[]? t_running;

    [ThreadStatic]
    private static bool t_kept;

    internal void AccumulateGrad(float[] g) => AccumulateGrad(g, owned: false);

    /// <summary>
    /// Adds g to this tensor's gradient. <paramref name="owned"/>: the caller hands g over (a fresh array, or the
    /// gradient its backward closure received, which it never touches again), so a first gradient is kept as it is
    /// instead of copied, and a later one goes back to the <see cref="TensorPool"/> once added. Not owned: g is copied
    /// or only read.
    /// </summary>
    internal void AccumulateGrad(float[] g, bool owned)
    {
        if (!RequiresGrad)
        {
            if (owned && !ReferenceEquals(g, t_running))
            {
                TensorPool.Return(g);
            }

            return;
        }

        float[]? acc = GradFn is null ? Grad?.Data : _gradAcc;
        if (acc is null)
        {
            if (owned && ReferenceEquals(g, t_running))
            {
                t_kept = true;
            }

            var kept = owned ? g : Copy(g);
            if (GradFn is null)
            {
                Grad = new Tensor(kept, Shape);
            }
            else
            {
                _gradAcc = kept;
            }

            return;
        }

        System.Numerics.Tensors.TensorPrimitives.Add(acc, g, acc);
        if (owned && !ReferenceEquals(g, t_running))
        {
            TensorPool.Return(g);
        }
    }

    /// <summary>
    /// Adds g's rows into a region of this tensor's gradient: row o (length <paramref name="length"/>, at o
    /// <paramref name="srcStride"/> in g) goes to o <paramref name="dstStride"/> + <paramref name="dstOffset"/>. The
    /// rest of a new gradient is zero. For slices: every chunk of a split adds into the same buffer.
    /// </summary>
    internal void AccumulateGradRows(float[] g, int rows, int length, int srcStride, int dstStride, int dstOffset)
    {
        if (!RequiresGrad)
        {
            return;
        }

        var acc = GradFn is null ? Grad?.Data : _gradAcc;
        bool fresh = acc is null;
        if (acc is null)
        {
            acc = TensorPool.RentZeroed(Numel);
            if (GradFn is null)
            {
                Grad = new Tensor(acc, Shape);
            }
            else
            {
                _gradAcc = acc;
            }
        }

        for (int o = 0; o < rows; o++)
        {
            var src = g.AsSpan(o * srcStride, length);
            var dst = acc.AsSpan((o * dstStride) + dstOffset, length);
            if (fresh)
            {
                src.CopyTo(dst);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
            }
        }
    }

    private static float[] Copy(float[] g)
    {
        var c = TensorPool.Rent(g.Length);
        g.AsSpan().CopyTo(c);
        return c;
    }

    private List<Tensor> TopologicalOrder()
    {
        var order = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor T, int Next)>();
        stack.Push((this, 0));
        seen.Add(this);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && seen.Add(child))
                {
                    stack.Push((child, 0));
                }
            }
            else
            {
                order.Add(t);
            }
        }

        return order;
    }
}
