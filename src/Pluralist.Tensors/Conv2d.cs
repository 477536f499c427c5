using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors;

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
