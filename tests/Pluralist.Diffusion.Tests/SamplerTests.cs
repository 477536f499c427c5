using Pluralist.Tensors;

namespace Pluralist.Diffusion.Tests;

/// <summary>Samplers on a Gaussian toy problem whose optimal noise predictor is known in closed form.</summary>
public class SamplerTests
{
    private const double Mu = 0.3, Sd = 0.5;

    /// <summary>
    /// For x_0 ~ N(mu, s^2) elementwise, x_t = sqrt(a) x_0 + sqrt(1-a) eps is N(sqrt(a) mu, a s^2 + 1 - a) and
    /// E[eps | x_t] = sqrt(1-a) (x_t - sqrt(a) mu) / (a s^2 + 1 - a): the exact minimiser of the training loss.
    /// </summary>
    private static Func<Tensor, int[], Tensor> Oracle(NoiseSchedule s) => (x, ts) =>
    {
        int per = x.Numel / ts.Length;
        var e = new float[x.Numel];
        for (int b = 0; b < ts.Length; b++)
        {
            double a = s.AlphasCumprod[ts[b]];
            for (int i = b * per; i < (b + 1) * per; i++)
            {
                e[i] = (float)(Math.Sqrt(1 - a) * (x.Data[i] - (Math.Sqrt(a) * Mu)) / ((a * Sd * Sd) + 1 - a));
            }
        }

        return new Tensor(e, x.Shape);
    };

    [Theory]
    [InlineData(SamplerKind.Ddim, 100, 0f)]
    [InlineData(SamplerKind.Ddim, 1000, 1f)]
    [InlineData(SamplerKind.Ddpm, 1000, 0f)]
    [InlineData(SamplerKind.Euler, 100, 0f)]
    public void Recovers_a_known_gaussian(SamplerKind kind, int steps, float eta)
    {
        foreach (var schedule in new[] { new NoiseSchedule(BetaScheduleKind.Linear), new NoiseSchedule(BetaScheduleKind.Cosine) })
        {
            var x = Sampler.Sample(schedule, Oracle(schedule), [1000, 1, 2, 2], new Generator(7), new SamplerOptions { Kind = kind, Steps = steps, Eta = eta, ClipSample = false });
            double mean = x.Data.Average(v => (double)v);
            double sd = Math.Sqrt(x.Data.Average(v => (v - mean) * (v - mean)));
            // 4000 samples: standard error of the mean 0.5/63 = 0.008, of the sd 0.006. The solvers' own discretisation
            // error narrows the distribution (a float64 NumPy run of the same updates: sd 0.486 with 100 DDIM steps,
            // 0.497 with 1000 DDPM steps on the linear schedule), hence 0.03.
            Assert.True(Math.Abs(mean - Mu) < 0.03, $"{kind} {schedule.Kind}: mean {mean}");
            Assert.True(Math.Abs(sd - Sd) < 0.03, $"{kind} {schedule.Kind}: sd {sd}");
        }
    }

    [Fact]
    public void Euler_with_clipping_takes_ddim_steps_and_stays_finite_on_the_cosine_schedule()
    {
        // An imperfect predictor (the oracle plus a small error), as a trained model is: at t = 999 of the cosine schedule
        // sigma is about 1e4, so an unclipped Euler step multiplies the error by it; clamping the denoised estimate makes
        // Euler's step exactly DDIM's (x_ve' = D + sigma' (x_ve - D) / sigma is DDIM's update in x_vp / sqrt(abar)).
        var schedule = new NoiseSchedule(BetaScheduleKind.Cosine);
        var oracle = Oracle(schedule);
        Tensor Imperfect(Tensor x, int[] ts)
        {
            var e = oracle(x, ts);
            for (int i = 0; i < e.Numel; i++)
            {
                e.Data[i] += 0.01f * MathF.Sin(7 * i);
            }

            return e;
        }

        var clipped = new SamplerOptions { Kind = SamplerKind.Euler, Steps = 10 };
        var euler = Sampler.Sample(schedule, Imperfect, [64, 1, 2, 2], new Generator(5), clipped);
        var ddim = Sampler.Sample(schedule, Imperfect, [64, 1, 2, 2], new Generator(5), clipped with { Kind = SamplerKind.Ddim });
        for (int i = 0; i < euler.Numel; i++)
        {
            Assert.Equal(ddim.Data[i], euler.Data[i], 2e-3f);
        }

        var unclipped = Sampler.Sample(schedule, Imperfect, [64, 1, 2, 2], new Generator(5), clipped with { ClipSample = false });
        Assert.Contains(unclipped.Data, v => Math.Abs(v) > 5); // the failure the clamp prevents
        Assert.All(euler.Data, v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void Ddim_with_eta_zero_is_deterministic()
    {
        var s = new NoiseSchedule();
        var opts = new SamplerOptions { Kind = SamplerKind.Ddim, Steps = 20, Eta = 0, ClipSample = false };
        var g1 = new Generator(3);
        var a = Sampler.Sample(s, Oracle(s), [4, 1, 2, 2], g1, opts);
        var state = g1.State;
        var b = Sampler.Sample(s, Oracle(s), [4, 1, 2, 2], new Generator(3), opts);
        Assert.Equal(a.Data, b.Data);

        // the only random draw is x_T: the generator advanced by exactly the 16 initial normals
        var g2 = new Generator(3);
        g2.Normal(0, 1, 4, 1, 2, 2);
        Assert.Equal(g2.State, state);

        var c = Sampler.Sample(s, Oracle(s), [4, 1, 2, 2], new Generator(4), opts);
        Assert.NotEqual(a.Data, c.Data);
    }

    [Fact]
    public void Timesteps_are_trailing_and_descending()
    {
        Assert.Equal([999, 749, 499, 249], Sampler.Timesteps(1000, 4));
        Assert.Equal(999, Sampler.Timesteps(1000, 1000)[0]);
        Assert.Equal(0, Sampler.Timesteps(1000, 1000)[^1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.Timesteps(1000, 0));
    }
}
