using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Data;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Onnx;
using Pluralist.Pipeline.Reward;
using Pluralist.Studies;
using Pluralist.Studies.Reward;

namespace Pluralist.Cli;

/// <summary><c>pluralist reward train|evaluate</c>: a reward model per criterion and group, an automatic evaluator beside the human A/B study.</summary>
public static class RewardCommands
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var reward = new Command("reward", "A reward model r(image, prompt, criterion, group) over a frozen CLIP backbone, trained on a study's slider answers; an automatic evaluator shown beside the human A/B result, never in its place.");
        reward.Subcommands.Add(Train());
        reward.Subcommands.Add(Evaluate());
        return reward;
    }

    private static Option<string?> ClipDir() => new("--clip-dir") { Description = "A world-clip (or Hugging Face CLIP) folder run by the tensor engine as the backbone (default: the shipped models/world-clip)." };

    private static Option<string?> OnnxDir() => new("--onnx-clip") { Description = "A CLIP exported to ONNX (the `images select --embedder onnx-clip` layout), run by ONNX Runtime on the CPU, as the backbone instead of world-clip." };

    private static IRewardBackbone Backbone(string? clipDir, string? onnxDir)
    {
        CommandHelpers.Require(clipDir is null || onnxDir is null, "give --clip-dir or --onnx-clip, not both");
        if (onnxDir is not null)
        {
            return new OnnxClipBackbone(ImagesCommands.LoadOnnx(onnxDir, new OnnxClipOptions()));
        }

        var dir = clipDir ?? CommandHelpers.DefaultWorldClip();
        return new WorldClipBackbone(WorldClip.Load(dir), clipDir is null ? WorldClip.Name : "clip:" + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))));
    }

    private static string[] List(string? text) => text is null ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static Command Train()
    {
        var study = new Argument<string>("STUDY") { Description = "The study's key or id." };
        var output = new Option<string>("--out") { Description = "Model file to write (safetensors, docs/formats.md).", Required = true };
        var groupBy = new Option<string?>("--group-by") { Description = "Identity marker(s), comma-separated, whose consented group conditions the model (an intersection for several); without it the model is criterion-only." };
        var criteria = new Option<string?>("--criteria") { Description = "Only these criteria (comma-separated; default: all of the study's)." };
        var splitBy = new Option<string>("--split-by") { Description = "Hold out whole prompts (default; no image is in both parts) or whole participants.", DefaultValueFactory = _ => "prompt" };
        var share = new Option<double>("--test-share") { Description = "Share of prompts (or participants) held out (default 0.2).", DefaultValueFactory = _ => 0.2 };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps (default 400).", DefaultValueFactory = _ => 400 };
        var batch = new Option<int>("--batch") { Description = "Answers per step (default 64).", DefaultValueFactory = _ => 64 };
        var lr = new Option<float>("--lr") { Description = "Peak AdamW rate, cosine decay (default 3e-3).", DefaultValueFactory = _ => 3e-3f };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the split, the weights and the batches (default 1).", DefaultValueFactory = _ => 1UL };
        var json = new Option<string?>("--json") { Description = "Also write the held-out report as JSON to this file." };
        var clipDir = ClipDir();
        var onnx = OnnxDir();
        var cmd = new Command("train", "Train a reward model on a study's cleaned slider answers (soft Bradley-Terry), hold out whole prompts or participants, and report held-out accuracy per criterion and group with Wilson intervals against a criterion-only model and a constant baseline.")
        {
            study, output, groupBy, criteria, splitBy, share, steps, batch, lr, seed, json, clipDir, onnx,
        };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var by = parse.GetValue(splitBy) switch
            {
                "prompt" => RewardSplitBy.Prompt,
                "participant" => RewardSplitBy.Participant,
                var other => throw new CliInputException($"--split-by '{other}': expected prompt or participant"),
            };
            double testShare = parse.GetValue(share);
            CommandHelpers.Require(testShare is > 0 and < 1, "--test-share", "must be between 0 and 1 (exclusive)");
            CommandHelpers.Require(parse.GetValue(steps) >= 1, "--steps", "must be at least 1");
            CommandHelpers.Require(parse.GetValue(batch) >= 1, "--batch", "must be at least 1");
            float rate = parse.GetValue(lr);
            CommandHelpers.Require(rate > 0 && float.IsFinite(rate), "--lr", "must be a positive number");
            var outPath = parse.GetValue(output)!;
            var markers = List(parse.GetValue(groupBy));
            var options = new RewardTrainingOptions { Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), LearningRate = rate, Seed = parse.GetValue(seed) };
            var backbone = Backbone(parse.GetValue(clipDir), parse.GetValue(onnx));

            var (data, dbOptions) = CliContext.Resolve(parse);
            await StudyLookup.RequireCurrentSchemaAsync(dbOptions, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(dbOptions);
            var s = await StudyLookup.FindStudyAsync(db, parse.GetValue(study)!, ct).ConfigureAwait(false);
            var loaded = await RewardStudy.LoadAsync(db, data, s, markers, backbone, List(parse.GetValue(criteria)) is { Length: > 0 } c ? c : null, m => Console.Error.WriteLine(m), ct).ConfigureAwait(false);
            foreach (var w in loaded.Warnings)
            {
                Console.Error.WriteLine($"warning: {w}");
            }

            Console.Error.WriteLine(string.Create(Ci, $"{loaded.Data.Comparisons.Count} answers, {loaded.PromptIds.Count} prompts, {loaded.ImageIds.Count} images; training {options.Steps} steps"));
            var (model, report, test) = RewardStudy.Train(loaded, markers.Length > 0, by, testShare, options, backbone.Name, (name, step, loss) =>
            {
                if (step % 50 == 0 || step == options.Steps)
                {
                    Console.Error.WriteLine(string.Create(Ci, $"{name}: step {step}/{options.Steps} loss {loss:F4}"));
                }
            }, ct);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            TrainCommands.SaveAtomic(outPath, p => model.Save(p, RewardStudy.Metadata(loaded, report, markers, options, test)));
            if (parse.GetValue(json) is { } jsonPath)
            {
                TrainCommands.SaveAtomic(jsonPath, p => File.WriteAllText(p, JsonSerializer.Serialize(report, Indented)));
            }

            Console.WriteLine(string.Create(Ci, $"reward model {outPath}: {model.ParameterCount():N0} parameters, backbone {backbone.Name}, {(model.Config.GroupConditioned ? $"groups {string.Join(", ", model.Config.Groups)} (+ no group)" : "criterion-only")}; trained in {report.TrainSeconds:F1} s"));
            Console.WriteLine(string.Create(Ci, $"held out by {report.SplitBy}: {report.HeldOutUnits} {report.SplitBy}s, {report.HeldOutAnswers} answers ({report.TrainAnswers} for training)"));
            Print(report.Models, report.SuppressedGroups);
            return 0;
        }));
        return cmd;
    }

    private static Command Evaluate()
    {
        var study = new Argument<string>("STUDY") { Description = "The study's key or id." };
        var modelPath = new Option<string>("--model") { Description = "A model written by `reward train`.", Required = true };
        var aligned = new Option<string?>("--aligned") { Description = "With --base: score the study's A/B evaluation pairs between these generators (aligned = A)." };
        var baseline = new Option<string?>("--base") { Description = "The base generator of the A/B evaluation." };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file." };
        var clipDir = ClipDir();
        var onnx = OnnxDir();
        var cmd = new Command("evaluate", "Held-out accuracy of a reward model on a study (the prompts it held out when trained on that study, else every answer), per criterion and group; with --aligned/--base also its judgement of the A/B evaluation pairs next to the people's, with their agreement (share and Cohen's kappa). The model's result is automatic and never replaces the human one.")
        {
            study, modelPath, aligned, baseline, json, clipDir, onnx,
        };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            CommandHelpers.Require((parse.GetValue(aligned) is null) == (parse.GetValue(baseline) is null), "give --aligned and --base together");
            var path = parse.GetValue(modelPath)!;
            CommandHelpers.Require(File.Exists(path), $"--model {path}: file not found");
            RewardModel model;
            IReadOnlyDictionary<string, string> meta;
            try
            {
                (model, meta) = RewardModel.Load(path);
            }
            catch (InvalidDataException e)
            {
                throw new CliInputException($"--model {e.Message}");
            }

            var backbone = Backbone(parse.GetValue(clipDir), parse.GetValue(onnx));
            CommandHelpers.Require(backbone.Name == model.Config.Backbone && backbone.ImageDim == model.Config.ImageDim && backbone.TextDim == model.Config.TextDim,
                $"--model {path}: trained on backbone '{model.Config.Backbone}' ({model.Config.ImageDim}-d images), this run embeds with '{backbone.Name}' ({backbone.ImageDim}-d); give the same --clip-dir or --onnx-clip");
            var (data, dbOptions) = CliContext.Resolve(parse);
            await StudyLookup.RequireCurrentSchemaAsync(dbOptions, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(dbOptions);
            var s = await StudyLookup.FindStudyAsync(db, parse.GetValue(study)!, ct).ConfigureAwait(false);
            var result = new Dictionary<string, object>(StringComparer.Ordinal);

            var markers = List(meta.GetValueOrDefault("group_by"));
            var criteria = model.Config.Criteria.Where(c => s.Criteria.Any(x => x.Key == c)).ToArray();
            CommandHelpers.Require(criteria.Length > 0, $"--model {path}: scores {string.Join(", ", model.Config.Criteria)}; study {s.Key} has none of these criteria");
            var loaded = await RewardStudy.LoadAsync(db, data, s, markers, backbone, criteria, m => Console.Error.WriteLine(m), ct).ConfigureAwait(false);
            var indices = Enumerable.Range(0, loaded.Data.Comparisons.Count).ToArray();
            string scope = "every answer of the study (it was not the training study)";
            if (meta.GetValueOrDefault("study") == s.Key)
            {
                if (meta.GetValueOrDefault("split_by") == "prompt" && meta.TryGetValue("held_out_prompts", out var held))
                {
                    var ids = JsonSerializer.Deserialize<long[]>(held)!.ToHashSet();
                    indices = [.. indices.Where(i => ids.Contains(loaded.PromptIds[loaded.Data.Comparisons[i].Prompt]))];
                    scope = string.Create(Ci, $"the {ids.Count} prompts held out in training");
                }
                else
                {
                    var options = JsonSerializer.Deserialize<RewardTrainingOptions>(meta.GetValueOrDefault("training") ?? "{}") ?? new RewardTrainingOptions();
                    var report = JsonSerializer.Deserialize<RewardTrainingReport>(meta.GetValueOrDefault("report") ?? "{}");
                    double share = report is null ? 0.2 : (double)report.HeldOutAnswers / Math.Max(1, report.HeldOutAnswers + report.TrainAnswers);
                    indices = RewardEvaluation.Split(loaded.Data, RewardSplitBy.Participant, Math.Clamp(share, 0.01, 0.99), options.Seed).Test;
                    scope = "the participants held out in training (split rebuilt from the recorded seed)";
                }
            }

            CommandHelpers.Require(indices.Length > 0, $"study {s.Key}: no answers to evaluate on");
            var suppressed = new List<string>();
            var tables = new List<ModelAccuracy> { RewardStudy.Accuracy("reward model", RewardEvaluation.Predict(model, loaded.Data, indices), loaded, suppressed) };
            if (model.Config.GroupConditioned)
            {
                tables.Add(RewardStudy.Accuracy("reward model, scored without group", RewardEvaluation.Predict(model, loaded.Data, indices, withGroups: false), loaded, suppressed));
            }

            Console.WriteLine(string.Create(Ci, $"reward model {path} ({model.Config.Backbone}) on study {s.Key}: {indices.Length} answers of {scope}"));
            Print(tables, [.. suppressed.Distinct()]);
            result["accuracy"] = tables;
            if (parse.GetValue(aligned) is { } a)
            {
                var ab = await RewardAbEvaluation.EvaluateAsync(db, data, s, model, backbone, a, parse.GetValue(baseline)!, markers, ct).ConfigureAwait(false);
                Console.WriteLine();
                foreach (var line in RewardAbEvaluation.Describe(ab))
                {
                    Console.WriteLine(line);
                }

                foreach (var w in ab.Warnings)
                {
                    Console.Error.WriteLine($"warning: {w}");
                }

                result["ab"] = ab;
                result["ab_label"] = RewardAbReport.Label;
            }

            if (parse.GetValue(json) is { } jsonPath)
            {
                TrainCommands.SaveAtomic(jsonPath, p => File.WriteAllText(p, JsonSerializer.Serialize(result, Indented)));
            }

            return 0;
        }));
        return cmd;
    }

    private static void Print(IReadOnlyList<ModelAccuracy> models, IReadOnlyList<string> suppressed)
    {
        Console.WriteLine("model\tscope\tanswers\tnon-neutral\taccuracy\tWilson 95%\tlog loss");
        foreach (var m in models)
        {
            foreach (var r in new[] { m.Overall }.Concat(m.PerCriterion).Concat(m.PerGroup).Concat(m.PerCriterionAndGroup))
            {
                Console.WriteLine(string.Create(Ci, $"{m.Model}\t{r.Scope}\t{r.Answers}\t{r.NonNeutral}\t{r.Accuracy:0.000}\t[{r.Wilson.Lower:0.000}, {r.Wilson.Upper:0.000}]\t{r.LogLoss:0.000}"));
            }
        }

        foreach (var s in suppressed)
        {
            Console.WriteLine($"not shown: {s}");
        }
    }
}
