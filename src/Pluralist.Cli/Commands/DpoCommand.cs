using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Diffusion;
using Pluralist.Studies.Alignment;
using Pluralist.Studies.Training;

namespace Pluralist.Cli;

/// <summary><c>pluralist train dpo</c>: Diffusion-DPO (Wallace et al. 2023) of the embedded model on a preference dataset.</summary>
public static class DpoCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The settings of a run, stored next to its checkpoint so that <c>--resume</c> continues the same run.</summary>
    internal sealed record DpoRun(string Dataset, string Split, string Base, DpoOptions Options, string AdapterName);

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset folder written by `pluralist dataset build` (pairs.jsonl, images/).", Required = true };
        var baseModel = new Option<string?>("--base") { Description = "Base model file (safetensors); with --engine torch a Hugging Face id or folder of the base pipeline (default: the model's)." };
        var output = new Option<string>("--out") { Description = "Output: the fine-tuned model (full) or the adapter file (--lora); with --engine torch the run folder.", Required = true };
        var engine = new Option<string>("--engine") { Description = "own (train here, in-process) or torch (write a run folder for a distributed PyTorch engine).", DefaultValueFactory = _ => "own" };
        var torchModel = new Option<string?>("--model") { Description = "With --engine torch: sd15, sdxl or embedded." };
        var gpus = new Option<int>("--gpus") { Description = "With --engine torch: GPUs (processes) per node.", DefaultValueFactory = _ => 1 };
        var nodes = new Option<int>("--nodes") { Description = "With --engine torch: nodes.", DefaultValueFactory = _ => 1 };
        var perDevice = new Option<int>("--per-device-batch") { Description = "With --engine torch: pairs per device per pass; the rest of --batch is gradient accumulation.", DefaultValueFactory = _ => 1 };
        var precision = new Option<string?>("--mixed-precision") { Description = "With --engine torch: no, fp16 or bf16 (default fp16; no for embedded)." };
        var recorded = new Option<int>("--recorded-steps") { Description = "With --engine torch --model embedded: steps whose pair order, timesteps and noise the folder carries from Pluralist's trainer.", DefaultValueFactory = _ => 4 };
        var resolution = new Option<int?>("--resolution") { Description = "With --engine torch: training resolution (default: 512 for sd15, 1024 for sdxl)." };
        var vae = new Option<string?>("--vae") { Description = "With --engine torch --model sdxl: the VAE (default: madebyollin/sdxl-vae-fp16-fix)." };
        var split = new Option<string>("--split") { Description = "Rows of this split (train, validation, test) or all.", DefaultValueFactory = _ => "train" };
        var lora = new Option<bool>("--lora") { Description = "Train LoRA adapters instead of every UNet weight." };
        var loraTargets = new Option<string>("--lora-targets") { Description = "Layers that get adapters: attention (to_q, to_k, to_v, to_out; the reference trainers') or all-linear.", DefaultValueFactory = _ => "attention" };
        var rank = new Option<int>("--rank") { Description = "LoRA rank.", DefaultValueFactory = _ => 4 };
        var alpha = new Option<float>("--alpha") { Description = "LoRA alpha (scale alpha/rank).", DefaultValueFactory = _ => 4f };
        var adapterName = new Option<string>("--adapter-name") { Description = "Name of the adapter in the adapter file (--lora).", DefaultValueFactory = _ => "dpo" };
        var labels = new Option<string>("--labels") { Description = "hard (published), margin (term x (2p - 1)) or soft (soft cross-entropy).", DefaultValueFactory = _ => "hard" };
        var ties = new Option<string>("--ties") { Description = "Pairs with p = 0.5: drop (published) or soft (kept as 0.5 labels).", DefaultValueFactory = _ => "drop" };
        var weights = new Option<string?>("--criterion-weight") { Description = "Per-criterion multipliers, e.g. Safety=2,Comfort=0.5 (0 drops a criterion)." };
        var group = new Option<string?>("--group") { Description = "Train only on pairs of this identity group (per-group adapter)." };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps (LIVS: 500; 1,500 for a whole dataset).", DefaultValueFactory = _ => 500 };
        var batch = new Option<int>("--batch") { Description = "Pairs per optimiser step (LIVS: 64).", DefaultValueFactory = _ => 64 };
        var micro = new Option<int?>("--micro-batch") { Description = "Pairs per forward pass (gradient accumulation); must divide --batch." };
        var lr = new Option<float>("--lr") { Description = "Base learning rate (LIVS: 1e-8).", DefaultValueFactory = _ => 1e-8f };
        var scaleLr = new Option<bool>("--scale-lr") { Description = "Multiply the learning rate by the effective batch size, as the reference launchers do." };
        var beta = new Option<float>("--beta") { Description = "beta_dpo (LIVS: 5000).", DefaultValueFactory = _ => 5000f };
        var warmup = new Option<float>("--warmup") { Description = "Share of the steps with linear warmup.", DefaultValueFactory = _ => 0.2f };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the pair order, timesteps and noise.", DefaultValueFactory = _ => 42UL };
        var every = new Option<int>("--checkpoint-every") { Description = "Write the checkpoint every N steps.", DefaultValueFactory = _ => 50 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in OUT's checkpoint with its stored settings." };
        var objective = new Option<string>("--objective") { Description = "The loss: dpo (Diffusion-DPO, published), group-robust (a weight per identity group, moved toward the worst group), kto (Diffusion-KTO: winners desirable, losers undesirable) or mapo (reference-free MaPO).", DefaultValueFactory = _ => "dpo" };
        var margin = new Option<float>("--margin") { Description = "dpo and group-robust: gamma of a margin gamma x (2p - 1) that grows with the answer's strength p (0: none)." };
        var curriculum = new Option<bool>("--curriculum") { Description = "Easy-to-hard curriculum: the strongest answers first, every pair from --curriculum-ramp of the steps on." };
        var curriculumStart = new Option<float>("--curriculum-start") { Description = "With --curriculum: share of the pairs (strongest first) available at step 0.", DefaultValueFactory = _ => 0.25f };
        var curriculumRamp = new Option<float>("--curriculum-ramp") { Description = "With --curriculum: share of the steps after which every pair is available.", DefaultValueFactory = _ => 0.5f };
        var groupStep = new Option<float>("--group-step") { Description = "group-robust: step size eta of the group weights (alpha_g <- alpha_g exp(eta L_g)).", DefaultValueFactory = _ => 0.1f };
        var ktoDesirable = new Option<float>("--kto-desirable") { Description = "kto: weight lambda_D of a desirable image's term.", DefaultValueFactory = _ => 1f };
        var ktoUndesirable = new Option<float>("--kto-undesirable") { Description = "kto: weight lambda_U of an undesirable image's term.", DefaultValueFactory = _ => 1f };
        var mapoBeta = new Option<float>("--mapo-beta") { Description = "mapo: weight beta of the margin term.", DefaultValueFactory = _ => 0.1f };
        var mapoSnr = new Option<float>("--mapo-snr") { Description = "mapo: the constant signal-to-noise value a.", DefaultValueFactory = _ => 0.5f };
        var cmd = new Command("dpo", "Diffusion-DPO fine-tuning of the embedded model on a preference dataset (full or LoRA).")
        {
            dataset, baseModel, output, split, lora, loraTargets, rank, alpha, adapterName, labels, ties, weights, group, steps, batch, micro, lr, scaleLr, beta, warmup, seed, every, resume,
            objective, margin, curriculum, curriculumStart, curriculumRamp, groupStep, ktoDesirable, ktoUndesirable, mapoBeta, mapoSnr,
            engine, torchModel, gpus, nodes, perDevice, precision, resolution, vae, recorded,
        };
        var submit = new RunsCommands.SubmitOptions();
        submit.AddTo(cmd);
        Option[] torchOnly = [torchModel, gpus, nodes, perDevice, precision, resolution, vae, recorded, submit.Backend];
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var engineName = parse.GetValue(engine);
            if (engineName is not "own" and not "torch")
            {
                throw new CliInputException($"--engine {engineName}: expected own or torch");
            }

            bool torch = engineName == "torch";
            if (!torch && torchOnly.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } given)
            {
                throw new CliInputException($"{given.Name}: only with --engine torch");
            }

            submit.CheckGiven(parse);
            CommandHelpers.Require(!(torch && parse.GetValue(resume)), "--resume", "a torch run resumes in its trainer (run launch.sh again: the trainers continue from their latest checkpoint)");
            var outPath = parse.GetValue(output)!;
            var ckPath = TrainCommands.CheckpointPath(outPath);
            var runPath = ckPath + ".json";
            int every_ = parse.GetValue(every);
            CommandHelpers.Require(every_ >= 1, "--checkpoint-every", "must be at least 1");
            DpoRun run;
            bool resuming = parse.GetValue(resume);
            if (resuming)
            {
                if (!File.Exists(ckPath) || !File.Exists(runPath))
                {
                    throw new CliInputException($"--resume: no checkpoint at {ckPath} (and {runPath})");
                }

                run = JsonSerializer.Deserialize<DpoRun>(await File.ReadAllTextAsync(runPath, ct), JsonOptions) ?? throw new CliInputException($"{runPath}: empty");
            }
            else
            {
                var options = new DpoOptions
                {
                    Mode = parse.GetValue(lora) ? FineTuneMode.Lora : FineTuneMode.Full,
                    LoraRank = parse.GetValue(rank),
                    LoraAlpha = parse.GetValue(alpha),
                    LoraTargets = ParseTargets(parse.GetValue(loraTargets)!),
                    Labels = parse.GetValue(labels) switch
                    {
                        "hard" => LabelMode.Hard,
                        "margin" => LabelMode.MarginScaled,
                        "soft" => LabelMode.SoftCrossEntropy,
                        var x => throw new CliInputException($"--labels {x}: expected hard, margin or soft"),
                    },
                    Ties = parse.GetValue(ties) switch
                    {
                        "drop" => TiePolicy.Drop,
                        "soft" => TiePolicy.SoftHalf,
                        var x => throw new CliInputException($"--ties {x}: expected drop or soft"),
                    },
                    CriterionWeights = CommandHelpers.ParseWeights(parse.GetValue(weights), "--criterion-weight"),
                    Group = parse.GetValue(group),
                    Steps = parse.GetValue(steps),
                    BatchSize = parse.GetValue(batch),
                    MicroBatchSize = parse.GetValue(micro),
                    LearningRate = parse.GetValue(lr),
                    ScaleLearningRate = parse.GetValue(scaleLr),
                    Beta = parse.GetValue(beta),
                    WarmupFraction = parse.GetValue(warmup),
                    Seed = parse.GetValue(seed),
                    Objective = ParseObjective(parse.GetValue(objective)!),
                    MarginPerStrength = parse.GetValue(margin),
                    Curriculum = parse.GetValue(curriculum),
                    CurriculumStart = parse.GetValue(curriculumStart),
                    CurriculumRamp = parse.GetValue(curriculumRamp),
                    GroupStepSize = parse.GetValue(groupStep),
                    KtoDesirableWeight = parse.GetValue(ktoDesirable),
                    KtoUndesirableWeight = parse.GetValue(ktoUndesirable),
                    MapoBeta = parse.GetValue(mapoBeta),
                    MapoSnr = parse.GetValue(mapoSnr),
                };
                ValidateObjective(parse, options, torch, new ObjectiveOptions(objective, margin, curriculum, curriculumStart, curriculumRamp, groupStep, ktoDesirable, ktoUndesirable, mapoBeta, mapoSnr), labels, ties);
                CommandHelpers.Require(options.Steps >= 1, "--steps", "must be at least 1");
                CommandHelpers.Require(options.BatchSize >= 1, "--batch", "must be at least 1");
                CommandHelpers.Require(options.MicroBatchSize is null || (options.MicroBatchSize >= 1 && options.BatchSize % options.MicroBatchSize == 0), "--micro-batch", "must be positive and divide --batch");
                CommandHelpers.Require(options.LearningRate > 0 && float.IsFinite(options.LearningRate), "--lr", "must be a positive number");
                CommandHelpers.Require(options.Beta > 0 && float.IsFinite(options.Beta), "--beta", "must be a positive number");
                CommandHelpers.Require(options.WarmupFraction is >= 0 and <= 1, "--warmup", "must be in [0, 1]");
                CommandHelpers.Require(options.LoraRank >= 1, "--rank", "must be at least 1");
                CommandHelpers.Require(options.LoraAlpha > 0, "--alpha", "must be positive");
                CommandHelpers.Require(!string.IsNullOrWhiteSpace(parse.GetValue(adapterName)) && !parse.GetValue(adapterName)!.Contains('/', StringComparison.Ordinal), "--adapter-name", "must be a non-empty name without '/'");
                if (torch)
                {
                    var request = new TorchRunRequest
                    {
                        Model = TorchRunFolder.ParseModel(parse.GetValue(torchModel) ?? throw new CliInputException("--model: required with --engine torch (sd15, sdxl or embedded)")),
                        Dataset = parse.GetValue(dataset)!,
                        Split = parse.GetValue(split)!,
                        Base = parse.GetValue(baseModel),
                        Vae = parse.GetValue(vae),
                        Options = options,
                        GpusPerNode = parse.GetValue(gpus),
                        Nodes = parse.GetValue(nodes),
                        PerDeviceBatch = parse.GetValue(perDevice),
                        MixedPrecision = parse.GetValue(precision),
                        RecordedSteps = parse.GetValue(recorded),
                        Resolution = parse.GetValue(resolution),
                        CheckpointingSteps = parse.GetResult(every) is { Implicit: false } ? every_ : null,
                    };
                    CommandHelpers.Require(request.Vae is null || request.Model == TorchModel.Sdxl, "--vae", "only with --model sdxl");
                    var manifest = await TorchRunFolder.WriteAsync(request, outPath, ct);
                    var st = manifest.Settings;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run folder {Path.GetFullPath(outPath)}: {manifest.Model} {manifest.Mode}, trainer {manifest.Trainer.Script} ({manifest.Trainer.Source})"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dataset: {manifest.Dataset.Rows[manifest.Dataset.Split]} pairs ({manifest.Dataset.Split}), sha256 {manifest.Dataset.Sha256}"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch {st.EffectiveBatch} = {st.PerDeviceBatch} per device x {st.GradientAccumulationSteps} accumulation x {st.Processes} processes ({st.Nodes} node(s) x {st.GpusPerNode} GPU(s)); beta {st.Beta}, steps {st.Steps}, learning rate used {st.LearningRateUsed:G4} (base {st.LearningRate:G4}{(st.ScaleLr ? $" x batch {st.EffectiveBatch}" : ", not scaled")}, {st.WarmupSteps} warmup steps)"));
                    foreach (var w in manifest.Warnings)
                    {
                        Console.Error.WriteLine("warning: " + w);
                    }

                    Console.WriteLine($"launch: {Path.Combine(Path.GetFullPath(outPath), "launch.sh")}");
                    if (parse.GetValue(submit.Backend) is not null)
                    {
                        try
                        {
                            await submit.SubmitAsync(parse, outPath, ct);
                        }
                        catch (RunBackendException e)
                        {
                            throw new RunBackendException($"{e.Message}; the run folder {outPath} is written and valid: submit it again with `pluralist runs submit {outPath} --submit ray --address URL`", e, e.Status);
                        }
                    }

                    return 0;
                }

                var basePath = parse.GetValue(baseModel) ?? throw new CliInputException("--base: required (the base model file)");
                run = new DpoRun(Path.GetFullPath(parse.GetValue(dataset)!), parse.GetValue(split)!, Path.GetFullPath(basePath), options, parse.GetValue(adapterName)!);
            }

            var model = CommandHelpers.LoadModel(run.Base, "--base");
            var source = PreferenceDataset.Load(run.Dataset, run.Split, model.Config.UNet.ImageSize, out var rows, StudyCommands.ImportLimitsFromEnvironment().MaxImagePixels);
            var weighted = rows.Count(r => r.Weight != 1);
            DpoTrainer trainer;
            try
            {
                trainer = new DpoTrainer(model, source, run.Options);
            }
            catch (InvalidOperationException e)
            {
                throw new CliInputException($"--dataset {run.Dataset}: {e.Message}");
            }

            var prep = trainer.Preparation;
            Console.WriteLine($"{prep.Total} pairs ({run.Split}); used {prep.Examples.Count}; ties dropped {prep.TiesDropped}, ties kept as 0.5 {prep.TiesKept}, weight 0 dropped {prep.ZeroWeightDropped}, other groups {prep.OtherGroups}");
            if (weighted > 0)
            {
                Console.WriteLine($"{weighted} rows carry a weight other than 1 (the dataset's weight column), applied to their loss terms");
            }

            var o = run.Options;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mode {o.Mode}{(o.Mode == FineTuneMode.Lora ? $" (rank {o.LoraRank}, alpha {o.LoraAlpha}, {TargetsName(o.LoraTargets)})" : "")}, labels {o.Labels}, ties {o.Ties}, beta {o.Beta}, batch {o.BatchSize}, steps {o.Steps}, learning rate used {trainer.LearningRate:G4} (base {o.LearningRate:G4}{(o.ScaleLearningRate ? $" x batch {o.BatchSize}" : ", not scaled")}, {o.WarmupFraction:P0} warmup)"));
            Console.WriteLine(ObjectiveLine(o, prep));
            if (resuming)
            {
                trainer.LoadCheckpoint(ckPath);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            var logPath = TrainCommands.LogPath(outPath);
            if (!resuming)
            {
                await File.WriteAllTextAsync(logPath, "step,loss,implicit_accuracy,model_mse,reference_mse,learning_rate,grad_norm,seconds,worst_group,worst_group_loss\n", ct);
                TrainCommands.SaveAtomic(runPath, p => File.WriteAllText(p, JsonSerializer.Serialize(run, JsonOptions)));
            }

            var log = new List<string>();
            void Save()
            {
                File.AppendAllLines(logPath, log);
                log.Clear();
                TrainCommands.SaveAtomic(ckPath, trainer.SaveCheckpoint);
            }

            bool stopped = CommandHelpers.RunWithProgress($"train dpo -> {Path.GetFileName(outPath)}", trainer.Step, o.Steps, report =>
            {
                var s = trainer.TrainStep();
                log.Add(string.Create(CultureInfo.InvariantCulture, $"{s.Step},{s.Loss:G6},{s.ImplicitAccuracy:G4},{s.ModelMse:G6},{s.ReferenceMse:G6},{s.LearningRate:G4},{s.GradNorm:G4},{s.StepTime.TotalSeconds:F3},{CsvField(s.WorstGroup)},{(s.WorstGroup is null ? "" : s.WorstGroupLoss.ToString("G6", CultureInfo.InvariantCulture))}"));
                report(s.Step, string.Create(CultureInfo.InvariantCulture, $"loss {s.Loss:F4} acc {s.ImplicitAccuracy:F2} lr {s.LearningRate:G3}{(s.WorstGroup is null ? "" : $" worst {s.WorstGroup} {s.WorstGroupLoss:F3}")}"));
                if (s.Step % every_ == 0)
                {
                    Save();
                }

                return s.Step;
            }, ct);
            Save();
            WriteResult(trainer, outPath, run.AdapterName);
            Console.WriteLine(stopped
                ? $"stopped at step {trainer.Step}: checkpoint {ckPath}, weights so far in {outPath}; continue with --resume"
                : $"done: {trainer.Step} steps -> {outPath} ({(o.Mode == FineTuneMode.Lora ? $"adapter '{run.AdapterName}'" : "model")}), log {logPath}");
            return stopped ? 130 : 0;
        }));
        return cmd;
    }

    /// <summary>Full: the fine-tuned model. LoRA: the adapter file with the trained adapter stored under its name.</summary>
    internal static void WriteResult(DpoTrainer trainer, string outPath, string adapterName)
    {
        if (trainer.Adapters is { } bank)
        {
            bank.Store(adapterName);
            TrainCommands.SaveAtomic(outPath, bank.Save);
        }
        else
        {
            TrainCommands.SaveAtomic(outPath, trainer.Model.Save);
        }
    }

    /// <summary>The objective's options, to check which were given.</summary>
    private sealed record ObjectiveOptions(Option<string> Objective, Option<float> Margin, Option<bool> Curriculum, Option<float> CurriculumStart, Option<float> CurriculumRamp, Option<float> GroupStep, Option<float> KtoDesirable, Option<float> KtoUndesirable, Option<float> MapoBeta, Option<float> MapoSnr);

    /// <summary>Checks the objective's options against each other, naming the option at fault.</summary>
    private static void ValidateObjective(ParseResult parse, DpoOptions o, bool torch, ObjectiveOptions opts, Option<string> labels, Option<string> ties)
    {
        bool Given(Option option) => parse.GetResult(option) is { Implicit: false };
        var name = ObjectiveName(o.Objective);
        if (torch)
        {
            // the reference trainers the run folder launches compute the published DPO loss only
            CommandHelpers.Require(o.Objective == DpoObjective.Dpo, "--objective", "only dpo with --engine torch (the reference trainers compute the published loss)");
            CommandHelpers.Require(!Given(opts.Margin) && !Given(opts.Curriculum), Given(opts.Margin) ? "--margin" : "--curriculum", "not with --engine torch");
        }

        bool pairwise = o.Objective is DpoObjective.Dpo or DpoObjective.GroupRobust;
        CommandHelpers.Require(float.IsFinite(o.MarginPerStrength) && o.MarginPerStrength >= 0, "--margin", "must be a number >= 0");
        CommandHelpers.Require(pairwise || !Given(opts.Margin), "--margin", $"only with --objective dpo or group-robust, not {name}");
        CommandHelpers.Require(pairwise || o.Labels != LabelMode.SoftCrossEntropy, "--labels", $"soft only with --objective dpo or group-robust, not {name} (use hard or margin)");
        CommandHelpers.Require(pairwise || o.Ties != TiePolicy.SoftHalf || !Given(ties), "--ties", $"soft only with --objective dpo or group-robust, not {name} (a tie names no desirable image)");
        CommandHelpers.Require(o.Objective == DpoObjective.GroupRobust || !Given(opts.GroupStep), "--group-step", "only with --objective group-robust");
        CommandHelpers.Require(float.IsFinite(o.GroupStepSize) && o.GroupStepSize >= 0, "--group-step", "must be a number >= 0");
        foreach (var (option, value) in new[] { (opts.KtoDesirable, o.KtoDesirableWeight), (opts.KtoUndesirable, o.KtoUndesirableWeight) })
        {
            CommandHelpers.Require(o.Objective == DpoObjective.Kto || !Given(option), option.Name, "only with --objective kto");
            CommandHelpers.Require(float.IsFinite(value) && value >= 0, option.Name, "must be a number >= 0");
        }

        CommandHelpers.Require(o.Objective == DpoObjective.Mapo || !Given(opts.MapoBeta), "--mapo-beta", "only with --objective mapo");
        CommandHelpers.Require(o.Objective == DpoObjective.Mapo || !Given(opts.MapoSnr), "--mapo-snr", "only with --objective mapo");
        CommandHelpers.Require(float.IsFinite(o.MapoBeta) && o.MapoBeta >= 0, "--mapo-beta", "must be a number >= 0");
        CommandHelpers.Require(float.IsFinite(o.MapoSnr) && o.MapoSnr > 0, "--mapo-snr", "must be a positive number");
        CommandHelpers.Require(o.Curriculum || !Given(opts.CurriculumStart), "--curriculum-start", "only with --curriculum");
        CommandHelpers.Require(o.Curriculum || !Given(opts.CurriculumRamp), "--curriculum-ramp", "only with --curriculum");
        CommandHelpers.Require(o.CurriculumStart is > 0 and <= 1, "--curriculum-start", "must be in (0, 1]");
        CommandHelpers.Require(o.CurriculumRamp is > 0 and <= 1, "--curriculum-ramp", "must be in (0, 1]");
    }

    /// <summary>Parses <c>--objective</c>.</summary>
    internal static DpoObjective ParseObjective(string text) => text switch
    {
        "dpo" => DpoObjective.Dpo,
        "group-robust" => DpoObjective.GroupRobust,
        "kto" => DpoObjective.Kto,
        "mapo" => DpoObjective.Mapo,
        _ => throw new CliInputException($"--objective {text}: expected dpo, group-robust, kto or mapo"),
    };

    internal static string ObjectiveName(DpoObjective objective) => objective switch
    {
        DpoObjective.GroupRobust => "group-robust",
        DpoObjective.Kto => "kto",
        DpoObjective.Mapo => "mapo",
        _ => "dpo",
    };

    private static string ObjectiveLine(DpoOptions o, DpoPreparation prep)
    {
        var parts = new List<string> { $"objective {ObjectiveName(o.Objective)}" };
        switch (o.Objective)
        {
            case DpoObjective.GroupRobust:
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{prep.Groups!.Count} groups ({string.Join(", ", prep.Groups.Select(g => $"{g}: {prep.Examples.Count(e => e.Group >= 0 && prep.Groups[e.Group] == g)} pairs"))}), weight step {o.GroupStepSize:G4}"));
                break;
            case DpoObjective.Kto:
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"winners desirable (weight {o.KtoDesirableWeight:G4}), losers undesirable ({o.KtoUndesirableWeight:G4}), beta {o.Beta:G4}"));
                break;
            case DpoObjective.Mapo:
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"beta {o.MapoBeta:G4}, snr {o.MapoSnr:G4}, no reference pass"));
                break;
        }

        if (o.MarginPerStrength > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"margin {o.MarginPerStrength:G4} x (2p - 1)"));
        }

        if (o.Curriculum)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"curriculum: strongest {o.CurriculumStart:P0} of the pairs first, all from {o.CurriculumRamp:P0} of the steps"));
        }

        return string.Join("; ", parts);
    }

    private static string CsvField(string? value) =>
        value is null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    /// <summary>Parses <c>--lora-targets</c>.</summary>
    internal static LoraTargets ParseTargets(string text) => text switch
    {
        "attention" => LoraTargets.Attention,
        "all-linear" => LoraTargets.AllLinear,
        _ => throw new CliInputException($"--lora-targets {text}: expected attention or all-linear"),
    };

    internal static string TargetsName(LoraTargets targets) => targets == LoraTargets.AllLinear ? "all-linear" : "attention";
}
