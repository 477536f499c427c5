using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>
/// The DDPM forward process q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I) (Ho et al. 2020, Eq. 4) over
/// <see cref="TrainSteps"/> discrete steps t = 0..T-1 (0-based as diffusers). Values are computed in double and kept in double.
/// </summary>
public sealed class NoiseSchedule
{
    /// <summary>Builds the schedule.</summary>
    public NoiseSchedule(BetaScheduleKind kind = BetaScheduleKind.Linear, int trainSteps = 1000, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        if (trainSteps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(trainSteps), "at least 2 steps");
        }

        if (kind == BetaScheduleKind.Linear && !(betaStart > 0 && betaEnd >= betaStart && betaEnd < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(betaStart), "need 0 < betaStart <= betaEnd < 1");
        }

        Kind = kind;
        TrainSteps = trainSteps;
        Betas = new double[trainSteps];
        if (kind == BetaScheduleKind.Linear)
        {
            for (int t = 0; t < trainSteps; t++)
            {
                Betas[t] = betaStart + ((betaEnd - betaStart) * t / (trainSteps - 1)); // torch.linspace(start, end, T)
            }
        }
        else
        {
            // beta_t = min(1 - abar((t+1)/T) / abar(t/T), 0.999) (Nichol and Dhariwal 2021, Sec. 3.2)
            static double AlphaBar(double u) => Math.Pow(Math.Cos((u + 0.008) / 1.008 * Math.PI / 2), 2);
            for (int t = 0; t < trainSteps; t++)
            {
                Betas[t] = Math.Min(1 - (AlphaBar((t + 1.0) / trainSteps) / AlphaBar((double)t / trainSteps)), 0.999);
            }
        }

        AlphasCumprod = new double[trainSteps];
        double acc = 1;
        for (int t = 0; t < trainSteps; t++)
        {
            acc *= 1 - Betas[t];
            AlphasCumprod[t] = acc; // alpha_bar_t = prod_{s <= t} (1 - beta_s)
        }
    }

    public BetaScheduleKind Kind { get; }

    /// <summary>T, the number of training steps.</summary>
    public int TrainSteps { get; }

    /// <summary>beta_t, t = 0..T-1.</summary>
    public double[] Betas { get; }

    /// <summary>alpha_bar_t = prod_{s &lt;= t} (1 - beta_s).</summary>
    public double[] AlphasCumprod { get; }

    /// <summary>Noise level of Karras/Euler samplers: sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t).</summary>
    public double Sigma(int t) => Math.Sqrt((1 - AlphasCumprod[t]) / AlphasCumprod[t]);

    /// <summary>
    /// x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (Ho et al. 2020, Eq. 4), one timestep per sample.
    /// x0 and noise (B, C, H, W); no gradient (inputs are data).
    /// </summary>
    public Tensor AddNoise(Tensor x0, Tensor noise, int[] timesteps)
    {
        ArgumentNullException.ThrowIfNull(x0);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(timesteps);
        if (x0.Numel != noise.Numel || x0.Shape[0] != timesteps.Length)
        {
            throw new ArgumentException("x0, noise and timesteps disagree in size");
        }

        int per = x0.Numel / timesteps.Length;
        var y = new float[x0.Numel];
        for (int b = 0; b < timesteps.Length; b++)
        {
            int t = CheckStep(timesteps[b]);
            float a = (float)Math.Sqrt(AlphasCumprod[t]), s = (float)Math.Sqrt(1 - AlphasCumprod[t]);
            for (int i = b * per; i < (b + 1) * per; i++)
            {
                y[i] = (a * x0.Data[i]) + (s * noise.Data[i]);
            }
        }

        return new Tensor(y, x0.Shape);
    }

    /// <summary>Checks that t is a valid step and returns it.</summary>
    public int CheckStep(int t) => (uint)t < (uint)TrainSteps ? t : throw new ArgumentOutOfRangeException(nameof(t), $"timestep {t} outside 0..{TrainSteps - 1}");
}
