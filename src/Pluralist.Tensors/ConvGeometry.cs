namespace Pluralist.Tensors;

/// <summary>Output size of a 2-D convolution for one sample and one group.</summary>
internal readonly record struct ConvGeometry(int C, int H, int W, int Cg, int KH, int KW, int Stride, int Padding, int Dilation)
{
    public int Ho => ((H + (2 * Padding) - (Dilation * (KH - 1)) - 1) / Stride) + 1;

    public int Wo => ((W + (2 * Padding) - (Dilation * (KW - 1)) - 1) / Stride) + 1;
}
