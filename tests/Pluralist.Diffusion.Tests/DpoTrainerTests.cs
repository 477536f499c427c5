using Pluralist.Tensors;
using Pluralist.Testing;

namespace Pluralist.Diffusion.Tests;

public class DpoTrainerTests
{
    private static readonly WordTokenizer Tok = new(["red", "blue", "square", "park"]);

    /// <summary>Eight pairs: the reddish image always preferred over the bluish one (p = 0.9 or 1).</summary>
    private static InMemoryPreferenceSource Reds() => new(Enumerable.Range(0, 8).Select(i =>
    {
        var red = TestUtil.Solid(0.7f, -0.5f, -0.5f, seed: (ulong)(10 + i), texture: 0.2f);
        var blue = TestUtil.Solid(-0.5f, -0.5f, 0.7f, seed: (ulong)(20 + i), texture: 0.2f);
        float p = i % 2 == 0 ? 1f : 0.9f;
        return i % 3 == 0 ? new PreferencePair(blue, red, "a square", 1 - p) : new PreferencePair(red, blue, "a square", p);
    }).ToList());

    private sealed class Spy(IDenoiser inner) : IDenoiser
    {
        public List<(Tensor Noisy, int[] T)> Calls { get; } = [];

        public Tensor PredictNoise(Tensor noisy, int[] timesteps, Tensor context, Tensor? contextMask)
        {
            Calls.Add((noisy.Clone(), timesteps));
            return inner.PredictNoise(noisy, timesteps, context, contextMask);
        }
    }

    [Theory]
    [InlineData(FineTuneMode.Full)]
    [InlineData(FineTuneMode.Lora)]
    public void First_step_with_reference_equal_to_model_logs_log2_and_accuracy_one_half(FineTuneMode mode)
    {
        // The reference is a bit-identical copy (Full) or the same UNet with zero-initialised adapters disabled (Lora), so every
        // inside term is exactly 0: loss = -log sigmoid(0) = log 2, and implicit accuracy 0.5 (every pair a tie, counted half
        // as the reference trainers count it).
        var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
        var trainer = new DpoTrainer(model, Reds(), new DpoOptions { Mode = mode, BatchSize = 4, MicroBatchSize = 2, Steps = 5 });
        var log = trainer.TrainStep();
        Assert.Equal(Math.Log(2), log.Loss, 6);
        Assert.Equal(0.5f, log.ImplicitAccuracy);
        Assert.Equal(log.ModelMse, log.ReferenceMse);
        Assert.Equal(1e-8f / 1, log.LearningRate); // step 1 of a 1-step warmup (20% of 5)
    }

    [Fact]
    public void Winner_and_loser_share_noise_and_timestep()
    {
        var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
        var spy = new Spy(model.Copy().UNet);
        var data = Reds();
        var trainer = new DpoTrainer(model, data, new DpoOptions { BatchSize = 8, MicroBatchSize = 4, Steps = 10 }, reference: spy);
        trainer.Train(maxSteps: 3);
        Assert.Equal(6, spy.Calls.Count);
        var ab = model.Schedule.AlphasCumprod;
        var allT = new List<int>();
        foreach (var (noisy, t) in spy.Calls)
        {
            int b = t.Length / 2, per = 3 * 8 * 8;
            Assert.Equal(t[..b], t[b..]);
            allT.AddRange(t[..b]);
            // x_t,w - x_t,l = sqrt(abar_t) (x_w - x_l) exactly when the noise is shared: some pair of the data must match
            for (int i = 0; i < b; i++)
            {
                double a = Math.Sqrt(ab[t[i]]);
                bool found = false;
                for (int k = 0; k < data.Count && !found; k++)
                {
                    var p = data.Get(k);
                    var (w, l) = p.Probability0 >= 0.5f ? (p.Image0, p.Image1) : (p.Image1, p.Image0);
                    double err = 0;
                    for (int j = 0; j < per; j++)
                    {
                        err = Math.Max(err, Math.Abs(noisy.Data[(i * per) + j] - noisy.Data[((b + i) * per) + j] - (a * (w[j] - l[j]))));
                    }

                    found = err < 1e-5;
                }

                Assert.True(found, $"pair {i} at t = {t[i]}: winner and loser do not share the noise");
            }
        }

        Assert.All(allT, v => Assert.InRange(v, 0, 999));
        Assert.True(allT.Distinct().Count() > 15, "timesteps vary across pairs");
    }

    [Fact]
    public void Evaluation_in_chunks_gives_what_one_pass_over_every_pair_gives()
    {
        // 8 pairs x 4 draws = 32 pairs: in one pass, and in chunks of 5 (the last one short); after some training, so that
        // the model differs from its reference and the pairs' inside terms are not all 0.
        var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
        var trainer = new DpoTrainer(model, Reds(), new DpoOptions { LearningRate = 2e-3f, Beta = 500f, BatchSize = 8, Steps = 5 });
        trainer.Train();
        trainer.EvaluationChunk = 32;
        var whole = trainer.Evaluate(5, repeats: 4);
        trainer.EvaluationChunk = 5;
        var chunked = trainer.Evaluate(5, repeats: 4);
        Assert.Equal(32, chunked.InsideTerm.Length);
        Assert.Contains(whole.InsideTerm, v => v != 0);
        for (int i = 0; i < 32; i++)
        {
            Assert.Equal(whole.InsideTerm[i], chunked.InsideTerm[i], 1e-4f);
        }

        Assert.Equal(whole.ImplicitAccuracy, chunked.ImplicitAccuracy);
        Assert.Equal(whole.Loss.Item(), chunked.Loss.Item(), 1e-5f);
        Assert.Equal(whole.ModelMse, chunked.ModelMse, 1e-6f);
        Assert.Equal(whole.ReferenceMse, chunked.ReferenceMse, 1e-6f);
        Assert.Equal(whole.ModelMseWinner, chunked.ModelMseWinner, 1e-6f);
        Assert.Equal(whole.ModelMseLoser, chunked.ModelMseLoser, 1e-6f);
    }

    [Fact]
    public void Tiny_model_overfits_a_tiny_preference_set_full_fine_tuning()
    {
        // Implicit accuracy on the 8 training pairs, each with 4 fresh draws of (t, eps) never used in training.
        var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
        var trainer = new DpoTrainer(model, Reds(), new DpoOptions { LearningRate = 2e-3f, Beta = 500f, BatchSize = 8, Steps = 40, WarmupFraction = 0.1f });
        var before = trainer.Evaluate(5, repeats: 4);
        trainer.Train();
        var after = trainer.Evaluate(5, repeats: 4);
        Assert.Equal(0.5f, before.ImplicitAccuracy);
        Assert.True(after.ImplicitAccuracy > 0.9f, $"implicit accuracy {after.ImplicitAccuracy}, loss {before.Loss.Item()} -> {after.Loss.Item()}");
        Assert.True(after.Loss.Item() < before.Loss.Item());
    }

    [Fact]
    public void Tiny_model_learns_a_tiny_preference_set_with_lora()
    {
        // Rank-8 adapters (alpha 16), beta 5000, 120 steps. Measured on fresh (t, eps) draws: on the attention projections only
        // the adapters stay at 0.65-0.88 (lr 5e-3 to 1e-2, 60-120 steps; draws at t > 700, x_t nearly pure noise, keep
        // near-zero inside terms of either sign); on every linear layer (attention, feed-forward, transformer projections,
        // timestep projections of the residual blocks) 0.94 after 120 steps at lr 1e-2 (0.84-0.88 after 60-80 steps).
        // At beta 5000 one run's trajectory is chaotic: a change in the order of a float sum (same gradients to 1e-7 at
        // step 0) moves one seed's last-ten logged accuracy between 0.79 and 0.98 and its fresh-draw accuracy between 0.84
        // and 1 (11 seeds measured). So the claim is made over five seeds (each draw of t, eps and pair order differs):
        // measured means 0.94-0.95 logged over the last ten steps and 0.95-0.96 on fresh draws.
        var lastTen = new List<float>();
        var fresh = new List<float>();
        foreach (ulong seed in new ulong[] { 0, 1, 2, 3, 4 })
        {
            var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
            var trainer = new DpoTrainer(model, Reds(), new DpoOptions { Seed = seed, Mode = FineTuneMode.Lora, LoraTargets = LoraTargets.AllLinear, LearningRate = 1e-2f, BatchSize = 8, Steps = 120, WarmupFraction = 0.1f, LoraRank = 8, LoraAlpha = 16 });
            var before = trainer.Evaluate(5, repeats: 4);
            var logs = new List<DpoStepLog>();
            trainer.Train(logs.Add);
            var after = trainer.Evaluate(5, repeats: 4);
            lastTen.Add(logs.TakeLast(10).Average(l => l.ImplicitAccuracy));
            fresh.Add(after.ImplicitAccuracy);
            // The median pair's loss falls below log 2 (before: exactly log 2). The mean is not asserted: at beta 5000 the few
            // fresh draws that come out wrong have large terms, and the mean fresh-draw loss was seen above log 2 while 94% of
            // the draws were right.
            float median = after.InsideTerm.Order().ElementAt(after.InsideTerm.Length / 2);
            Assert.True(median > 0, $"seed {seed}: median inside term {median}");
            Assert.Equal(Math.Log(2), before.Loss.Item(), 5);
            Assert.All(model.UNet.NamedParameters().Where(p => !p.Name.Contains("lora_", StringComparison.Ordinal)), p => Assert.False(p.Parameter.RequiresGrad));
        }

        Assert.True(lastTen.Average() >= 0.85f, $"logged implicit accuracy over the last 10 steps, per seed: {string.Join(", ", lastTen)}");
        Assert.True(fresh.Average() > 0.9f, $"implicit accuracy on fresh draws, per seed: {string.Join(", ", fresh)}");
    }

    [Fact]
    public void Per_group_adapters_learn_opposite_preferences()
    {
        // Group "reds" prefers the reddish image, group "blues" the bluish one: one adapter per group, trained in turn on
        // the same UNet, stored in the bank and switched at evaluation.
        var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
        var reds = Reds();
        var pairs = Enumerable.Range(0, reds.Count).Select(i => reds.Get(i) with { Group = "reds" })
            .Concat(Enumerable.Range(0, reds.Count).Select(i => reds.Get(i) with { Probability0 = 1 - reds.Get(i).Probability0, Group = "blues" }))
            .ToList();
        var data = new InMemoryPreferenceSource(pairs);
        var opts = new DpoOptions { Mode = FineTuneMode.Lora, LearningRate = 3e-3f, BatchSize = 8, Steps = 40, WarmupFraction = 0.1f, LoraRank = 8, LoraAlpha = 8, Group = "reds" };
        var redTrainer = new DpoTrainer(model, data, opts);
        redTrainer.Train();
        var bank = redTrainer.Adapters!;
        bank.Store("reds");
        var blueTrainer = new DpoTrainer(model, data, opts with { Group = "blues" }, adapters: bank);
        blueTrainer.Train();
        bank.Store("blues");

        // The blues pairs mirror the reds pairs, so on the same draws accuracy(blues) = 1 - accuracy(reds) and the inside
        // terms change sign: each adapter must be right on its own group more often than not, with a positive mean margin.
        bank.Activate("reds");
        var redOnRed = redTrainer.Evaluate(5, 4);
        bank.Activate("blues");
        var blueOnBlue = blueTrainer.Evaluate(5, 4);
        bank.SetEnabled(false);
        Assert.True(redOnRed.ImplicitAccuracy >= 0.625f && redOnRed.InsideTerm.Average() > 0, $"reds adapter on reds: accuracy {redOnRed.ImplicitAccuracy}, mean inside {redOnRed.InsideTerm.Average()}");
        Assert.True(blueOnBlue.ImplicitAccuracy >= 0.625f && blueOnBlue.InsideTerm.Average() > 0, $"blues adapter on blues: accuracy {blueOnBlue.ImplicitAccuracy}, mean inside {blueOnBlue.InsideTerm.Average()}");
        Assert.Equal(0.5f, blueTrainer.Evaluate(5, 4).ImplicitAccuracy); // adapters off: the model is its reference, every pair a tie
    }

    [Theory]
    [InlineData(FineTuneMode.Full)]
    [InlineData(FineTuneMode.Lora)]
    public void Resume_from_checkpoint_is_bit_for_bit(FineTuneMode mode)
    {
        var opts = new DpoOptions { Mode = mode, LearningRate = 1e-3f, Beta = 500f, BatchSize = 4, MicroBatchSize = 2, Steps = 4, WarmupFraction = 0.25f };
        var straight = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), Reds(), opts);
        var a = new List<DpoStepLog>();
        straight.Train(a.Add);

        var first = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), Reds(), opts);
        var b = new List<DpoStepLog>();
        first.Train(b.Add, maxSteps: 2);
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-dpo-{Guid.NewGuid():N}.safetensors");
        try
        {
            first.SaveCheckpoint(path);
            var other = new DiffusionModel(TestUtil.TinyConfig(), Tok); // same text encoder (DPO freezes it), other UNet weights
            other.UNet.LoadStateDict(new DiffusionModel(TestUtil.TinyConfig(seed: 5), Tok).UNet.StateDict());
            var second = new DpoTrainer(other, Reds(), opts); // its UNet and (Full) its reference copy are overwritten by the checkpoint
            second.LoadCheckpoint(path);
            second.Train(b.Add);
            Assert.Equal(a.Select(l => (l.Loss, l.ImplicitAccuracy, l.ModelMse, l.ReferenceMse, l.LearningRate)), b.Select(l => (l.Loss, l.ImplicitAccuracy, l.ModelMse, l.ReferenceMse, l.LearningRate)));
            foreach (var (name, t) in straight.Model.UNet.StateDict())
            {
                Assert.Equal(t.Data, second.Model.UNet.StateDict()[name].Data);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Ties_criteria_groups_and_soft_labels_are_explicit()
    {
        var img = TestUtil.Solid(0, 0, 0);
        var src = new InMemoryPreferenceSource(
        [
            new PreferencePair(img, img, "a", 1f, "Safety", "g1"),
            new PreferencePair(img, img, "a", 0.5f, "Safety", "g1"),
            new PreferencePair(img, img, "a", 0.25f, "Comfort", "g2"),
            PreferencePair.FromPreference(img, img, "a", 0.5f, "Diversity", "g1"), // p0 = 0.25
        ]);
        var drop = DpoTrainer.Prepare(src, new DpoOptions());
        Assert.Equal(3, drop.Examples.Count);
        Assert.Equal(1, drop.TiesDropped);
        Assert.True(drop.Examples[1].Swap);
        Assert.All(drop.Examples, e => Assert.Equal(1f, e.Weight));
        Assert.All(drop.Examples, e => Assert.Null(e.SoftLabel));

        var soft = DpoTrainer.Prepare(src, new DpoOptions { Ties = TiePolicy.SoftHalf, Labels = LabelMode.SoftCrossEntropy });
        Assert.Equal(4, soft.Examples.Count);
        Assert.Equal(1, soft.TiesKept);
        Assert.Equal([1f, 0.5f, 0.75f, 0.75f], soft.Examples.Select(e => e.SoftLabel!.Value));

        var margin = DpoTrainer.Prepare(src, new DpoOptions { Labels = LabelMode.MarginScaled, CriterionWeights = new Dictionary<string, float> { ["Comfort"] = 2f, ["Diversity"] = 0f } });
        Assert.Equal([1f, 1f], margin.Examples.Select(e => e.Weight)); // 2p-1 = 1; Comfort: 2 x (2 x 0.75 - 1)
        Assert.Equal(1, margin.ZeroWeightDropped);

        // a pair's own weight (the dataset's weight column) multiplies its criterion's; 0 drops it; negative is refused
        var weighted = new InMemoryPreferenceSource(
        [
            new PreferencePair(img, img, "a", 1f, "Comfort", Weight: 0.5f),
            new PreferencePair(img, img, "a", 0f, "Safety", Weight: 3f),
            new PreferencePair(img, img, "a", 1f, "Safety", Weight: 0f),
        ]);
        var pairWeights = DpoTrainer.Prepare(weighted, new DpoOptions { CriterionWeights = new Dictionary<string, float> { ["Comfort"] = 2f } });
        Assert.Equal([1f, 3f], pairWeights.Examples.Select(e => e.Weight));
        Assert.Equal(1, pairWeights.ZeroWeightDropped);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => DpoTrainer.Prepare(new InMemoryPreferenceSource([new PreferencePair(img, img, "a", 1f, Weight: -1f)]), new DpoOptions())).Message, StringComparison.Ordinal);

        var group = DpoTrainer.Prepare(src, new DpoOptions { Group = "g2" });
        Assert.Single(group.Examples);
        Assert.Equal(3, group.OtherGroups);

        Assert.Throws<ArgumentException>(() => DpoTrainer.Prepare(new InMemoryPreferenceSource([new PreferencePair(img, img, "a", 1.5f)]), new DpoOptions()));
        var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
        Assert.Throws<InvalidOperationException>(() => new DpoTrainer(model, new InMemoryPreferenceSource([new PreferencePair(img, img, "a", 0.5f)]), new DpoOptions()));
    }

    [Fact]
    public void Learning_rate_scaling_warmup_and_accumulation()
    {
        var data = Reds();
        var scaled = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, new DpoOptions { ScaleLearningRate = true, BatchSize = 8, MicroBatchSize = 4, Steps = 10 });
        Assert.Equal(8e-8f, scaled.LearningRate); // 1e-8 x effective batch 8
        var logs = new List<DpoStepLog>();
        scaled.Train(logs.Add, maxSteps: 3);
        Assert.Equal([4e-8f, 8e-8f, 8e-8f], logs.Select(l => l.LearningRate)); // 20% of 10 steps = 2 warmup steps

        // accumulation over micro-batches gives the same step as one pass over the whole batch
        var opts = new DpoOptions { LearningRate = 1e-3f, Beta = 50f, BatchSize = 8, Steps = 3, WarmupFraction = 0 };
        var whole = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts);
        var split = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts with { MicroBatchSize = 2 });
        var a = new List<DpoStepLog>();
        var b = new List<DpoStepLog>();
        whole.Train(a.Add);
        split.Train(b.Add);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(a[i].Loss - b[i].Loss) < 1e-4, $"step {i + 1}: loss {a[i].Loss} vs {b[i].Loss}");
            Assert.Equal(a[i].ImplicitAccuracy, b[i].ImplicitAccuracy);
        }

        NumericAssert.Close(whole.Model.UNet.ConvOut.Weight.Data, split.Model.UNet.ConvOut.Weight.Data, 1e-3, "weights after 3 steps");
    }
}
