namespace Pluralist.Tensors;

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
            output.GradFn = new Node(inputs, backward, Profiler.Current);
        }

        return output;
    }
}
