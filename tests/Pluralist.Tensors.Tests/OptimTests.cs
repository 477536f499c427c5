using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

[Collection("threads")]
public class OptimTests
{
    private static Parameter P(params float[] v) => new(v, v.Length);

    [Fact]
    public void Sgd_with_momentum_follows_the_pytorch_recurrence()
    {
        var p = P(1f);
        var opt = new Sgd([p], 0.1f, momentum: 0.9f);
        p.Grad = new Tensor([2f], 1);
        opt.Step(); // b = 2, p = 1 - 0.2
        Assert.Equal(0.8f, p.Data[0], 6);
        p.Grad = new Tensor([1f], 1);
        opt.Step(); // b = 0.9*2 + 1 = 2.8, p = 0.8 - 0.28
        Assert.Equal(0.52f, p.Data[0], 6);
    }

    [Fact]
    public void Adam_first_step_moves_by_learning_rate_and_adamw_decays_decoupled()
    {
        var p = P(1f, -2f);
        var adam = new Adam([p], 0.01f);
        p.Grad = new Tensor([3f, -0.5f], 2);
        adam.Step(); // first step: m_hat / sqrt(v_hat) = sign(g)
        Assert.Equal(0.99f, p.Data[0], 5);
        Assert.Equal(-1.99f, p.Data[1], 5);

        var q = P(1f);
        var adamw = Adam.AdamW([q], 0.01f, weightDecay: 0.5f);
        q.Grad = new Tensor([0f], 1);
        adamw.Step(); // zero gradient: only p *= 1 - lr wd
        Assert.Equal(1f - 0.005f, q.Data[0], 6);
    }

    [Fact]
    public void Clip_grad_norm_scales_to_the_limit()
    {
        var a = P(0f, 0f);
        var b = P(0f);
        a.Grad = new Tensor([3f, 0f], 2);
        b.Grad = new Tensor([4f], 1);
        float norm = GradUtil.ClipGradNorm([a, b], 1f);
        Assert.Equal(5f, norm, 5);
        Assert.Equal(0.6f, a.Grad.Data[0], 4);
        Assert.Equal(0.8f, b.Grad.Data[0], 4);
        Assert.Equal(1f, GradUtil.ClipGradNorm([a, b], 10f), 3); // below the limit: unchanged
        Assert.Equal(0.6f, a.Grad.Data[0], 4);
    }

    [Fact]
    public void Schedules_warm_up_then_hold_or_decay()
    {
        var c = new LearningRateSchedule(1f, WarmupSteps: 4);
        Assert.Equal(new[] { 0.25f, 0.5f, 0.75f, 1f, 1f }, Enumerable.Range(0, 5).Select(c.At));
        var lin = new LearningRateSchedule(1f, 2, 12, DecayKind.Linear);
        Assert.Equal(1f, lin.At(2));
        Assert.Equal(0.5f, lin.At(7), 6);
        Assert.Equal(0f, lin.At(12), 6);
        var cos = new LearningRateSchedule(2f, 0, 10, DecayKind.Cosine);
        Assert.Equal(2f, cos.At(0), 6);
        Assert.Equal(1f, cos.At(5), 5);
        Assert.Equal(0f, cos.At(10), 6);
    }

    [Fact]
    public void Ema_tracks_weights()
    {
        var lin = new Linear(2, 1, bias: false);
        lin.Weight.Data[0] = 0f;
        lin.Weight.Data[1] = 0f;
        var ema = new ExponentialMovingAverage(lin, 0.9f);
        lin.Weight.Data[0] = 1f;
        ema.Update();
        ema.Update();
        Assert.Equal(0.19f, ema.StateDict()["weight"].Data[0], 6); // 0.9*0.1 + 0.1
        ema.CopyTo();
        Assert.Equal(0.19f, lin.Weight.Data[0], 6);
    }

    [Fact]
    public void Checkpoint_keeps_a_pending_spare_normal()
    {
        // Box-Muller makes normals in pairs; after an odd number of draws the second one is pending. Saving only the bit
        // state would lose it and shift every later draw.
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-ckpt-{Guid.NewGuid():N}.safetensors");
        try
        {
            var lin = new Linear(2, 2);
            var opt = Adam.AdamW(lin.Parameters());
            var g = new Generator(3);
            g.Normal(0, 1, 3);
            Checkpoint.Save(path, lin, opt, g);
            var expected = g.Normal(0, 1, 4).Data;
            var g2 = new Generator(77);
            Checkpoint.Load(path, new Linear(2, 2), Adam.AdamW(new Linear(2, 2).Parameters()), g2);
            Assert.Equal(expected, g2.Normal(0, 1, 4).Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Checkpoint_resume_is_bit_for_bit()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-ckpt-{Guid.NewGuid():N}.safetensors");
        int savedThreads = Parallelism.Threads;
        try
        {
            var straight = Training.Run(seed: 11, steps: 10, threads: 2);
            var (m, opt, gen, first) = Training.Start(seed: 11, threads: 2);
            var losses = new List<float>(first);
            for (int i = 0; i < 4; i++)
            {
                losses.Add(Training.Step(m, opt, gen));
            }

            Checkpoint.Save(path, m, opt, gen);
            var (m2, opt2, gen2, _) = Training.Start(seed: 99, threads: 2, warmSteps: 0);
            Checkpoint.Load(path, m2, opt2, gen2);
            for (int i = 0; i < 5; i++)
            {
                losses.Add(Training.Step(m2, opt2, gen2));
            }

            Assert.Equal(straight, losses);
        }
        finally
        {
            Parallelism.Threads = savedThreads;
            File.Delete(path);
        }
    }
}

/// <summary>A small conv + attention training loop used by the determinism and checkpoint tests.</summary>
internal static class Training
{
    public static (GoldenTests.TinyNet Model, Adam Opt, Generator Gen, List<float> Losses) Start(int seed, int threads, int warmSteps = 1)
    {
        Parallelism.Threads = threads;
        var model = new GoldenTests.TinyNet();
        var init = new Generator((ulong)seed);
        foreach (var p in model.Parameters())
        {
            init.Normal(0, 0.3f, p.Shape).Data.CopyTo(p.Data, 0);
        }

        var opt = Adam.AdamW(model.Parameters(), 3e-3f, 0.01f);
        var gen = new Generator((ulong)seed + 1);
        var losses = new List<float>();
        for (int i = 0; i < warmSteps; i++)
        {
            losses.Add(Step(model, opt, gen));
        }

        return (model, opt, gen, losses);
    }

    public static float Step(GoldenTests.TinyNet model, Adam opt, Generator gen)
    {
        var x = gen.Normal(0, 1, 4, 3, 4, 4);
        int[] y = [gen.NextInt(4), gen.NextInt(4), gen.NextInt(4), gen.NextInt(4)];
        opt.ZeroGrad();
        var loss = F.CrossEntropy(model.Forward(x), y);
        loss.Backward();
        GradUtil.ClipGradNorm(model.Parameters(), 1f);
        opt.Step();
        return loss.Item();
    }

    public static List<float> Run(int seed, int steps, int threads)
    {
        int saved = Parallelism.Threads;
        try
        {
            var (m, opt, gen, losses) = Start(seed, threads);
            while (losses.Count < steps)
            {
                losses.Add(Step(m, opt, gen));
            }

            return losses;
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}
