using Pluralist.Diffusion;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Reward;
using Pluralist.Tensors;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;
using Pluralist.World.Simulation;
using Pluralist.World.Truth;
using Xunit.Abstractions;

namespace Pluralist.Pipeline.Tests.Reward;

public sealed class RewardModelTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("reward-");

    public void Dispose() => _dir.Delete(true);

    private static RewardModel Tiny(bool groups) => new(new RewardModelConfig
    {
        ImageDim = 3,
        TextDim = 3,
        Criteria = ["accessibility", "comfort"],
        Groups = groups ? ["mobility", "none-limited"] : [],
        GroupConditioned = groups,
        ConditionDim = 2,
        Hidden = 4,
        InitSeed = 5,
    });

    private static RewardBatch TinyBatch(RewardModel model)
    {
        var g = new Generator(3);
        float[] Draw(int n) => g.Normal(0, 1, n).Data;
        return new RewardBatch(Draw(9), Draw(9), Draw(9), [0, 1, 0], model.Config.GroupConditioned ? [1, 2, 0] : [0, 0, 0],
            [PreferencePair.Probability0Of(-0.8), PreferencePair.Probability0Of(0.3), 0.5f], [1f, 0.5f, 2f]);
    }

    [Fact]
    public void Loss_is_the_weighted_soft_bradley_terry_cross_entropy()
    {
        var model = Tiny(groups: true);
        var batch = TinyBatch(model);
        var (loss, margins) = model.PairLoss(batch);
        var r0 = model.Score(batch.Image0, batch.Text, batch.Criteria, batch.Groups);
        var r1 = model.Score(batch.Image1, batch.Text, batch.Criteria, batch.Groups);
        double sum = 0, wsum = 0;
        for (int i = 0; i < 3; i++)
        {
            double d = (double)r0[i] - r1[i], p = batch.Targets[i];
            Assert.Equal(d, margins.Data[i], 5);
            sum += batch.Weights[i] * -((p * Math.Log(1 / (1 + Math.Exp(-d)))) + ((1 - p) * Math.Log(1 / (1 + Math.Exp(d)))));
            wsum += batch.Weights[i];
        }

        Assert.Equal(sum / wsum, loss.Item(), 5);
        Assert.Equal(0.9f, batch.Targets[0], 6); // slider -0.8 (image_0 strongly preferred) -> P(image_0) 0.9
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradient_matches_finite_differences(bool groups)
    {
        var model = Tiny(groups);
        var batch = TinyBatch(model);
        model.ZeroGrad();
        model.PairLoss(batch).Loss.Backward();
        const float h = 1e-2f;
        int checkedCount = 0;
        foreach (var (name, p) in model.NamedParameters())
        {
            for (int i = 0; i < p.Numel; i++)
            {
                float orig = p.Data[i];
                p.Data[i] = orig + h;
                double lp = Eval();
                p.Data[i] = orig - h;
                double lm = Eval();
                p.Data[i] = orig;
                double numeric = (lp - lm) / (2 * h);
                float analytic = p.Grad?.Data[i] ?? 0f;
                Assert.True(Math.Abs(numeric - analytic) <= 2e-3 * Math.Max(1, Math.Abs(numeric)), $"{name}[{i}]: analytic {analytic} numeric {numeric}");
                checkedCount++;
            }
        }

        Assert.True(checkedCount > 50);

        double Eval()
        {
            using var _ = Autograd.NoGrad();
            return model.PairLoss(batch).Loss.Item();
        }
    }

    [Fact]
    public void Training_is_seeded_and_save_load_gives_identical_scores()
    {
        var data = Synthetic(seed: 2, prompts: 12);
        var all = Enumerable.Range(0, data.Comparisons.Count).ToArray();
        var options = new RewardTrainingOptions { Steps = 30, BatchSize = 16, Seed = 9 };
        var a = new RewardTrainer(data, all, groups: true, options, "test").Train();
        var b = new RewardTrainer(data, all, groups: true, options, "test").Train();
        var c = new RewardTrainer(data, all, groups: true, options with { Seed = 10 }, "test").Train();
        var pa = RewardEvaluation.Predict(a, data, all).Select(p => p.Margin).ToArray();
        Assert.Equal(pa, RewardEvaluation.Predict(b, data, all).Select(p => p.Margin).ToArray());
        Assert.NotEqual(pa, RewardEvaluation.Predict(c, data, all).Select(p => p.Margin).ToArray());

        var path = Path.Combine(_dir.FullName, "r.safetensors");
        a.Save(path, new Dictionary<string, string> { ["note"] = "x" });
        var (loaded, meta) = RewardModel.Load(path);
        Assert.Equal("x", meta["note"]);
        Assert.Equal(a.Config.Criteria, loaded.Config.Criteria);
        Assert.Equal(a.Config.Groups, loaded.Config.Groups);
        Assert.Equal("test", loaded.Config.Backbone);
        Assert.Equal(pa, RewardEvaluation.Predict(loaded, data, all).Select(p => p.Margin).ToArray());

        File.WriteAllText(path, "not a model");
        var ex = Assert.Throws<InvalidDataException>(() => RewardModel.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_is_refused_and_named()
    {
        var model = Tiny(groups: true);
        Assert.Contains("criterion 'beauty'", Assert.Throws<ArgumentException>(() => model.CriterionIndex("beauty")).Message, StringComparison.Ordinal);
        Assert.Contains("group 'pilots'", Assert.Throws<ArgumentException>(() => model.GroupIndex("pilots")).Message, StringComparison.Ordinal);
        Assert.Equal(0, model.GroupIndex(null));
        Assert.Contains("criterion-only", Assert.Throws<ArgumentException>(() => Tiny(groups: false).GroupIndex("mobility")).Message, StringComparison.Ordinal);

        var data = Synthetic(seed: 2, prompts: 4);
        Assert.Contains("no training comparisons", Assert.Throws<ArgumentException>(() => new RewardTrainer(data, [], groups: false)).Message, StringComparison.Ordinal);
        var bad = new RewardComparison(0, 1, 0, "comfort", null, 1.5f, Source: "answers.csv:7");
        Assert.Contains("answers.csv:7", Assert.Throws<ArgumentException>(() => new RewardData(data.Images, data.Prompts, [bad])).Message, StringComparison.Ordinal);
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => RewardEvaluation.Split(new RewardData(data.Images, data.Prompts, [data.Comparisons[0]]), RewardSplitBy.Prompt, 0.2, 1)).Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The world's planted effect (docs/world.md): mobility-limited participants weigh step-free access three times on
    /// accessibility, and the others ignore the ramp there. With the mobility-limited a quarter of the answerers, a
    /// criterion-only model learns the majority's view; on whole held-out prompts, the model conditioned on the group
    /// predicts the mobility group's accessibility answers better, over three seeds. The image "embedding" here is the
    /// scene's ground-truth feature vector (an oracle backbone), so the test is about the model's conditioning: the
    /// shipped world-clip at 32 px barely sees the ramp (the same data through world-clip gave 0.53-0.69 for the grouped
    /// model against 0.43-0.60 criterion-only over these seeds, not reliably apart; docs/alignment.md).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Group_conditioned_model_beats_criterion_only_on_the_planted_mobility_effect(int seed)
    {
        var data = World(seed, clip: false);
        var (train, test) = RewardEvaluation.Split(data, RewardSplitBy.Prompt, 0.3, (ulong)seed);
        var options = new RewardTrainingOptions { Steps = 200, BatchSize = 64, Seed = (ulong)seed };
        var grouped = new RewardTrainer(data, train, groups: true, options, "world").Train();
        var plain = new RewardTrainer(data, train, groups: false, options, "world").Train();
        bool Mobility(RewardPrediction p) => p.Comparison.Group == "mobility" && p.Comparison.Criterion == "accessibility";
        bool Others(RewardPrediction p) => p.Comparison.Group != "mobility" && p.Comparison.Criterion == "accessibility";
        var gp = RewardEvaluation.Predict(grouped, data, test);
        var cp = RewardEvaluation.Predict(plain, data, test);
        var g = RewardEvaluation.Count("grouped", gp.Where(Mobility));
        var c = RewardEvaluation.Count("criterion-only", cp.Where(Mobility));
        var k = RewardEvaluation.Count("constant", RewardEvaluation.Constant(data, train, test).Where(Mobility));
        output.WriteLine($"seed {seed}: {data.Comparisons.Count} answers, {test.Length} held out; mobility/accessibility: grouped {g.Accuracy:F3} ({g.NonNeutral}), criterion-only {c.Accuracy:F3}, constant {k.Accuracy:F3}; others: grouped {RewardEvaluation.Count("", gp.Where(Others)).Accuracy:F3} criterion-only {RewardEvaluation.Count("", cp.Where(Others)).Accuracy:F3}");
        Assert.True(g.NonNeutral >= 100);
        Assert.True(g.Accuracy > c.Accuracy + 0.1, $"grouped {g.Accuracy:F3} vs criterion-only {c.Accuracy:F3}");
        Assert.True(g.Accuracy > k.Accuracy + 0.15);
    }

    // Random embeddings whose first coordinate decides: enough for determinism and round-trip tests.
    private static RewardData Synthetic(int seed, int prompts)
    {
        var g = new Generator((ulong)seed);
        var images = Enumerable.Range(0, prompts * 3).Select(_ => g.Normal(0, 1, 4).Data).ToList();
        var texts = Enumerable.Range(0, prompts).Select(_ => g.Normal(0, 1, 4).Data).ToList();
        var list = new List<RewardComparison>();
        for (int p = 0; p < prompts; p++)
        {
            for (int k = 0; k < 3; k++)
            {
                int a = (p * 3) + k, b = (p * 3) + ((k + 1) % 3);
                list.Add(new RewardComparison(a, b, p, k == 0 ? "comfort" : "safety", k == 2 ? "mobility" : null, images[a][0] > images[b][0] ? 0.8f : 0.2f, $"P{k}"));
            }
        }

        return new RewardData(images, texts, list);
    }

    // 48 prompts (scenes from the prior) x 4 variants that differ in access and path; 24 simulated participants, a quarter
    // mobility-limited, each answering accessibility and comfort on half of the 6 pairs per prompt.
    private static RewardData World(int seed, bool clip)
    {
        var backbone = new WorldClipBackbone(WorldClip.Load(WorldClipFolder()));
        var random = new Random(seed);
        var specs = new List<SceneSpec>();
        var captions = new List<string>();
        StepFreeAccess[] access = [StepFreeAccess.Stairs, StepFreeAccess.Ramp, StepFreeAccess.RampAndStairs, StepFreeAccess.Stairs];
        const int prompts = 48, variants = 4;
        for (int p = 0; p < prompts; p++)
        {
            var baseSpec = SceneDistribution.Prior(random, (Typology)random.Next(Enum.GetValues<Typology>().Length));
            captions.Add(SceneCaption.Describe(baseSpec, "en"));
            for (int v = 0; v < variants; v++)
            {
                specs.Add(baseSpec with { Access = access[v], SmoothPath = random.NextDouble() < 0.5 });
            }
        }

        var images = clip ? backbone.EmbedImages([.. specs.Select((s, i) => SceneRenderer.Render(s, (seed * 10_000) + i, 96, 96))])
            : [.. specs.Select(s => SceneFeatures.Compute(s).Select(x => (float)x).ToArray())];
        var texts = backbone.EmbedTexts(captions);
        var people = Enumerable.Range(0, 24).Select(i => (Group: i % 4 == 0 ? "mobility" : "no-limitation", Sim: new SimulatedParticipant(
            IdentityProfile.Baseline with { MobilityLimited = i % 4 == 0 }, Behaviour.Careful, (seed * 100) + i))).ToList();
        var list = new List<RewardComparison>();
        for (int p = 0; p < prompts; p++)
        {
            for (int a = 0; a < variants; a++)
            {
                for (int b = a + 1; b < variants; b++)
                {
                    foreach (var person in people.Where(_ => random.NextDouble() < 0.5))
                    {
                        foreach (var criterion in new[] { "accessibility", "comfort" })
                        {
                            // image_0 shown on the left: the slider as shown is the preference (-1 = image_0).
                            double score = person.Sim.Compare(specs[(p * variants) + a], specs[(p * variants) + b], criterion);
                            list.Add(new RewardComparison((p * variants) + a, (p * variants) + b, p, criterion, person.Group, PreferencePair.Probability0Of(score), person.Sim.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                        }
                    }
                }
            }
        }

        return new RewardData(images, texts, list);
    }

    private static string WorldClipFolder()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var f = Path.Combine(d.FullName, "models", "world-clip");
            if (File.Exists(Path.Combine(f, "model.safetensors")))
            {
                return f;
            }
        }

        throw new DirectoryNotFoundException("models/world-clip not found above " + AppContext.BaseDirectory);
    }
}
