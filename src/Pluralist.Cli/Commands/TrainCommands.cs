using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Diffusion;
using Pluralist.Files;
using Pluralist.Studies.Alignment;
using Pluralist.Tensors;

namespace Pluralist.Cli;

/// <summary><c>pluralist train base</c> and <c>pluralist train dpo</c>: the embedded diffusion model, pretraining and Diffusion-DPO.</summary>
public static class TrainCommands
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The <c>train</c> group.</summary>
    public static Command Create()
    {
        var train = new Command("train", "Train the embedded diffusion model: base pretraining on the procedural world, Diffusion-DPO on a preference dataset.");
        train.Subcommands.Add(Base());
        train.Subcommands.Add(DpoCommand.Create());
        return train;
    }

    /// <summary>Settings of a base run, stored next to its checkpoint so that <c>--resume</c> continues the same run.</summary>
    internal sealed record BaseRun(string Config, int Scenes, int SceneSeed, int BatchSize, float LearningRate, int WarmupSteps, float EmaDecay, float PromptDropout, ulong Seed);

    private static Command Base()
    {
        var output = new Option<string>("--out") { Description = "Model file to write (safetensors, EMA weights).", Required = true };
        var config = new Option<string?>("--config") { Description = "Model configuration JSON (default: the 32x32 model, or 64x64 with --size 64)." };
        var size = new Option<int>("--size") { Description = "Image size without --config: 32 or 64.", DefaultValueFactory = _ => 32 };
        var vocab = new Option<string?>("--vocab") { Description = "Vocabulary JSON (default: the built-in EN/FR vocabulary)." };
        var steps = new Option<int>("--steps") { Description = "Total optimiser steps of the run.", DefaultValueFactory = _ => 10_000 };
        var batch = new Option<int>("--batch") { Description = "Images per step.", DefaultValueFactory = _ => 16 };
        var lr = new Option<float>("--lr") { Description = "AdamW learning rate after warmup.", DefaultValueFactory = _ => 2e-4f };
        var warmup = new Option<int>("--warmup") { Description = "Linear warmup steps.", DefaultValueFactory = _ => 200 };
        var ema = new Option<float>("--ema") { Description = "EMA decay of the weights, in [0, 1).", DefaultValueFactory = _ => 0.999f };
        var dropout = new Option<float>("--prompt-dropout") { Description = "Probability a caption is replaced by the empty prompt (classifier-free guidance).", DefaultValueFactory = _ => 0.1f };
        var scenes = new Option<int>("--scenes") { Description = "Number of distinct world scenes in the training set.", DefaultValueFactory = _ => 4000 };
        var sceneSeed = new Option<int>("--scene-seed") { Description = "Seed of the world scenes.", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the training draws (items, timesteps, noise).", DefaultValueFactory = _ => 42UL };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint file (default: MODEL with .checkpoint.safetensors)." };
        var every = new Option<int>("--checkpoint-every") { Description = "Write the checkpoint every N steps.", DefaultValueFactory = _ => 100 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in the checkpoint (its settings are kept; --steps may raise the total)." };
        var cmd = new Command("base", "Pretrain the embedded text-to-image model on procedural-world renders and their EN/FR captions.")
        {
            output, config, size, vocab, steps, batch, lr, warmup, ema, dropout, scenes, sceneSeed, seed, checkpoint, every, resume,
        };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var outPath = parse.GetValue(output)!;
            var ckPath = parse.GetValue(checkpoint) ?? CheckpointPath(outPath);
            var runPath = ckPath + ".json";
            int total = parse.GetValue(steps);
            CommandHelpers.Require(total >= 1, "--steps", "must be at least 1");
            int every_ = parse.GetValue(every);
            CommandHelpers.Require(every_ >= 1, "--checkpoint-every", "must be at least 1");
            BaseRun run;
            DiffusionModel model;
            if (parse.GetValue(resume))
            {
                if (!File.Exists(ckPath) || !File.Exists(runPath))
                {
                    throw new CliInputException($"--resume: no checkpoint at {ckPath} (and {runPath})");
                }

                run = JsonSerializer.Deserialize<BaseRun>(await File.ReadAllTextAsync(runPath, ct), JsonOptions) ?? throw new CliInputException($"{runPath}: empty");
                var (_, meta) = Safetensors.Load(ckPath);
                model = new DiffusionModel(DiffusionModelConfig.FromJson(run.Config), WordTokenizer.FromJson(meta["vocab"]));
            }
            else
            {
                var cfg = LoadConfig(parse.GetValue(config), parse.GetValue(size));
                var tokenizer = LoadVocab(parse.GetValue(vocab));
                run = new BaseRun(cfg.ToJson(), parse.GetValue(scenes), parse.GetValue(sceneSeed), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(warmup), parse.GetValue(ema), parse.GetValue(dropout), parse.GetValue(seed));
                CommandHelpers.Require(run.Scenes >= 1, "--scenes", "must be at least 1");
                CommandHelpers.Require(run.BatchSize >= 1, "--batch", "must be at least 1");
                CommandHelpers.Require(run.LearningRate > 0 && float.IsFinite(run.LearningRate), "--lr", "must be a positive number");
                CommandHelpers.Require(run.WarmupSteps >= 0, "--warmup", "must be >= 0");
                CommandHelpers.Require(run.EmaDecay is >= 0 and < 1, "--ema", "must be in [0, 1)");
                CommandHelpers.Require(run.PromptDropout is >= 0 and <= 1, "--prompt-dropout", "must be in [0, 1]");
                model = new DiffusionModel(cfg, tokenizer);
            }

            var options = new TrainingOptions
            {
                BatchSize = run.BatchSize,
                Steps = total,
                LearningRate = run.LearningRate,
                WarmupSteps = run.WarmupSteps,
                EmaDecay = run.EmaDecay,
                PromptDropout = run.PromptDropout,
                Seed = run.Seed,
            };
            var trainer = new DiffusionTrainer(model, options);
            if (parse.GetValue(resume))
            {
                trainer.LoadCheckpoint(ckPath);
                if (trainer.Step >= total)
                {
                    Console.WriteLine($"the checkpoint is at step {trainer.Step} >= --steps {total}; writing its EMA weights");
                }
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            var source = new WorldImageSource(run.Scenes, model.Config.UNet.ImageSize, run.SceneSeed);
            var logPath = LogPath(outPath);
            if (!parse.GetValue(resume))
            {
                await File.WriteAllTextAsync(logPath, "step,loss,learning_rate,grad_norm,seconds\n", ct);
            }

            Console.WriteLine($"model {model.ParameterCount():N0} parameters, {model.Config.UNet.ImageSize}x{model.Config.UNet.ImageSize}; {run.Scenes} world scenes (seed {run.SceneSeed}); batch {run.BatchSize}, lr {run.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}, steps {trainer.Step}..{total}");
            DurableFile.WriteAllText(runPath, JsonSerializer.Serialize(run, JsonOptions));
            var log = new List<string>();
            void Flush()
            {
                File.AppendAllLines(logPath, log);
                log.Clear();
            }

            void Save()
            {
                Flush();
                SaveAtomic(ckPath, trainer.SaveCheckpoint);
            }

            bool stopped = CommandHelpers.RunWithProgress($"train base -> {Path.GetFileName(outPath)}", trainer.Step, total, report =>
            {
                var p = trainer.TrainStep(source);
                log.Add(string.Create(CultureInfo.InvariantCulture, $"{p.Step},{p.Loss:G6},{p.LearningRate:G4},{p.GradNorm:G4},{p.StepTime.TotalSeconds:F3}"));
                report(p.Step, $"loss {p.Loss:F4}");
                if (p.Step % every_ == 0 || p.Step == total)
                {
                    Save();
                }

                return p.Step;
            }, ct);
            Save();
            WriteEma(trainer, outPath);
            Console.WriteLine(stopped
                ? $"stopped at step {trainer.Step}: checkpoint {ckPath}, EMA weights so far in {outPath}; continue with --resume"
                : $"done: {trainer.Step} steps, EMA weights in {outPath}, log {logPath}");
            return stopped ? 130 : 0;
        }));
        return cmd;
    }

    internal static string CheckpointPath(string outPath) => Path.ChangeExtension(outPath, null) + ".checkpoint.safetensors";

    internal static string LogPath(string outPath) => Path.ChangeExtension(outPath, null) + ".log.csv";

    internal static DiffusionModelConfig LoadConfig(string? path, int size)
    {
        if (path is null)
        {
            return size switch
            {
                32 => DiffusionModelConfig.Default32,
                64 => DiffusionModelConfig.Default64,
                _ => throw new CliInputException($"--size {size}: expected 32 or 64"),
            };
        }

        if (!File.Exists(path))
        {
            throw new CliInputException($"--config: file not found: {path}");
        }

        try
        {
            return DiffusionModelConfig.FromJson(File.ReadAllText(path));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new CliInputException($"{path}: {e.Message}");
        }
    }

    private static WordTokenizer LoadVocab(string? path)
    {
        if (path is null)
        {
            return WordTokenizer.Default();
        }

        if (!File.Exists(path))
        {
            throw new CliInputException($"--vocab: file not found: {path}");
        }

        try
        {
            return WordTokenizer.Load(path);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new CliInputException($"{path}: {e.Message}");
        }
    }

    /// <summary>Writes through a temporary file, fsync and a rename (<see cref="DurableFile.WriteVia"/>), so a crash never leaves a half-written file.</summary>
    internal static void SaveAtomic(string path, Action<string> write) => DurableFile.WriteVia(path, write);

    private static void WriteEma(DiffusionTrainer trainer, string outPath)
    {
        var copy = trainer.Model.Copy();
        if (trainer.Ema is not null)
        {
            var target = copy.StateDict();
            foreach (var (k, v) in trainer.Ema.StateDict())
            {
                target[k].CopyFrom(v);
            }
        }

        SaveAtomic(outPath, copy.Save);
    }
}
