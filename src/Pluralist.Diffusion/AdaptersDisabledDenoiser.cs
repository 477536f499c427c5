using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>The same UNet with its LoRA adapters switched off: Diffusion-DPO's reference when only adapters are trained. Always runs without gradients.</summary>
public sealed class AdaptersDisabledDenoiser(LoraAdapterBank bank) : IDenoiser
{
    /// <inheritdoc/>
    public Tensor PredictNoise(Tensor noisy, int[] timesteps, Tensor context, Tensor? contextMask)
    {
        ArgumentNullException.ThrowIfNull(bank);
        using var _ = Autograd.NoGrad();
        var enabled = bank.Layers.Select(l => l.Layer.LoraEnabled).ToArray();
        foreach (var (_, l) in bank.Layers)
        {
            l.LoraEnabled = false;
        }

        try
        {
            return bank.UNet.PredictNoise(noisy, timesteps, context, contextMask);
        }
        finally
        {
            for (int i = 0; i < enabled.Length; i++)
            {
                bank.Layers[i].Layer.LoraEnabled = enabled[i];
            }
        }
    }
}
