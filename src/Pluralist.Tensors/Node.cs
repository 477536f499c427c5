namespace Pluralist.Tensors;

/// <summary>One recorded operation: its inputs and a closure that turns the output gradient into input gradients.</summary>
internal sealed class Node(Tensor[] inputs, Action<float[]> backward, string? name)
{
    /// <summary>The operation that recorded the node (for <see cref="Profiler"/>; null when not profiling).</summary>
    public string? Name { get; } = name;

    public Tensor[] Inputs { get; } = inputs;

    public Action<float[]> Backward { get; } = backward;
}
