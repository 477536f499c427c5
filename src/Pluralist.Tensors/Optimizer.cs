namespace Pluralist.Tensors;

/// <summary>Base of optimisers: a parameter list, a learning rate, per-parameter state tensors and a step count.</summary>
public abstract class Optimizer
{
    /// <summary>Creates the optimiser over <paramref name="parameters"/>.</summary>
    protected Optimizer(IReadOnlyList<Parameter> parameters, float learningRate)
    {
        Params = parameters ?? throw new ArgumentNullException(nameof(parameters));
        LearningRate = learningRate;
    }

    /// <summary>Parameters updated by <see cref="Step"/>.</summary>
    public IReadOnlyList<Parameter> Params { get; }

    /// <summary>Current learning rate (a schedule may change it each step).</summary>
    public float LearningRate { get; set; }

    /// <summary>Number of steps taken.</summary>
    public int StepCount { get; protected set; }

    /// <summary>Applies one update from the current gradients (parameters without a gradient are skipped).</summary>
    public abstract void Step();

    /// <summary>Clears all parameter gradients.</summary>
    public void ZeroGrad()
    {
        using var op = Profiler.Region("zero grad");
        foreach (var p in Params)
        {
            p.ZeroGrad();
        }
    }

    /// <summary>State tensors by name (for checkpoints): <c>{index}.{slot}</c> plus <c>step</c>.</summary>
    public virtual Dictionary<string, Tensor> StateDict() => new(StringComparer.Ordinal) { ["step"] = new Tensor([StepCount], 1), ["lr"] = new Tensor([LearningRate], 1) };

    /// <summary>Restores what <see cref="StateDict"/> produced.</summary>
    public virtual void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        StepCount = (int)state["step"].Item();
        LearningRate = state["lr"].Item();
    }
}
