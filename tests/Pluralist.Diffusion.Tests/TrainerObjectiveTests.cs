namespace Pluralist.Diffusion.Tests;

/// <summary>
/// <see cref="DpoTrainer"/> with each <see cref="DpoObjective"/>, the strength margin and the curriculum: each objective
/// trains a tiny model toward a tiny preference set, group-robust weights follow the group with the higher loss, the
/// curriculum orders the batches by strength, resumes are bit for bit.
/// </summary>
public class TrainerObjectiveTests
{
    private static readonly WordTokenizer Tok = new(["red", "blue", "square", "park"]);

    /// <summary>Eight pairs, the reddish image preferred (p = 0.9 or 1), in group "reds" (as <c>DpoTrainerTests.Reds</c>).</summary>
    private static List<PreferencePair> Reds(string group = "reds") => [.. Enumerable.Range(0, 8).Select(i =>
    {
        var red = TestUtil.Solid(0.7f, -0.5f, -0.5f, seed: (ulong)(10 + i), texture: 0.2f);
        var blue = TestUtil.Solid(-0.5f, -0.5f, 0.7f, seed: (ulong)(20 + i), texture: 0.2f);
        float p = i % 2 == 0 ? 1f : 0.9f;
        return i % 3 == 0 ? new PreferencePair(blue, red, "a square", 1 - p, Group: group) : new PreferencePair(red, blue, "a square", p, Group: group);
    })];

    public static TheoryData<DpoObjective> Objectives => new() { DpoObjective.Dpo, DpoObjective.GroupRobust, DpoObjective.Kto, DpoObjective.Mapo };

    [Theory]
    [MemberData(nameof(Objectives))]
    public void Each_objective_lowers_its_loss_and_moves_implicit_accuracy(DpoObjective objective)
    {
        // Full fine-tuning, 40 steps of the 8 pairs (the settings under which DPO overfits them in DpoTrainerTests).
        // Implicit accuracy is DPO's, against the reference, on 4 fresh draws of (t, eps) per pair, for every objective.
        var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
        var trainer = new DpoTrainer(model, new InMemoryPreferenceSource(Reds()), new DpoOptions { Objective = objective, LearningRate = 2e-3f, Beta = 500f, BatchSize = 8, Steps = 40, WarmupFraction = 0.1f });
        var before = trainer.Evaluate(5, repeats: 4);
        var logs = new List<DpoStepLog>();
        trainer.Train(logs.Add);
        var after = trainer.Evaluate(5, repeats: 4);
        Assert.Equal(0.5f, before.ImplicitAccuracy);
        double first = logs.Take(5).Average(l => l.Loss), last = logs.TakeLast(5).Average(l => l.Loss);
        Assert.True(last < first, $"{objective}: mean loss of the first 5 steps {first}, last 5 {last}");
        Assert.True(after.ImplicitAccuracy >= 0.75f, $"{objective}: implicit accuracy on fresh draws {after.ImplicitAccuracy}");
        Assert.All(logs, l => Assert.True(float.IsFinite(l.Loss)));
        if (objective == DpoObjective.Mapo)
        {
            Assert.All(logs, l => Assert.True(float.IsNaN(l.ReferenceMse))); // no reference pass
        }
        else
        {
            Assert.All(logs, l => Assert.True(float.IsFinite(l.ReferenceMse)));
        }

        if (objective == DpoObjective.GroupRobust)
        {
            Assert.All(logs, l => Assert.Equal("reds", l.WorstGroup));
            Assert.Equal([1.0], trainer.GroupWeights!); // one group: its weight stays 1, and the loss is DPO's
        }
        else
        {
            Assert.All(logs, l => Assert.Null(l.WorstGroup));
        }
    }

    [Fact]
    public void Kto_starts_at_one_half_and_group_robust_with_one_group_is_dpo()
    {
        // Model = reference: every KTO image's z is 0, so 1 - h = 1/2 per image; with one group, group-robust DPO's
        // multipliers are 1 and its steps repeat DPO's exactly.
        var data = new InMemoryPreferenceSource(Reds());
        var opts = new DpoOptions { LearningRate = 1e-3f, Beta = 500f, BatchSize = 4, Steps = 3, WarmupFraction = 0 };
        var kto = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts with { Objective = DpoObjective.Kto }).TrainStep();
        Assert.Equal(0.5, kto.Loss, 6);
        Assert.Equal(0.5f, kto.ImplicitAccuracy);

        var dpo = new List<DpoStepLog>();
        var robust = new List<DpoStepLog>();
        new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts).Train(dpo.Add);
        new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts with { Objective = DpoObjective.GroupRobust }).Train(robust.Add);
        Assert.Equal(dpo.Select(l => (l.Loss, l.ImplicitAccuracy, l.ModelMse)), robust.Select(l => (l.Loss, l.ImplicitAccuracy, l.ModelMse)));
    }

    [Fact]
    public void Group_robust_weights_move_toward_the_group_with_the_higher_loss()
    {
        // "reds" agree with each other; "mixed" holds the same pairs twice with opposite labels, so no model fits it and
        // its loss stays near log 2 while the reds' falls: its weight must grow, and it is logged as the worst group while
        // the reds learn. (Later the weights pull the model toward the mixed pairs and the two losses approach each other,
        // which is what the minimax objective asks: measured, "mixed" was the worst in steps 2-12, then in about half.)
        var mixed = Reds("mixed").Concat(Reds("mixed").Select(p => p with { Probability0 = 1 - p.Probability0 }));
        var data = new InMemoryPreferenceSource([.. Reds(), .. Reds(), .. mixed]);
        var trainer = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, new DpoOptions { Objective = DpoObjective.GroupRobust, GroupStepSize = 1f, LearningRate = 2e-3f, Beta = 500f, BatchSize = 16, Steps = 40, WarmupFraction = 0.1f });
        Assert.Equal(["mixed", "reds"], trainer.Preparation.Groups!);
        var logs = new List<DpoStepLog>();
        trainer.Train(logs.Add);
        var w = trainer.GroupWeights!;
        Assert.True(w[0] > 0.6, $"weights mixed {w[0]}, reds {w[1]}");
        Assert.Equal(w, logs[^1].GroupWeights!);
        Assert.True(logs.Skip(1).Take(10).Count(l => l.WorstGroup == "mixed") >= 8, string.Join(", ", logs.Select(l => l.WorstGroup)));
        Assert.Equal(Math.Log(2), logs[0].WorstGroupLoss, 5); // step 1: model = reference, every term log 2

        // With step size 0 the weights stay equal.
        var fixedWeights = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, new DpoOptions { Objective = DpoObjective.GroupRobust, GroupStepSize = 0f, LearningRate = 2e-3f, Beta = 500f, BatchSize = 16, Steps = 3 });
        fixedWeights.Train();
        Assert.Equal([0.5, 0.5], fixedWeights.GroupWeights!);
    }

    [Fact]
    public void Group_robust_with_gradient_accumulation_equals_one_pass()
    {
        // The accumulation path moves the weights on a pass without gradients first; the draws are per pair, so it must
        // give the one-pass step (weights exactly, loss and parameters to float summation order).
        var data = new InMemoryPreferenceSource([.. Reds("a"), .. Reds("b").Select(p => p with { Probability0 = 1 - p.Probability0 })]);
        var opts = new DpoOptions { Objective = DpoObjective.GroupRobust, GroupStepSize = 2f, LearningRate = 1e-3f, Beta = 50f, BatchSize = 8, Steps = 3, WarmupFraction = 0 };
        var whole = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts);
        var split = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts with { MicroBatchSize = 2 });
        var a = new List<DpoStepLog>();
        var b = new List<DpoStepLog>();
        whole.Train(a.Add);
        split.Train(b.Add);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(a[i].Loss - b[i].Loss) < 1e-4, $"step {i + 1}: loss {a[i].Loss} vs {b[i].Loss}");
            Assert.Equal(a[i].WorstGroup, b[i].WorstGroup);
            Testing.NumericAssert.Close([.. a[i].GroupWeights!.Select(x => (float)x)], [.. b[i].GroupWeights!.Select(x => (float)x)], 1e-5, $"weights at step {i + 1}");
        }

        Assert.NotEqual(0.5, a[^1].GroupWeights![0]);
    }

    [Fact]
    public void Strength_margin_enters_the_dpo_term()
    {
        // At step 1 every inside term is 0, so each pair's term is -log sigmoid(-gamma (2p - 1)) = log(1 + exp(gamma (2p - 1))):
        // the hard labels keep their strength p in the margin (p = 1 or 0.9 here, 2p - 1 = 1 or 0.8).
        var data = new InMemoryPreferenceSource(Reds());
        var trainer = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, new DpoOptions { MarginPerStrength = 2f, BatchSize = 8, Steps = 2 });
        Assert.Equal([1f, 0.8f, 1f, 0.8f, 1f, 0.8f, 1f, 0.8f], trainer.Preparation.Examples.Select(e => MathF.Round(e.Strength, 5)));
        var log = trainer.TrainStep();
        double expected = trainer.Preparation.Examples.Average(e => Math.Log(1 + Math.Exp(2 * e.Strength)));
        Assert.Equal(expected, log.Loss, 5);
        Assert.Equal(0.5f, log.ImplicitAccuracy); // accuracy reads the inside term, not the margin
    }

    [Fact]
    public void Curriculum_orders_batches_from_strong_to_weak_answers()
    {
        // 40 pairs with strengths 2p - 1 = 0.025 .. 1; hard labels keep the strength for the curriculum.
        var img = TestUtil.Solid(0, 0, 0);
        var pairs = Enumerable.Range(1, 40).Select(i => new PreferencePair(img, img, "a square", 0.5f + (i / 80f))).ToList();
        var data = new InMemoryPreferenceSource(pairs);
        var opts = new DpoOptions { Curriculum = true, CurriculumStart = 0.25f, CurriculumRamp = 0.5f, BatchSize = 4, Steps = 40 };
        var trainer = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts);
        var ex = trainer.Preparation.Examples;
        float Strength(int i) => ex[i].Strength;
        var perStep = Enumerable.Range(0, 40).Select(s => trainer.Draws(s).Examples.Select(Strength).ToArray()).ToList();

        // step 0: only the strongest quarter (10 pairs, strength >= 0.775); the pool grows until step 20, then holds all
        Assert.All(perStep[0], v => Assert.True(v >= 0.775f - 1e-6, $"step 0 drew strength {v}"));
        Assert.Equal(10, trainer.CurriculumPool(0));
        Assert.Equal(40, trainer.CurriculumPool(20));
        for (int s = 1; s < 40; s++)
        {
            Assert.True(trainer.CurriculumPool(s) >= trainer.CurriculumPool(s - 1));
        }

        double early = perStep.Take(10).Average(a => a.Average()), late = perStep.Skip(30).Average(a => a.Average());
        Assert.True(early > late + 0.2, $"mean strength of the first 10 batches {early}, last 10 {late}");
        Assert.Equal(40, Enumerable.Range(0, 40).SelectMany(s => trainer.Draws(s).Examples).Distinct().Count()); // every pair is used

        // Without the curriculum, the epoch-shuffled order: the first batch is not the strongest pairs.
        var plain = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts with { Curriculum = false });
        Assert.Contains(Enumerable.Range(0, 10), s => plain.Draws(s).Examples.Any(i => Strength(i) < 0.5f));

        // Equal strengths (hard livs labels): every pair is in the pool from step 0.
        var flat = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), new InMemoryPreferenceSource([.. pairs.Select(p => p with { Probability0 = 1f })]), opts);
        Assert.Equal(40, flat.CurriculumPool(0));
    }

    [Theory]
    [MemberData(nameof(Objectives))]
    public void Resume_from_checkpoint_is_bit_for_bit(DpoObjective objective)
    {
        var data = new InMemoryPreferenceSource([.. Reds("a"), .. Reds("b").Select(p => p with { Probability0 = 1 - p.Probability0 })]);
        var opts = new DpoOptions { Objective = objective, GroupStepSize = 1f, Curriculum = objective == DpoObjective.Kto, LearningRate = 1e-3f, Beta = 500f, BatchSize = 4, MicroBatchSize = 2, Steps = 4, WarmupFraction = 0.25f };
        var straight = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts);
        var a = new List<DpoStepLog>();
        straight.Train(a.Add);

        var first = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts);
        var b = new List<DpoStepLog>();
        first.Train(b.Add, maxSteps: 2);
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-objective-{Guid.NewGuid():N}.safetensors");
        try
        {
            first.SaveCheckpoint(path);
            var second = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts);
            second.LoadCheckpoint(path);
            second.Train(b.Add);
            Assert.Equal(a.Select(l => (l.Loss, l.ImplicitAccuracy, l.ModelMse, l.WorstGroup)), b.Select(l => (l.Loss, l.ImplicitAccuracy, l.ModelMse, l.WorstGroup)));
            Assert.Equal(straight.GroupWeights, second.GroupWeights);
            foreach (var (name, t) in straight.Model.UNet.StateDict())
            {
                Assert.Equal(t.Data, second.Model.UNet.StateDict()[name].Data);
            }

            // a checkpoint of one objective does not load into a trainer of another
            var other = new DpoTrainer(new DiffusionModel(TestUtil.TinyConfig(), Tok), data, opts with { Objective = objective == DpoObjective.Dpo ? DpoObjective.Mapo : DpoObjective.Dpo });
            Assert.Contains("objective", Assert.Throws<FormatException>(() => other.LoadCheckpoint(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Combinations_an_objective_cannot_honour_are_refused()
    {
        var data = new InMemoryPreferenceSource(Reds());
        var model = new DiffusionModel(TestUtil.TinyConfig(), Tok);
        string Refused(DpoOptions o) => Assert.Throws<ArgumentException>(() => new DpoTrainer(model, data, o)).Message;
        Assert.Contains("soft labels", Refused(new DpoOptions { Objective = DpoObjective.Kto, Labels = LabelMode.SoftCrossEntropy }), StringComparison.Ordinal);
        Assert.Contains("ties", Refused(new DpoOptions { Objective = DpoObjective.Mapo, Ties = TiePolicy.SoftHalf }), StringComparison.Ordinal);
        Assert.Contains("margin", Refused(new DpoOptions { Objective = DpoObjective.Mapo, MarginPerStrength = 1 }), StringComparison.Ordinal);
        Assert.Contains("margin", Refused(new DpoOptions { MarginPerStrength = -1 }), StringComparison.Ordinal);
        Assert.Contains("step size", Refused(new DpoOptions { Objective = DpoObjective.GroupRobust, GroupStepSize = float.NaN }), StringComparison.Ordinal);
        Assert.Contains("KTO", Refused(new DpoOptions { Objective = DpoObjective.Kto, KtoUndesirableWeight = -1 }), StringComparison.Ordinal);
        Assert.Contains("MaPO", Refused(new DpoOptions { Objective = DpoObjective.Mapo, MapoSnr = 0 }), StringComparison.Ordinal);
        Assert.Contains("curriculum", Refused(new DpoOptions { Curriculum = true, CurriculumStart = 0 }), StringComparison.Ordinal);

        // group-robust DPO needs a group on every pair
        var ungrouped = new InMemoryPreferenceSource([.. Reds(), new PreferencePair(TestUtil.Solid(0, 0, 0), TestUtil.Solid(1, 1, 1), "a square", 1f)]);
        var e = Assert.Throws<InvalidOperationException>(() => new DpoTrainer(model, ungrouped, new DpoOptions { Objective = DpoObjective.GroupRobust }));
        Assert.Contains("1 of 9", e.Message, StringComparison.Ordinal);
    }
}
