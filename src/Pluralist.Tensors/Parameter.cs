namespace Pluralist.Tensors;

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
