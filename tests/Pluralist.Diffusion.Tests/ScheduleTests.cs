using Pluralist.Tensors;
using Pluralist.Testing;

namespace Pluralist.Diffusion.Tests;

/// <summary>Noise schedules against closed forms and PyTorch (float64 values stored as float32 hi + lo).</summary>
public class ScheduleTests
{
    [Theory]
    [InlineData(BetaScheduleKind.Linear, "linear")]
    [InlineData(BetaScheduleKind.Cosine, "cosine")]
    public void Betas_and_alpha_bars_match_pytorch(BetaScheduleKind kind, string name)
    {
        var s = new NoiseSchedule(kind);
        Compare(s.Betas, $"sched.{name}.betas");
        Compare(s.AlphasCumprod, $"sched.{name}.alphas_cumprod");

        static void Compare(double[] ours, string key)
        {
            var hi = TestUtil.G(key).Data;
            var lo = TestUtil.G(key + ".lo").Data;
            Assert.Equal(hi.Length, ours.Length);
            for (int i = 0; i < ours.Length; i++)
            {
                double expected = hi[i] + (double)lo[i];
                Assert.True(Math.Abs(expected - ours[i]) <= 1e-13 + (1e-12 * Math.Abs(expected)), $"{key}[{i}]: {ours[i]} vs {expected}");
            }
        }
    }

    [Fact]
    public void Closed_forms()
    {
        var lin = new NoiseSchedule(BetaScheduleKind.Linear);
        Assert.Equal(1e-4, lin.Betas[0], 15);
        Assert.Equal(0.02, lin.Betas[999], 15);
        Assert.Equal(1e-4 + (0.0199 * 500 / 999), lin.Betas[500], 15);
        double prod = 1;
        for (int t = 0; t < 1000; t++)
        {
            prod *= 1 - lin.Betas[t];
        }

        Assert.Equal(prod, lin.AlphasCumprod[999], 15);

        // cosine: alpha_bar_t = f((t+1)/T) / f(0) with f(u) = cos^2((u + s)/(1 + s) pi/2) wherever beta is not clipped
        var cos = new NoiseSchedule(BetaScheduleKind.Cosine);
        static double Fc(double u) => Math.Pow(Math.Cos((u + 0.008) / 1.008 * Math.PI / 2), 2);
        for (int t = 0; t < 990; t += 37)
        {
            Assert.Equal(Fc((t + 1) / 1000.0) / Fc(0), cos.AlphasCumprod[t], 10);
        }

        Assert.Equal(0.999, cos.Betas[999], 12); // clipped
        Assert.Equal(Math.Sqrt((1 - lin.AlphasCumprod[10]) / lin.AlphasCumprod[10]), lin.Sigma(10), 15);
    }

    [Fact]
    public void Add_noise_matches_the_reference_trainer_batch()
    {
        // x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps with one eps and one t per pair for winner and loser.
        var s = new NoiseSchedule();
        var xw = TestUtil.G("shared.x0_w");
        var xl = TestUtil.G("shared.x0_l");
        var noise = TestUtil.G("shared.noise");
        var t = TestUtil.G("shared.t").Data.Select(v => (int)v).ToArray();
        var feed = Functional.Cat([xw, xl], 0);
        var noisy = s.AddNoise(feed, Functional.Cat([noise, noise], 0), [.. t, .. t]);
        NumericAssert.Close(TestUtil.G("shared.noisy").Data, noisy.Data, 1e-6, "noisy");
    }

    [Fact]
    public void Rejects_bad_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseSchedule(trainSteps: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseSchedule(betaStart: 0.1, betaEnd: 0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseSchedule().CheckStep(1000));
    }
}
