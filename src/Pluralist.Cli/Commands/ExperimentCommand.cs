using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Analysis.Evaluation;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Reward;
using Pluralist.Studies.Alignment;
using Pluralist.Studies.Reward;

namespace Pluralist.Cli;

/// <summary><c>pluralist experiment livs-sim</c>: the closed alignment experiment with simulated participants.</summary>
public static class ExperimentCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static Command Create()
    {
        var experiment = new Command("experiment", "Closed experiments on the embedded model.");
        var seed = new Option<int>("--seed") { Description = "Seed of participants, draws and DPO.", DefaultValueFactory = _ => 1 };
        var size = new Option<string>("--size") { Description = "tiny, compact, small or default.", DefaultValueFactory = _ => "default" };
        var model = new Option<string>("--model") { Description = "Base model.", DefaultValueFactory = _ => Path.Combine("models", "base32-small.safetensors") };
        var probe = new Option<string>("--probe") { Description = "Perception probe.", DefaultValueFactory = _ => Path.Combine("models", "probe32.safetensors") };
        var output = new Option<string>("--out") { Description = "Work folder: images, dataset, models, results.json.", DefaultValueFactory = _ => "livs-sim" };
        var steps = new Option<int?>("--dpo-steps") { Description = "DPO steps (default: the size's)." };
        var lr = new Option<float>("--lr") { Description = "DPO learning rate (full fine-tuning; default 2.048e-5 = LIVS's 1e-8 x 2048, the rate the reference launchers use after --scale_lr).", DefaultValueFactory = _ => 2.048e-5f };
        var beta = new Option<float>("--beta") { Description = "beta_dpo.", DefaultValueFactory = _ => 5000f };
        var objective = new Option<string>("--objective") { Description = "The loss of both arms: dpo, group-robust (groups: the annotators' consented disability marker), kto or mapo.", DefaultValueFactory = _ => "dpo" };
        var arms = new Option<string?>("--arms") { Description = "Compare arms side by side on the same images, annotations and labels, each against the base and its own shuffled-label control: all, or a comma-separated list of dpo (pooled), lora (one DPO adapter per consented disability group; judges see their own group's), group-robust, kto, mapo. Annotators and judges are recruited with a quota of 5 mobility-limited (at most half)." };
        var studies = new ExperimentScalingCommand();
        var loraLr = new Option<float>("--lora-lr") { Description = "Learning rate of the lora arm's adapters (rank 8, alpha 16, every linear layer).", DefaultValueFactory = _ => 1e-3f };
        var noReward = new Option<bool>("--no-reward") { Description = "Do not train the reward model (world-clip backbone, criterion and group conditioned) on the annotations nor score the A/B judgements with it." };
        var rewardSteps = new Option<int?>("--reward-steps") { Description = "Reward-model training steps (default 400; 100 at tiny and compact)." };
        var livs = new Command("livs-sim", "Base model -> images -> simulated LIVS annotation through the perception probe -> cleaning -> livs labels -> DPO -> blind A/B on held-out prompts (case study I), with a shuffled-label control.")
        {
            seed, size, model, probe, output, steps, lr, beta, objective, arms, loraLr, noReward, rewardSteps,
        };
        foreach (var o in studies.Options)
        {
            livs.Options.Add(o);
        }

        livs.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var sz = LivsSimSize.Parse(parse.GetValue(size)!);
            var armList = parse.GetValue(arms) is { } armText ? LivsSimExperiment.ParseArms(armText) : null;
            CommandHelpers.Require(armList is null || parse.GetResult(objective) is null or { Implicit: true }, "--objective", "not with --arms (each arm has its objective)");
            float loraRate = parse.GetValue(loraLr);
            CommandHelpers.Require(loraRate > 0 && float.IsFinite(loraRate), "--lora-lr", "must be a positive number");
            CommandHelpers.Require(armList is not null || parse.GetResult(loraLr) is null or { Implicit: true }, "--lora-lr", "only with --arms");
            float rate = parse.GetValue(lr), b = parse.GetValue(beta);
            CommandHelpers.Require(rate > 0 && float.IsFinite(rate), "--lr", "must be a positive number");
            CommandHelpers.Require(b > 0 && float.IsFinite(b), "--beta", "must be a positive number");
            int dpoSteps = parse.GetValue(steps) ?? sz.DpoSteps;
            bool reward = !parse.GetValue(noReward);
            int rewardStepCount = parse.GetValue(rewardSteps) ?? LivsSimRewardEvaluator.DefaultSteps(sz);
            CommandHelpers.Require(rewardStepCount >= 1, "--reward-steps", "must be at least 1");
            CommandHelpers.Require(reward || parse.GetResult(rewardSteps) is null or { Implicit: true }, "--reward-steps", "not with --no-reward");
            CommandHelpers.Require(dpoSteps >= 1, "--dpo-steps", "must be at least 1");
            var study = studies.Parse(parse, armList is not null, parse.GetValue(steps) is not null);
            var modelPath = parse.GetValue(model)!;
            var baseModel = CommandHelpers.LoadModel(modelPath, "--model");
            var p = CommandHelpers.LoadProbe(parse.GetValue(probe)!, "--probe");
            CommandHelpers.Require(p.Config.ImageSize == baseModel.Config.UNet.ImageSize, "--probe", $"reads {p.Config.ImageSize}px images, the model draws {baseModel.Config.UNet.ImageSize}px");
            var clipDir = CommandHelpers.DefaultWorldClip();
            CommandHelpers.Require(!reward || study is not null || Directory.Exists(clipDir), "--no-reward", $"the reward model needs the shipped world-clip ({clipDir} not found); give --no-reward to run without it");
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var dpo = new DpoOptions { Steps = dpoSteps, BatchSize = sz.DpoBatch, LearningRate = rate, Beta = b, Seed = (ulong)parse.GetValue(seed), WarmupFraction = 0.2f, Objective = DpoCommand.ParseObjective(parse.GetValue(objective)!) };
            var sw = System.Diagnostics.Stopwatch.StartNew();
            if (study is not null)
            {
                ExperimentScalingCommand.Run(study, new LivsSimExperiment(modelPath, p, sz, parse.GetValue(seed), dir, dpo, m => Console.WriteLine($"[{sw.Elapsed:hh\\:mm\\:ss}] {m}")), dir, JsonOptions, sw, ct);
                return 0;
            }

            var evaluator = reward ? new LivsSimRewardEvaluator(new WorldClipBackbone(WorldClip.Load(clipDir)), new RewardTrainingOptions { Steps = rewardStepCount, Seed = (ulong)parse.GetValue(seed) }) : null;
            var result = new LivsSimExperiment(modelPath, p, sz, parse.GetValue(seed), dir, dpo, m => Console.WriteLine($"[{sw.Elapsed:hh\\:mm\\:ss}] {m}"), armList, loraRate) { RewardEvaluator = evaluator }.Run(ct);
            if (result.Arms is { } compared)
            {
                PrintComparison(result, compared);
            }
            else
            {
                Print(result);
            }

            PrintEvaluators(result);

            TrainCommands.SaveAtomic(Path.Combine(dir, "results.json"), f => File.WriteAllText(f, JsonSerializer.Serialize(result, JsonOptions)));
            Console.WriteLine($"results -> {Path.Combine(dir, "results.json")} ({sw.Elapsed.TotalMinutes:F1} min)");
            await Task.CompletedTask;
            return 0;
        }));
        experiment.Subcommands.Add(livs);
        return experiment;
    }

    private static void Print(LivsSimResult r)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"livs-sim seed {r.Seed}, size {r.Size}, objective {DpoCommand.ObjectiveName(Enum.Parse<DpoObjective>(r.Objective))}: {r.Images} images, {r.Annotations} annotations, {r.Labels} livs labels ({string.Join(", ", (r.LabelsPerGroup ?? new Dictionary<string, int>()).Select(kv => $"{kv.Key}: {kv.Value}"))}); {r.SecondsPerImage:F2} s/image, {r.SecondsPerDpoStep:F2} s/training step"));
        foreach (var arm in new[] { r.Aligned, r.Control, r.AlignedVsControl })
        {
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{arm.Name} vs {arm.Versus} (case study I; win = {arm.Name} preferred): mean perceived utility {arm.Versus} {arm.BaseUtility:F3}, {arm.Name} {arm.ArmUtility:F3}; final implicit accuracy of {arm.Name} {arm.FinalImplicitAccuracy:F2}"));
            Console.WriteLine($"{"scope",-20} {"wins",5} {"neutral",7} {"losses",6} {"win rate",8} {"sign p",8}");
            foreach (var s in new[] { arm.Table.Overall }.Concat(arm.Table.PerCriterion).Concat(arm.PerGroup ?? []))
            {
                Row(s);
            }

            Console.WriteLine($"worst group: {arm.WorstGroup ?? "-"}; {arm.ParticipantsPreferring} of {arm.Participants} judges preferred {arm.Name} in more of their non-neutral answers");
        }
    }

    private static void PrintComparison(LivsSimResult r, IReadOnlyList<LivsSimCompareArm> arms)
    {
        static string Groups(IReadOnlyDictionary<string, int>? d) => string.Join(", ", (d ?? new Dictionary<string, int>()).Select(kv => $"{(kv.Key.Length == 0 ? "no group" : kv.Key)}: {kv.Value}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"livs-sim seed {r.Seed}, size {r.Size}, arms {string.Join(", ", arms.Select(a => a.Arm))}: {r.Images} images, {r.Annotations} annotations, {r.Labels} livs labels ({Groups(r.LabelsPerGroup)}); annotators {Groups(r.AnnotatorsPerGroup)}; judges {Groups(r.JudgesPerGroup)}"));
        Console.WriteLine("win = the first-named model preferred; p = two-sided sign test; [95% Wilson interval]; worst = the judges' group with the lowest win rate");
        Console.WriteLine($"{"arm",-14} {"comparison",-20} {"wins",5} {"neutral",7} {"losses",6} {"win rate",-20} {"sign p",8}  {"worst group",-20} {"wins",5} {"losses",6} {"win rate",-20} {"sign p",8}");
        foreach (var arm in arms)
        {
            foreach (var (label, c) in new[] { ("vs base", arm.Aligned), ("control vs base", arm.Control), ("vs control", arm.AlignedVsControl) })
            {
                var o = c.Table.Overall.Counts;
                var w = c.PerGroup?.FirstOrDefault(g => g.Scope == c.WorstGroup)?.Counts;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{arm.Arm,-14} {label,-20} {o.Wins,5} {o.Ties,7} {o.Losses,6} {Rate(o),-20} {o.SignTestP,8:G3}  {c.WorstGroup ?? "-",-20} {w?.Wins,5} {w?.Losses,6} {(w is null ? "-" : Rate(w)),-20} {w?.SignTestP,8:G3}"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.SecondsPerImage:F2} s/image; s/training step: {string.Join(", ", arms.Select(a => $"{a.Arm} {a.SecondsPerStep:F2}"))}"));
    }

    /// <summary>Case study IV, then the reward model: held-out accuracy and its verdict on every comparison's judgements beside the judges'.</summary>
    private static void PrintEvaluators(LivsSimResult r)
    {
        if (r.CaseStudyIV is { } iv)
        {
            Console.WriteLine();
            foreach (var line in iv.Describe())
            {
                Console.WriteLine(line);
            }
        }

        if (r.RewardModel is not { } m)
        {
            return;
        }

        Console.WriteLine();
        if (m.NotRun is not null)
        {
            Console.WriteLine($"reward model not trained: {m.NotRun}");
            return;
        }

        static string Acc(AccuracyRow a) => string.Create(CultureInfo.InvariantCulture, $"{a.Accuracy:F3} [{a.Wilson.Lower:F2}, {a.Wilson.Upper:F2}] on {a.NonNeutral}");
        Console.WriteLine($"reward model: {LivsSimRewardModel.Label}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Backbone}, {m.Parameters:N0} parameters, {m.Steps} steps, conditioned on {(m.Groups.Count == 0 ? "no group (none reached the minimum size)" : string.Join(", ", m.Groups.Select(g => $"{LivsSimCaseStudyIV.Axis}={g}")))}; {m.TrainAnswers} training answers, {m.HeldOutAnswers} held out ({m.HeldOutPrompts.Count} prompt(s)); {m.TrainSeconds:F1} s training, {m.Seconds:F1} s in all"));
        Console.WriteLine($"held-out accuracy (non-neutral answers, 95% Wilson): {Acc(m.HeldOut!)}; scored without group {Acc(m.HeldOutWithoutGroup!)}; constant baseline {Acc(m.Constant!)}");
        Console.WriteLine($"per group: {string.Join("; ", m.HeldOutPerGroup.Select(a => $"{a.Scope} {Acc(a)}"))}");
        Console.WriteLine("the reward model on the judges' A/B judgements (same pairs, conditioned on each judge's group): model wins/ties/losses and win rate beside the judges'; agreement over the judges' non-neutral answers");
        Console.WriteLine($"{"comparison",-34} {"scope",-20} {"model w/t/l",14} {"model rate",10} {"judges w/t/l",14} {"judges rate",11} {"alike",6} {"kappa",6}");
        var comparisons = r.Arms is { } arms
            ? arms.SelectMany(a => new[] { a.Aligned, a.Control, a.AlignedVsControl })
            : new[] { r.Aligned, r.Control, r.AlignedVsControl };
        foreach (var c in comparisons)
        {
            foreach (var row in c.Reward ?? [])
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Name + " vs " + c.Versus,-34} {row.Scope,-20} {$"{row.ModelWins}/{row.ModelTies}/{row.ModelLosses}",14} {row.ModelWinRate,10:F3} {$"{row.Judges.Wins}/{row.Judges.Ties}/{row.Judges.Losses}",14} {row.Judges.WinRate,11:F3} {row.AgreeShare,6:F3} {row.Kappa,6:F3}"));
            }
        }
    }

    private static string Rate(WinTieLoss c) => string.Create(CultureInfo.InvariantCulture, $"{c.WinRate:F3} [{c.WinRateInterval.Lower:F2}, {c.WinRateInterval.Upper:F2}]");

    private static void Row(ABSummary s) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Scope,-20} {s.Counts.Wins,5} {s.Counts.Ties,7} {s.Counts.Losses,6} {s.Counts.WinRate,8:F3} {s.Counts.SignTestP,8:G3}"));
}
