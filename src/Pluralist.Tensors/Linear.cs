using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors;

/// <summary>
/// Fully connected layer y = x W^T + b (W: (Out, In)), with an optional LoRA delta (Hu et al. 2021):
/// y += (alpha / r) x A^T B^T, A (r, In) random, B (Out, r) zero, so a fresh adapter changes nothing.
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer with PyTorch-style uniform initialisation.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        var g = generator ?? new Generator(0);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Init.UniformFanIn(g, inFeatures, outFeatures, inFeatures));
        Bias = bias ? RegisterParameter("bias", Init.UniformFanIn(g, inFeatures, outFeatures)) : null;
    }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    /// <summary>LoRA down projection (r, In) once <see cref="AddLora"/> ran.</summary>
    public Parameter? LoraA { get; private set; }

    /// <summary>LoRA up projection (Out, r).</summary>
    public Parameter? LoraB { get; private set; }

    /// <summary>Whether the LoRA delta is applied in <see cref="Forward"/>.</summary>
    public bool LoraEnabled { get; set; }

    /// <summary>alpha / r.</summary>
    public float LoraScale { get; private set; }

    /// <summary>Adds a rank-r adapter (enabled), registered as <c>lora_A</c> and <c>lora_B</c>.</summary>
    public void AddLora(int rank, float alpha, Generator generator)
    {
        LoraA = RegisterParameter("lora_A", Init.UniformFanIn(generator ?? throw new ArgumentNullException(nameof(generator)), InFeatures, rank, InFeatures));
        LoraB = RegisterParameter("lora_B", new Parameter(new float[OutFeatures * rank], OutFeatures, rank));
        LoraScale = alpha / rank;
        LoraEnabled = true;
    }

    /// <summary>Folds the delta into W (W += scale B A) and removes the adapter.</summary>
    public void MergeLora()
    {
        if (LoraA is null || LoraB is null)
        {
            return;
        }

        using (Autograd.NoGrad())
        {
            var delta = F.Mul(F.Matmul(LoraB, LoraA), LoraScale); // (Out, In)
            System.Numerics.Tensors.TensorPrimitives.Add(Weight.Data, delta.Data, Weight.Data);
        }

        UnregisterParameter("lora_A");
        UnregisterParameter("lora_B");
        LoraA = null;
        LoraB = null;
        LoraEnabled = false;
    }

    /// <summary>x (..., In) -> (..., Out).</summary>
    public Tensor Forward(Tensor x)
    {
        var y = F.Linear(x, Weight, Bias);
        if (LoraEnabled && LoraA is not null && LoraB is not null)
        {
            y = F.Add(y, F.Mul(F.Linear(F.Linear(x, LoraA), LoraB), LoraScale));
        }

        return y;
    }
}
