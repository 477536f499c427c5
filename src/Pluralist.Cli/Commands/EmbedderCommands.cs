using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Embedders;
using Spectre.Console;

namespace Pluralist.Cli;

/// <summary><c>pluralist embedder train|evaluate</c>: the world-clip model (a small CLIP trained contrastively on world renders and captions).</summary>
public static class EmbedderCommands
{
    public static Command Create()
    {
        var embedder = new Command("embedder", "The world-clip embedder: train it on world renders and captions, evaluate its retrieval.");
        embedder.Subcommands.Add(Train());
        embedder.Subcommands.Add(Evaluate());
        return embedder;
    }

    private static Command Train()
    {
        var output = new Option<string>("--out") { Description = "Model folder: vocab.json, merges.txt, config.json, train.log, checkpoint, then model.safetensors. A rerun resumes.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 1500 };
        var batch = new Option<int>("--batch") { Description = "Pairs per batch (the contrastive negatives).", DefaultValueFactory = _ => 64 };
        var examples = new Option<int>("--examples") { Description = "Training renders.", DefaultValueFactory = _ => 4000 };
        var size = new Option<int>("--size") { Description = "Image size of the model (a multiple of 4).", DefaultValueFactory = _ => 32 };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate (AdamW, warmup then cosine).", DefaultValueFactory = _ => 1e-3f };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial weights and the batches.", DefaultValueFactory = _ => 1UL };
        var checkpoint = new Option<int>("--checkpoint-every") { Description = "Steps between checkpoints.", DefaultValueFactory = _ => 100 };
        var cmd = new Command("train", "Train world-clip: symmetric InfoNCE on captioned world renders (Release build recommended).") { output, steps, batch, examples, size, lr, seed, checkpoint };
        cmd.SetAction(CliContext.Run((parse, ct) =>
        {
            CommandHelpers.Require(parse.GetValue(size) is >= 8 and <= 256 && parse.GetValue(size) % 4 == 0, $"--size {parse.GetValue(size)} must be a multiple of 4 in 8..256");
            var options = new ClipTrainOptions
            {
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                Examples = parse.GetValue(examples),
                ImageSize = parse.GetValue(size),
                LearningRate = parse.GetValue(lr),
                Seed = parse.GetValue(seed),
                CheckpointEvery = parse.GetValue(checkpoint),
                WarmupSteps = Math.Min(100, parse.GetValue(steps) / 10),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new CliInputException($"--steps/--batch/--examples/--checkpoint-every: {e.Message}");
            }

            var folder = parse.GetValue(output)!;
            ClipTrainResult result = null!;
            CommandHelpers.ProgressConsole().Progress().AutoClear(false).Start(ctx =>
            {
                var render = ctx.AddTask("rendering training scenes", maxValue: options.Examples);
                var train = ctx.AddTask("training", maxValue: options.Steps, autoStart: false);
                result = ClipTrainer.Train(folder, options, new CommandHelpers.Sync<ClipTrainProgress>(p =>
                {
                    if (p.Phase == "render")
                    {
                        render.Value = p.Step;
                        return;
                    }

                    render.Value = render.MaxValue;
                    train.StartTask();
                    train.Value = p.Step;
                    train.Description = string.Create(CultureInfo.InvariantCulture, $"training: loss {p.Loss:0.000}, {p.Seconds:0.00} s/step");
                }), ct);
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"steps {result.StartStep}..{result.Steps}: loss {result.FirstLoss:0.000} -> {result.LastLoss:0.000}, {result.MeanStepSeconds:0.000} s/step; model {Path.Combine(folder, "model.safetensors")}, log {Path.Combine(folder, "train.log")}"));
            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static Command Evaluate()
    {
        var clipDir = new Option<string?>("--clip-dir") { Description = "Model folder (default: the shipped models/world-clip)." };
        var examples = new Option<int>("--examples") { Description = "Held-out renders (seeds never used in training).", DefaultValueFactory = _ => 200 };
        var json = new Option<bool>("--json") { Description = "Machine-readable JSON output." };
        var cmd = new Command("evaluate", "Retrieval on held-out world renders: image->text and text->image top-1/top-5, and same-scene image retrieval against color-layout.") { clipDir, examples, json };
        cmd.SetAction(CliContext.Run((parse, ct) =>
        {
            CommandHelpers.Require(parse.GetValue(examples) is >= 5 and <= 5000, $"--examples {parse.GetValue(examples)} is outside 5..5000");
            var clip = WorldClip.Load(parse.GetValue(clipDir) ?? CommandHelpers.DefaultWorldClip());
            var items = WorldCaptions.Render(parse.GetValue(examples), WorldCaptions.HeldOutSeed, Math.Max(clip.Model.Config.ImageSize, 32));
            var scores = RetrievalScores.ImageText(clip, items);
            var clipScene = RetrievalScores.SameScene(clip.ImageEmbedder(), items);
            var colorScene = RetrievalScores.SameScene(new ColorLayoutEmbedder(), items);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    n = scores.N,
                    chance = new { top1 = scores.ChanceTop1, top5 = scores.ChanceTop5 },
                    imageToText = new { top1 = scores.ImageToTextTop1, top5 = scores.ImageToTextTop5 },
                    textToImage = new { top1 = scores.TextToImageTop1, top5 = scores.TextToImageTop5 },
                    sameScene = new { worldClip = new { top1 = clipScene.Top1, top5 = clipScene.Top5 }, colorLayout = new { top1 = colorScene.Top1, top5 = colorScene.Top5 } },
                }));
                return Task.FromResult(0);
            }

            Console.WriteLine($"{scores.N} held-out renders (seeds {WorldCaptions.HeldOutSeed}..)");
            Console.WriteLine("task\tembedder\ttop1\ttop5");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chance\t-\t{scores.ChanceTop1:0.000}\t{scores.ChanceTop5:0.000}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"image->text\tworld-clip\t{scores.ImageToTextTop1:0.000}\t{scores.ImageToTextTop5:0.000}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"text->image\tworld-clip\t{scores.TextToImageTop1:0.000}\t{scores.TextToImageTop5:0.000}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"same scene\tworld-clip\t{clipScene.Top1:0.000}\t{clipScene.Top5:0.000}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"same scene\tcolor-layout\t{colorScene.Top1:0.000}\t{colorScene.Top5:0.000}"));
            return Task.FromResult(0);
        }));
        return cmd;
    }
}
