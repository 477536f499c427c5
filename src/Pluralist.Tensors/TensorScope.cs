namespace Pluralist.Tensors;

/// <summary>
/// A scope whose operation outputs are recycled when it ends (TorchSharp's <c>NewDisposeScope</c>): while it is open on
/// a thread, every tensor an operation creates on that thread takes its storage from a pool of reusable arrays, and
/// <see cref="Dispose"/> hands all of it back. A training step run inside one reuses the same memory step after step
/// instead of asking the garbage collector (and, through it, the kernel's page faults) for a hundred fresh megabytes.
/// The contract: no tensor created inside the scope (nor its <see cref="Tensor.Data"/>, nor a graph through it) is used
/// after the scope ends, except those passed to <see cref="Keep"/>; read what you need (<see cref="Tensor.Item"/>,
/// <see cref="Tensor.Clone"/>) first. Parameters, their gradients, optimiser state and tensors built from your own
/// arrays are never touched. Scopes nest; an inner scope's kept tensors belong to the outer one.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic]
    private static TensorScope? t_current;

    private readonly TensorScope? _outer;
    private readonly HashSet<float[]> _arrays = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private TensorScope()
    {
        _outer = t_current;
        t_current = this;
    }

    /// <summary>Opens a scope on the calling thread.</summary>
    public static TensorScope Begin() => new();

    /// <summary>Exempts <paramref name="tensor"/>'s storage from recycling (it moves to the enclosing scope, if any).</summary>
    public T Keep<T>(T tensor)
        where T : Tensor
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_arrays.Remove(tensor.Data))
        {
            _outer?._arrays.Add(tensor.Data);
        }

        return tensor;
    }

    /// <summary>Returns the storage of every tensor created in the scope (and not kept) to the pool.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (t_current == this)
        {
            t_current = _outer;
        }

        foreach (var a in _arrays)
        {
            TensorPool.Return(a);
        }

        _arrays.Clear();
    }

    /// <summary>Storage for an operation's output with arbitrary contents (every element will be written).</summary>
    internal static float[] Output(int length)
    {
        var scope = t_current;
        if (scope is null)
        {
            return GC.AllocateUninitializedArray<float>(length);
        }

        var a = TensorPool.Rent(length);
        scope._arrays.Add(a);
        return a;
    }

    /// <summary>Storage for an operation's output, zeroed.</summary>
    internal static float[] OutputZeroed(int length)
    {
        var scope = t_current;
        if (scope is null)
        {
            return new float[length];
        }

        var a = TensorPool.RentZeroed(length);
        scope._arrays.Add(a);
        return a;
    }
}
