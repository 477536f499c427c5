using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>Runs a sampler from pure noise to x_0 with a noise predictor eps(x_t, t).</summary>
public static class Sampler
{
    /// <summary>The S timesteps visited, descending, trailing spacing.</summary>
    public static int[] Timesteps(int trainSteps, int steps)
    {
        if (steps < 1 || steps > trainSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be in 1..{trainSteps}");
        }

        var ts = new int[steps];
        for (int i = 0; i < steps; i++)
        {
            ts[i] = (int)Math.Round(trainSteps - (i * (double)trainSteps / steps)) - 1;
        }

        return ts;
    }

    /// <summary>
    /// Draws x_T ~ N(0, I) of <paramref name="shape"/> (B, C, H, W) from <paramref name="generator"/> and integrates back to x_0.
    /// <paramref name="predictNoise"/> gets x_t (B, C, H, W) and the step per sample and returns eps (B, C, H, W).
    /// Runs without gradient recording. <paramref name="progress"/> gets (step done, total).
    /// </summary>
    public static Tensor Sample(NoiseSchedule schedule, Func<Tensor, int[], Tensor> predictNoise, int[] shape, Generator generator, SamplerOptions options, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(predictNoise);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(options);
        if (shape.Length != 4)
        {
            throw new ArgumentException("shape must be (B, C, H, W)", nameof(shape));
        }

        if (options.Eta < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "eta must be >= 0");
        }

        using var _ = Autograd.NoGrad();
        var ts = Timesteps(schedule.TrainSteps, options.Steps);
        int batch = shape[0];
        int n = shape.Aggregate(1, (a, b) => a * b);
        var ab = schedule.AlphasCumprod;
        var x = generator.Normal(0, 1, shape).Data; // x_T ~ N(0, I), (B, C, H, W)
        if (options.Kind == SamplerKind.Euler)
        {
            // Variance-exploding variable x_ve = x_vp / sqrt(abar), so x_ve(T) ~ N(0, 1 + sigma_max^2).
            float init = (float)Math.Sqrt(1 + (schedule.Sigma(ts[0]) * schedule.Sigma(ts[0])));
            for (int i = 0; i < n; i++)
            {
                x[i] *= init;
            }
        }

        for (int k = 0; k < ts.Length; k++)
        {
            int t = ts[k];
            int prev = k + 1 < ts.Length ? ts[k + 1] : -1;
            var tBatch = Enumerable.Repeat(t, batch).ToArray();
            if (options.Kind == SamplerKind.Euler)
            {
                double sigma = schedule.Sigma(t), sigmaNext = prev < 0 ? 0 : schedule.Sigma(prev);
                float scaleIn = (float)(1 / Math.Sqrt((sigma * sigma) + 1)); // x_vp = x_ve / sqrt(sigma^2 + 1)
                var input = new float[n];
                for (int i = 0; i < n; i++)
                {
                    input[i] = x[i] * scaleIn;
                }

                var eps = Check(predictNoise(new Tensor(input, shape), tBatch), n).Data;
                float dt = (float)(sigmaNext - sigma), sig = (float)sigma; // dx/dsigma = (x - D) / sigma, D = x - sigma eps (Karras et al. 2022, Eq. 4)
                for (int i = 0; i < n; i++)
                {
                    // With clipping, the denoised estimate D is clamped as DDIM clamps x0 (the two then take the same step):
                    // at t = T-1 of the cosine schedule sigma is about 1e4, and D = x - sigma eps would multiply the
                    // noise prediction's error by it.
                    float d = options.ClipSample ? (x[i] - Math.Clamp(x[i] - (sig * eps[i]), -1f, 1f)) / sig : eps[i];
                    x[i] += dt * d;
                }
            }
            else
            {
                var eps = Check(predictNoise(new Tensor(x, shape), tBatch), n).Data;
                double abT = ab[t], abPrev = prev < 0 ? 1.0 : ab[prev];
                float sqrtAb = (float)Math.Sqrt(abT), sqrt1mAb = (float)Math.Sqrt(1 - abT);
                var next = new float[n];
                if (options.Kind == SamplerKind.Ddim)
                {
                    // sigma = eta sqrt((1 - abar_prev)/(1 - abar_t)) sqrt(1 - abar_t/abar_prev) (Song et al. 2021, Eq. 16)
                    double sig = options.Eta * Math.Sqrt((1 - abPrev) / (1 - abT)) * Math.Sqrt(1 - (abT / abPrev));
                    float cx0 = (float)Math.Sqrt(abPrev), ceps = (float)Math.Sqrt(Math.Max(0, 1 - abPrev - (sig * sig))), cz = (float)sig;
                    for (int i = 0; i < n; i++)
                    {
                        float x0 = Clip((x[i] - (sqrt1mAb * eps[i])) / sqrtAb, options.ClipSample); // x0^ = (x_t - sqrt(1-abar) eps) / sqrt(abar)
                        float e = options.ClipSample ? (x[i] - (sqrtAb * x0)) / sqrt1mAb : eps[i]; // eps consistent with the clipped x0
                        next[i] = (cx0 * x0) + (ceps * e) + (cz == 0 ? 0 : cz * generator.NextNormal());
                    }
                }
                else
                {
                    // posterior q(x_prev | x_t, x0): mean = sqrt(abar_prev) b/(1-abar_t) x0 + sqrt(a)(1-abar_prev)/(1-abar_t) x_t,
                    // var = (1-abar_prev)/(1-abar_t) b with a = abar_t/abar_prev, b = 1 - a (Ho et al. 2020, Eq. 7)
                    double a = abT / abPrev, b = 1 - a;
                    float c0 = (float)(Math.Sqrt(abPrev) * b / (1 - abT)), ct = (float)(Math.Sqrt(a) * (1 - abPrev) / (1 - abT));
                    float std = prev < 0 ? 0 : (float)Math.Sqrt((1 - abPrev) / (1 - abT) * b);
                    for (int i = 0; i < n; i++)
                    {
                        float x0 = Clip((x[i] - (sqrt1mAb * eps[i])) / sqrtAb, options.ClipSample);
                        next[i] = (c0 * x0) + (ct * x[i]) + (std == 0 ? 0 : std * generator.NextNormal());
                    }
                }

                x = next;
            }

            progress?.Invoke(k + 1, ts.Length);
        }

        return new Tensor(x, shape);
    }

    private static float Clip(float v, bool clip) => clip ? Math.Clamp(v, -1f, 1f) : v;

    private static Tensor Check(Tensor eps, int n) => eps.Numel == n ? eps : throw new InvalidOperationException($"noise prediction has {eps.Numel} elements, expected {n}");
}
