using System.CommandLine;
using System.Globalization;
using Pluralist.Diffusion;
using Pluralist.Studies.Alignment;

namespace Pluralist.Cli;

/// <summary><c>pluralist probe train|eval</c>: the perception probe that reads scene attributes from pixels.</summary>
public static class ProbeCommands
{
    public static Command Create()
    {
        var probe = new Command("probe", "The perception probe: a small classifier reading scene attributes from images at the model's resolution.");
        probe.Subcommands.Add(Train());
        probe.Subcommands.Add(Eval());
        probe.Subcommands.Add(Steer());
        return probe;
    }

    private static Command Train()
    {
        var output = new Option<string>("--out") { Description = "Probe file to write (safetensors); the held-out table goes next to it (.accuracy.csv).", Required = true };
        var size = new Option<int>("--size") { Description = "Image size: 32 or 64 (the diffusion model's).", DefaultValueFactory = _ => 32 };
        var scenes = new Option<int>("--scenes") { Description = "Training scenes.", DefaultValueFactory = _ => 3000 };
        var test = new Option<int>("--test") { Description = "Held-out scenes (drawn after the training ones).", DefaultValueFactory = _ => 500 };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps.", DefaultValueFactory = _ => 1500 };
        var batch = new Option<int>("--batch") { Description = "Images per step.", DefaultValueFactory = _ => 32 };
        var lr = new Option<float>("--lr") { Description = "AdamW learning rate (cosine decay to 0).", DefaultValueFactory = _ => 2e-3f };
        var sceneSeed = new Option<int>("--scene-seed") { Description = "Seed of the world scenes.", DefaultValueFactory = _ => 11 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the minibatch draws.", DefaultValueFactory = _ => 7UL };
        var cmd = new Command("train", "Train the probe on world renders and report its held-out accuracy per attribute.") { output, size, scenes, test, steps, batch, lr, sceneSeed, seed };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            int s = parse.GetValue(size), n = parse.GetValue(scenes), m = parse.GetValue(test), k = parse.GetValue(steps), b = parse.GetValue(batch);
            CommandHelpers.Require(s is 32 or 64, "--size", "expected 32 or 64");
            CommandHelpers.Require(n >= 1, "--scenes", "must be at least 1");
            CommandHelpers.Require(m >= 1, "--test", "must be at least 1");
            CommandHelpers.Require(k >= 1, "--steps", "must be at least 1");
            CommandHelpers.Require(b >= 1, "--batch", "must be at least 1");
            float rate = parse.GetValue(lr);
            CommandHelpers.Require(rate > 0 && float.IsFinite(rate), "--lr", "must be a positive number");
            var outPath = parse.GetValue(output)!;
            var source = new WorldImageSource(n + m, s, parse.GetValue(sceneSeed));
            Console.WriteLine($"rendering {n + m} world scenes at {s}x{s} ...");
            var all = SceneProbe.Examples(source, n + m, ct);
            var train = all.Take(n).ToList();
            var heldOut = all.Skip(n).ToList();
            var probe = new PerceptionProbe(SceneProbe.Config(s));
            Console.WriteLine($"probe {probe.ParameterCount():N0} parameters, {SceneProbe.Heads.Count} attributes; {n} training and {m} held-out scenes");
            var trainer = new ProbeTrainer(probe, train, k, b, rate, parse.GetValue(seed));
            bool stopped = CommandHelpers.RunWithProgress($"probe train -> {Path.GetFileName(outPath)}", 0, k, report =>
            {
                float loss = trainer.TrainStep();
                report(trainer.Step, string.Create(CultureInfo.InvariantCulture, $"loss {loss:F3}"));
                return trainer.Step;
            }, ct);
            if (stopped)
            {
                Console.WriteLine($"stopped at step {trainer.Step}; nothing written");
                return 130;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            probe.Eval();
            TrainCommands.SaveAtomic(outPath, probe.Save);
            var table = Report(probe, heldOut);
            TrainCommands.SaveAtomic(Path.ChangeExtension(outPath, null) + ".accuracy.csv", p => File.WriteAllLines(p, table));
            await Task.CompletedTask;
            return 0;
        }));
        return cmd;
    }

    private static Command Eval()
    {
        var probePath = new Option<string>("--probe") { Description = "Probe file.", Required = true };
        var scenes = new Option<int>("--scenes") { Description = "Fresh world scenes to evaluate on.", DefaultValueFactory = _ => 500 };
        var sceneSeed = new Option<int>("--scene-seed") { Description = "Seed of the scenes (use one the probe was not trained on).", DefaultValueFactory = _ => 99 };
        var cmd = new Command("eval", "Accuracy per attribute of a probe on fresh world renders, with the majority-class rate as chance.") { probePath, scenes, sceneSeed };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            int n = parse.GetValue(scenes);
            CommandHelpers.Require(n >= 1, "--scenes", "must be at least 1");
            var probe = CommandHelpers.LoadProbe(parse.GetValue(probePath)!, "--probe");
            var source = new WorldImageSource(n, probe.Config.ImageSize, parse.GetValue(sceneSeed));
            Report(probe, SceneProbe.Examples(source, n, ct));
            await Task.CompletedTask;
            return 0;
        }));
        return cmd;
    }

    private static Command Steer()
    {
        var probePath = new Option<string>("--probe") { Description = "Probe file.", Required = true };
        var model = new Option<string>("--model") { Description = "Diffusion model.", Required = true };
        var seeds = new Option<string>("--seeds", "--seed") { Description = "Seeds: one (5), a list (1,2,5) or a range (1-8).", DefaultValueFactory = _ => "1-2" };
        var guidance = new Option<float>("--guidance") { Description = "Guidance scale of the prompted images (compared with guidance 0).", DefaultValueFactory = _ => 3f };
        var steps = new Option<int>("--steps") { Description = "DDPM sampler steps.", DefaultValueFactory = _ => 20 };
        var cmd = new Command("steer", "Do prompts steer the model? The probe reads place, time of day and season from images made for prompts naming them (32 prompts), at --guidance and at 0 (prompt ignored).") { probePath, model, seeds, guidance, steps };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var p = CommandHelpers.LoadProbe(parse.GetValue(probePath)!, "--probe");
            var m = CommandHelpers.LoadModel(parse.GetValue(model)!, "--model");
            CommandHelpers.Require(p.Config.ImageSize == m.Config.UNet.ImageSize, "--probe", $"reads {p.Config.ImageSize}px images, the model draws {m.Config.UNet.ImageSize}px");
            int n = parse.GetValue(steps);
            CommandHelpers.Require(n is >= 1 and <= 1000, "--steps", "must be in 1..1000");
            float w = parse.GetValue(guidance);
            CommandHelpers.Require(float.IsFinite(w) && w >= 0, "--guidance", "must be a number >= 0");
            var seedList = CommandHelpers.ParseSeeds(parse.GetValue(seeds)!);
            var prompts = LivsSimExperiment.Prompts(32); // place x time of day x season, balanced
            var named = Enumerable.Range(0, 32).Select(i => (Typology: LivsSimExperiment.PromptTypology(i), Time: LivsSimExperiment.PromptTime(i), Season: LivsSimExperiment.PromptSeason(i))).ToList();
            int hT = SceneProbe.Heads.Select(h => h.Name).ToList().IndexOf("typology"), hD = SceneProbe.Heads.Select(h => h.Name).ToList().IndexOf("timeOfDay"), hS = SceneProbe.Heads.Select(h => h.Name).ToList().IndexOf("season");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Console.WriteLine($"{"guidance",8} {"images",6} {"place",6} {"time",6} {"season",6}   (chance 0.125, 0.25, 0.25)");
            foreach (float g in new[] { 0f, w })
            {
                int total = 0, place = 0, time = 0, season = 0;
                foreach (int seed in seedList)
                {
                    ct.ThrowIfCancellationRequested();
                    var x = m.Generate(new GenerationRequest { Prompts = prompts, Seed = (ulong)seed, GuidanceScale = g, Sampler = new SamplerOptions { Kind = SamplerKind.Ddpm, Steps = n } });
                    var read = p.Predict(x.Data, prompts.Count);
                    for (int i = 0; i < prompts.Count; i++)
                    {
                        total++;
                        place += read[i][hT] == (int)named[i].Typology ? 1 : 0;
                        time += read[i][hD] == (int)named[i].Time ? 1 : 0;
                        season += read[i][hS] == (int)named[i].Season ? 1 : 0;
                    }
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{g,8:G3} {total,6} {place / (double)total,6:F3} {time / (double)total,6:F3} {season / (double)total,6:F3}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{sw.Elapsed.TotalSeconds:F0} s"));
            await Task.CompletedTask;
            return 0;
        }));
        return cmd;
    }

    /// <summary>Prints and returns (as CSV lines) accuracy and majority rate per attribute, and their means.</summary>
    internal static List<string> Report(PerceptionProbe probe, IReadOnlyList<ProbeExample> examples)
    {
        var acc = probe.Accuracy(examples);
        var majority = SceneProbe.MajorityRate(examples);
        var lines = new List<string> { "attribute,classes,accuracy,majority_rate" };
        Console.WriteLine($"{"attribute",-16} {"classes",7} {"accuracy",9} {"majority",9}");
        for (int h = 0; h < acc.Length; h++)
        {
            var head = probe.Config.Heads[h];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{head.Name,-16} {head.Classes,7} {acc[h],9:F3} {majority[h],9:F3}"));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{head.Name},{head.Classes},{acc[h]:F4},{majority[h]:F4}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"mean",-16} {"",7} {acc.Average(),9:F3} {majority.Average(),9:F3}   ({examples.Count} images)"));
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"mean,,{acc.Average():F4},{majority.Average():F4}"));
        return lines;
    }
}
