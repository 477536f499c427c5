using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Analysis.Evaluation;
using Pluralist.Diffusion;
using Pluralist.Studies.Alignment;

namespace Pluralist.Cli;

/// <summary><c>pluralist experiment livs-sim</c>: the closed alignment experiment with simulated participants.</summary>
public static class ExperimentCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static Command Create()
    {
        var experiment = new Command("experiment", "Closed experiments on the embedded model.");
        var seed = new Option<int>("--seed") { Description = "Seed of participants, draws and DPO.", DefaultValueFactory = _ => 1 };
        var size = new Option<string>("--size") { Description = "tiny, small or default.", DefaultValueFactory = _ => "default" };
        var model = new Option<string>("--model") { Description = "Base model.", DefaultValueFactory = _ => Path.Combine("models", "base32-small.safetensors") };
        var probe = new Option<string>("--probe") { Description = "Perception probe.", DefaultValueFactory = _ => Path.Combine("models", "probe32.safetensors") };
        var output = new Option<string>("--out") { Description = "Work folder: images, dataset, models, results.json.", DefaultValueFactory = _ => "livs-sim" };
        var steps = new Option<int?>("--dpo-steps") { Description = "DPO steps (default: the size's)." };
        var lr = new Option<float>("--lr") { Description = "DPO learning rate (full fine-tuning; default 2.048e-5 = LIVS's 1e-8 x 2048, the rate the reference launchers use after --scale_lr).", DefaultValueFactory = _ => 2.048e-5f };
        var beta = new Option<float>("--beta") { Description = "beta_dpo.", DefaultValueFactory = _ => 5000f };
        var objective = new Option<string>("--objective") { Description = "The loss of both arms: dpo, group-robust (groups: the annotators' consented disability marker), kto or mapo.", DefaultValueFactory = _ => "dpo" };
        var livs = new Command("livs-sim", "Base model -> images -> simulated LIVS annotation through the perception probe -> cleaning -> livs labels -> DPO -> blind A/B on held-out prompts (case study I), with a shuffled-label control.")
        {
            seed, size, model, probe, output, steps, lr, beta, objective,
        };
        livs.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var sz = LivsSimSize.Parse(parse.GetValue(size)!);
            float rate = parse.GetValue(lr), b = parse.GetValue(beta);
            CommandHelpers.Require(rate > 0 && float.IsFinite(rate), "--lr", "must be a positive number");
            CommandHelpers.Require(b > 0 && float.IsFinite(b), "--beta", "must be a positive number");
            int dpoSteps = parse.GetValue(steps) ?? sz.DpoSteps;
            CommandHelpers.Require(dpoSteps >= 1, "--dpo-steps", "must be at least 1");
            var modelPath = parse.GetValue(model)!;
            var baseModel = CommandHelpers.LoadModel(modelPath, "--model");
            var p = CommandHelpers.LoadProbe(parse.GetValue(probe)!, "--probe");
            CommandHelpers.Require(p.Config.ImageSize == baseModel.Config.UNet.ImageSize, "--probe", $"reads {p.Config.ImageSize}px images, the model draws {baseModel.Config.UNet.ImageSize}px");
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var dpo = new DpoOptions { Steps = dpoSteps, BatchSize = sz.DpoBatch, LearningRate = rate, Beta = b, Seed = (ulong)parse.GetValue(seed), WarmupFraction = 0.2f, Objective = DpoCommand.ParseObjective(parse.GetValue(objective)!) };
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var result = new LivsSimExperiment(modelPath, p, sz, parse.GetValue(seed), dir, dpo, m => Console.WriteLine($"[{sw.Elapsed:hh\\:mm\\:ss}] {m}")).Run(ct);
            Print(result);
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

    private static void Row(ABSummary s) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Scope,-20} {s.Counts.Wins,5} {s.Counts.Ties,7} {s.Counts.Losses,6} {s.Counts.WinRate,8:F3} {s.Counts.SignTestP,8:G3}"));
}
