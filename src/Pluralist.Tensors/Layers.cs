using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors;

/// <summary>Parameter initialisation matching PyTorch's defaults (Kaiming-uniform with a = sqrt 5).</summary>
public static class Init
{
    /// <summary>U(-1/sqrt(fanIn), 1/sqrt(fanIn)), PyTorch's default for linear and conv weights and biases.</summary>
    public static Parameter UniformFanIn(Generator g, int fanIn, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(g);
        float bound = 1f / MathF.Sqrt(fanIn);
        return new Parameter(g.Uniform(-bound, bound, shape));
    }
}

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

/// <summary>2-D convolution layer with optional LoRA delta (down conv with the same kernel to r channels, then 1x1 up conv, zero-initialised).</summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer with PyTorch-style uniform initialisation.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
    {
        var g = generator ?? new Generator(0);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        int fanIn = inChannels / groups * kernelSize * kernelSize;
        Weight = RegisterParameter("weight", Init.UniformFanIn(g, fanIn, outChannels, inChannels / groups, kernelSize, kernelSize));
        Bias = bias ? RegisterParameter("bias", Init.UniformFanIn(g, fanIn, outChannels)) : null;
    }

    public int InChannels { get; }

    public int OutChannels { get; }

    public int KernelSize { get; }

    public int Stride { get; }

    public int Padding { get; }

    public int Dilation { get; }

    public int Groups { get; }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    /// <summary>LoRA down conv weight (r, In/groups... (groups = 1 only), K, K).</summary>
    public Parameter? LoraDown { get; private set; }

    /// <summary>LoRA up weight (Out, r, 1, 1).</summary>
    public Parameter? LoraUp { get; private set; }

    public bool LoraEnabled { get; set; }

    public float LoraScale { get; private set; }

    /// <summary>Adds a rank-r adapter (groups = 1), registered as <c>lora_down</c> and <c>lora_up</c>.</summary>
    public void AddLora(int rank, float alpha, Generator generator)
    {
        if (Groups != 1)
        {
            Throw.InvalidOperation("LoRA on grouped convolutions is not supported");
        }

        int fanIn = InChannels * KernelSize * KernelSize;
        LoraDown = RegisterParameter("lora_down", Init.UniformFanIn(generator ?? throw new ArgumentNullException(nameof(generator)), fanIn, rank, InChannels, KernelSize, KernelSize));
        LoraUp = RegisterParameter("lora_up", new Parameter(new float[OutChannels * rank], OutChannels, rank, 1, 1));
        LoraScale = alpha / rank;
        LoraEnabled = true;
    }

    /// <summary>Folds the delta into the weight: W[o] += scale sum_r up[o, r] down[r] and removes the adapter.</summary>
    public void MergeLora()
    {
        if (LoraDown is null || LoraUp is null)
        {
            return;
        }

        int rank = LoraDown.Shape[0], k = LoraDown.Numel / rank;
        using (Autograd.NoGrad())
        {
            var up = F.Reshape(LoraUp.Detach(), OutChannels, rank);
            var down = F.Reshape(LoraDown.Detach(), rank, k);
            var delta = F.Matmul(up, down); // (Out, In K K)
            for (int i = 0; i < delta.Numel; i++)
            {
                Weight.Data[i] += LoraScale * delta.Data[i];
            }
        }

        UnregisterParameter("lora_down");
        UnregisterParameter("lora_up");
        LoraDown = null;
        LoraUp = null;
        LoraEnabled = false;
    }

    /// <summary>x (B, In, H, W) -> (B, Out, Ho, Wo).</summary>
    public Tensor Forward(Tensor x)
    {
        var y = F.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups);
        if (LoraEnabled && LoraDown is not null && LoraUp is not null)
        {
            var d = F.Conv2d(x, LoraDown, null, Stride, Padding, Dilation);
            y = F.Add(y, F.Mul(F.Conv2d(d, LoraUp), LoraScale));
        }

        return y;
    }
}

/// <summary>Group normalisation layer with per-channel affine weight (ones) and bias (zeros).</summary>
public sealed class GroupNorm : Module
{
    public GroupNorm(int groups, int channels, float eps = 1e-5f)
    {
        Groups = groups;
        Eps = eps;
        Weight = RegisterParameter("weight", new Parameter(Enumerable.Repeat(1f, channels).ToArray(), channels));
        Bias = RegisterParameter("bias", new Parameter(new float[channels], channels));
    }

    public int Groups { get; }

    public float Eps { get; }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    /// <summary>x (B, C, ...) -> same shape.</summary>
    public Tensor Forward(Tensor x) => F.GroupNorm(x, Groups, Weight, Bias, Eps);
}

/// <summary>Layer normalisation over the last dimension.</summary>
public sealed class LayerNorm : Module
{
    public LayerNorm(int features, float eps = 1e-5f)
    {
        Eps = eps;
        Weight = RegisterParameter("weight", new Parameter(Enumerable.Repeat(1f, features).ToArray(), features));
        Bias = RegisterParameter("bias", new Parameter(new float[features], features));
    }

    public float Eps { get; }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    /// <summary>x (..., D) -> same shape.</summary>
    public Tensor Forward(Tensor x) => F.LayerNorm(x, Weight, Bias, Eps);
}

/// <summary>Lookup table (V, D), initialised N(0, 1) as PyTorch.</summary>
public sealed class Embedding : Module
{
    public Embedding(int count, int dim, Generator? generator = null)
    {
        Weight = RegisterParameter("weight", new Parameter((generator ?? new Generator(0)).Normal(0, 1, count, dim)));
    }

    public Parameter Weight { get; }

    /// <summary>indices (shape) -> (shape..., D).</summary>
    public Tensor Forward(int[] indices, params int[] shape) => F.Embedding(Weight, indices, shape);
}
