using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion.Tests;

public class TrainingTests
{
    private static InMemoryImageCaptionSource Toy() => new(
    [
        new ImageCaption(TestUtil.Solid(0.8f, -0.6f, -0.6f, seed: 1), "red square"),
        new ImageCaption(TestUtil.Solid(-0.6f, -0.6f, 0.8f, seed: 2), "blue square"),
        new ImageCaption(TestUtil.Solid(-0.6f, 0.8f, -0.6f, seed: 3), "green park"),
    ]);

    private static TrainingOptions Opts => new() { BatchSize = 6, Steps = 40, LearningRate = 3e-3f, WarmupSteps = 2, EmaDecay = 0.9f, Seed = 3 };

    [Fact]
    public void A_few_steps_reduce_the_loss()
    {
        var model = new DiffusionModel(TestUtil.TinyConfig(), new WordTokenizer(["red", "blue", "green", "square", "park"]));
        var trainer = new DiffusionTrainer(model, Opts);
        var data = Toy();
        float before = trainer.EvaluateLoss(data, 99, 48);
        var seen = new List<TrainingProgress>();
        trainer.Train(data, seen.Add);
        float after = trainer.EvaluateLoss(data, 99, 48);
        Assert.Equal(40, seen.Count);
        Assert.Equal(Enumerable.Range(1, 40), seen.Select(p => p.Step));
        Assert.Equal(1.5e-3f, seen[0].LearningRate, 6); // warmup 1/2 of the base rate
        Assert.True(after < 0.7 * before, $"loss {before} -> {after}");
    }

    [Fact]
    public void Resume_from_checkpoint_is_bit_for_bit()
    {
        var tok = new WordTokenizer(["red", "blue", "green", "square", "park"]);
        var data = Toy();
        var opts = Opts with { Steps = 6 };
        var straight = new DiffusionTrainer(new DiffusionModel(TestUtil.TinyConfig(), tok), opts);
        var losses = new List<float>();
        straight.Train(data, p => losses.Add(p.Loss));

        var first = new DiffusionTrainer(new DiffusionModel(TestUtil.TinyConfig(), tok), opts);
        var resumedLosses = new List<float>();
        first.Train(data, p => resumedLosses.Add(p.Loss), maxSteps: 3);
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-ckpt-{Guid.NewGuid():N}.safetensors");
        try
        {
            first.SaveCheckpoint(path);
            var second = new DiffusionTrainer(new DiffusionModel(TestUtil.TinyConfig(seed: 99), tok), opts); // other init, overwritten
            second.LoadCheckpoint(path);
            Assert.Equal(3, second.Step);
            second.Train(data, p => resumedLosses.Add(p.Loss));
            Assert.Equal(losses, resumedLosses);
            foreach (var (name, t) in straight.Model.StateDict())
            {
                Assert.Equal(t.Data, second.Model.StateDict()[name].Data);
            }

            foreach (var (name, t) in straight.Ema!.StateDict())
            {
                Assert.Equal(t.Data, second.Ema!.StateDict()[name].Data);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Ema_follows_its_recurrence()
    {
        var model = new DiffusionModel(TestUtil.TinyConfig(), new WordTokenizer(["red"]));
        var w0 = model.UNet.ConvOut.Bias!.ToArray();
        var trainer = new DiffusionTrainer(model, Opts with { Steps = 1 });
        trainer.Train(Toy());
        var w1 = model.UNet.ConvOut.Bias!.Data;
        var shadow = trainer.Ema!.StateDict()["unet.conv_out.bias"].Data;
        for (int i = 0; i < w1.Length; i++)
        {
            Assert.Equal((0.9f * w0[i]) + (0.1f * w1[i]), shadow[i], 6); // shadow = d shadow + (1 - d) p
        }
    }

    [Fact]
    public void Training_steps_inside_a_tensor_scope_give_the_same_bits_as_without()
    {
        // The scope only changes where storage comes from: after the first step the pool hands back last step's
        // arrays (with their old contents), so any kernel that read an output it had not written would show here.
        static float[][] Run(bool scoped)
        {
            var model = new DiffusionModel(TestUtil.TinyConfig(), new WordTokenizer(["red", "blue", "green", "square", "park"]));
            model.Train();
            var opt = Adam.AdamW(model.TrainableParameters(), 1e-3f);
            var g = new Generator(4);
            var noisy = g.Normal(0, 1, 3, 3, 8, 8);
            var noise = g.Normal(0, 1, 3, 3, 8, 8);
            var losses = new List<float>();
            for (int step = 0; step < 4; step++)
            {
                using var scope = scoped ? TensorScope.Begin() : null;
                opt.ZeroGrad();
                var (ctx, mask) = model.EncodeText(["red square", "", "green park"]);
                var loss = F.MseLoss(model.UNet.PredictNoise(noisy, [5, 500, 990], ctx, mask), noise);
                loss.Backward();
                losses.Add(loss.Item());
                GradUtil.ClipGradNorm(model.TrainableParameters(), 1f);
                opt.Step();
            }

            return [[.. losses], .. model.Parameters().Select(p => p.ToArray())];
        }

        var plain = Run(false);
        var scoped = Run(true);
        Assert.Equal(plain.Length, scoped.Length);
        for (int i = 0; i < plain.Length; i++)
        {
            Assert.Equal(plain[i], scoped[i]);
        }
    }
}
