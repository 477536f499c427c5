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
        var seed = gradient is null ? [1f] : gradient.ToArray();
        AccumulateGrad(seed);
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
            if (g is not null)
            {
                fn.Backward(g);
            }
        }
    }

    internal void AccumulateGrad(float[] g) => AccumulateGrad(g, owned: false);

    /// <summary>
    /// Adds g to this tensor's gradient. <paramref name="owned"/>: the caller hands g over (a fresh array it never
    /// touches again), so a first gradient is kept as it is instead of copied (saves a large allocation and copy per
    /// backward, e.g. a convolution's input gradient).
    /// </summary>
    internal void AccumulateGrad(float[] g, bool owned)
    {
        if (!RequiresGrad)
        {
            return;
        }

        if (GradFn is null)
        {
            if (Grad is null)
            {
                Grad = new Tensor(owned ? g : (float[])g.Clone(), Shape);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Add(Grad.Data, g, Grad.Data);
            }
        }
        else if (_gradAcc is null)
        {
            _gradAcc = owned ? g : (float[])g.Clone();
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.Add(_gradAcc, g, _gradAcc);
        }
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

/// <summary>A trainable tensor owned by a <see cref="Module"/>; it requires gradients unless frozen.</summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps data as a parameter of the given shape.</summary>
    public Parameter(float[] data, params int[] shape)
        : base(data, shape) => RequiresGrad = true;

    /// <summary>A parameter holding a copy of <paramref name="t"/>.</summary>
    public Parameter(Tensor t)
        : this(t?.ToArray() ?? throw new ArgumentNullException(nameof(t)), t.Shape)
    {
    }
}

/// <summary>One recorded operation: its inputs and a closure that turns the output gradient into input gradients.</summary>
internal sealed class Node(Tensor[] inputs, Action<float[]> backward)
{
    public Tensor[] Inputs { get; } = inputs;

    public Action<float[]> Backward { get; } = backward;
}

/// <summary>Gradient recording switch (PyTorch <c>torch.no_grad()</c>).</summary>
public static class Autograd
{
    [ThreadStatic]
    private static int t_disabled;

    /// <summary>Whether operations are recorded on this thread.</summary>
    public static bool IsEnabled => t_disabled == 0;

    /// <summary>Disables recording on this thread until the returned scope is disposed.</summary>
    public static NoGradScope NoGrad()
    {
        t_disabled++;
        return default;
    }

    /// <summary>Scope returned by <see cref="NoGrad"/>.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        /// <summary>Re-enables recording.</summary>
        public void Dispose() => t_disabled--;
    }

    internal static bool Needs(params Tensor[] inputs)
    {
        if (!IsEnabled)
        {
            return false;
        }

        foreach (var t in inputs)
        {
            if (t.RequiresGrad)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Marks <paramref name="output"/> as produced by an operation on <paramref name="inputs"/> when any needs grad.</summary>
    internal static Tensor Record(Tensor output, Tensor[] inputs, Action<float[]> backward)
    {
        if (Needs(inputs))
        {
            output.RequiresGrad = true;
            output.GradFn = new Node(inputs, backward);
        }

        return output;
    }
}

internal static class Throw
{
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Argument(string message) => throw new ArgumentException(message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);
}

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
