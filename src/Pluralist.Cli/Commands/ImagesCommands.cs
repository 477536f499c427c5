using System.CommandLine;
using System.Globalization;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Embedders;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Onnx;
using Pluralist.Pipeline.Prompts;
using Pluralist.Pipeline.Scoring;
using Pluralist.Pipeline.Selection;
using Spectre.Console;

namespace Pluralist.Cli;

/// <summary><c>pluralist images generate|select|score</c>: N variants per prompt with a generator backend, the k most distinct, automatic scores.</summary>
public static class ImagesCommands
{
    /// <summary>Backends of <c>images generate --backend</c>.</summary>
    public static readonly string[] Backends = ["world", "diffusion", "a1111", "comfyui", "openai"];

    /// <summary>Embedders of <c>images select --embedder</c>.</summary>
    public static readonly string[] Embedders = ["color-layout", "world-clip", "clip", "onnx-clip"];

    public static Command Create()
    {
        var images = new Command("images", "Render prompt variants with a generator backend and keep the most distinct.");
        images.Subcommands.Add(Generate());
        images.Subcommands.Add(Select());
        images.Subcommands.Add(Score());
        return images;
    }

    private static Command Generate()
    {
        var prompts = new Argument<string>("PROMPTS") { Description = "A prompt folder (prompts.csv) or a prompts file (.csv or text, one per line)." };
        var backend = new Option<string>("--backend") { Description = "world (offline), diffusion (--model FILE), a1111 (--url), comfyui (--url, --workflow, --lora), openai (--url, --model, --api-key-env).", Required = true };
        var url = new Option<string?>("--url") { Description = "Server root of a1111 (http://127.0.0.1:7860/) or comfyui (http://127.0.0.1:8188/), or base URL of openai (https://api.openai.com/v1)." };
        var workflow = new Option<string?>("--workflow") { Description = "comfyui: a workflow in API format with {{prompt}}, {{seed}}, ... placeholders (docs/examples/comfyui)." };
        var lora = new Option<string?>("--lora") { Description = "comfyui: NAME[:WEIGHT] of a LoRA on the server, for a workflow with {{lora_name}} / {{lora_weight}}." };
        var negative = new Option<string?>("--negative") { Description = "Negative prompt (a1111, comfyui; the others ignore it)." };
        var model = new Option<string?>("--model") { Description = "diffusion: model file (.safetensors); openai: model name (default dall-e-2)." };
        var keyEnv = new Option<string?>("--api-key-env") { Description = "openai: environment variable holding the API key." };
        var variants = new Option<int>("--variants") { Description = "Variants per prompt.", DefaultValueFactory = _ => 20 };
        var random = new Option<bool>("--random") { Description = "Guidance and steps drawn at random (default: the grid 5, 7.5, 10, 12.5 x 20, 30, 40, 50, 60)." };
        var grid = new Option<bool>("--grid") { Description = "The documented grid (the default)." };
        var seed = new Option<long>("--seed") { Description = "Job seed (every variant's seed derives from it, the prompt id and the variant).", DefaultValueFactory = _ => 1 };
        var size = new Option<int>("--size") { Description = "Width and height in pixels.", DefaultValueFactory = _ => 512 };
        var limit = new Option<int?>("--limit") { Description = "Only the first N prompts." };
        var output = new Option<string>("--out") { Description = "Output folder (images/PROMPT/VVV.png and manifest.csv); rerun to resume.", Required = true };
        var cmd = new Command("generate", "Render N variants per prompt; failures are recorded per image and a rerun resumes.") { prompts, backend, url, model, keyEnv, workflow, lora, negative, variants, random, grid, seed, size, limit, output };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            CommandHelpers.Require(!(parse.GetValue(random) && parse.GetValue(grid)), "--grid and --random exclude each other");
            CommandHelpers.Require(parse.GetValue(variants) is >= 1 and <= 1000, $"--variants {parse.GetValue(variants)} is outside 1..1000");
            CommandHelpers.Require(parse.GetValue(size) is >= 8 and <= 4096, $"--size {parse.GetValue(size)} is outside 8..4096");
            var list = ReadPrompts(parse.GetValue(prompts)!);
            if (parse.GetValue(limit) is { } n)
            {
                CommandHelpers.Require(n >= 1, "--limit must be >= 1");
                list = list.Take(n).ToList();
            }

            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var generator = Backend(new BackendArguments(parse.GetValue(backend)!, parse.GetValue(url), parse.GetValue(model), parse.GetValue(keyEnv), parse.GetValue(workflow), parse.GetValue(lora)), http);
            var job = new GenerationJob(generator, new GenerationJobOptions
            {
                OutputFolder = parse.GetValue(output)!,
                Variants = parse.GetValue(variants),
                Mode = parse.GetValue(random) ? VariationMode.Random : VariationMode.Grid,
                Seed = parse.GetValue(seed),
                Width = parse.GetValue(size),
                Height = parse.GetValue(size),
                NegativePrompt = parse.GetValue(negative),
            });
            GenerationSummary summary = null!;
            await CommandHelpers.ProgressConsole().Progress().AutoClear(false).StartAsync(async ctx =>
            {
                var task = ctx.AddTask($"{generator.Name}: {list.Count} prompts x {parse.GetValue(variants)}", maxValue: list.Count * parse.GetValue(variants));
                summary = await job.RunAsync(list, new CommandHelpers.Sync<GenerationProgress>(p =>
                {
                    task.Value = p.Generated + p.Skipped + p.Failed;
                    task.Description = $"{generator.Name}: prompt {p.Prompt} variant {p.Variant} ({p.Failed} failed)";
                }), ct);
            });
            Console.WriteLine($"{summary.Generated} rendered, {summary.Skipped} already done, {summary.Failed} failed of {summary.Total}; manifest {Path.Combine(parse.GetValue(output)!, "manifest.csv")}");
            foreach (var f in summary.Failures)
            {
                Console.WriteLine($"failed: {f.Prompt}/{f.Variant.ToString("D3", CultureInfo.InvariantCulture)}: {f.Error}");
            }

            return 0;
        }));
        return cmd;
    }

    /// <summary>Prompts from a prompt folder or a file; the ids are the folder's prompt ids (1, 2, ...).</summary>
    internal static List<GenerationPrompt> ReadPrompts(string path)
    {
        PromptSet set;
        if (Directory.Exists(path))
        {
            CommandHelpers.Require(File.Exists(Path.Combine(path, "prompts.csv")), $"PROMPTS: {Path.Combine(path, "prompts.csv")} not found");
            set = PromptSet.Load(path);
        }
        else
        {
            CommandHelpers.Require(File.Exists(path), $"PROMPTS: no file or folder '{path}'");
            set = new PromptSet();
            PromptImporter.ImportFile(set, path);
        }

        CommandHelpers.Require(set.Prompts.Count > 0, $"PROMPTS: {path} has no prompts");
        return set.Prompts.Select(p => new GenerationPrompt(p.Id.ToString(CultureInfo.InvariantCulture), p.Text, p.Language, p.Source)).ToList();
    }

    private sealed record BackendArguments(string Name, string? Url, string? Model, string? KeyEnv, string? Workflow, string? Lora);

    private static IImageGenerator Backend(BackendArguments a, HttpClient http)
    {
        Uri Url(string example)
        {
            var u = a.Url ?? throw new CliInputException($"--backend {a.Name} needs --url (e.g. {example})");
            return Uri.TryCreate(u.EndsWith('/') ? u : u + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new CliInputException($"--url '{u}' is not an http(s) URL");
        }

        CommandHelpers.Require(a.Name == "comfyui" || (a.Workflow is null && a.Lora is null), $"--workflow and --lora apply to --backend comfyui only (not {a.Name})");
        switch (a.Name)
        {
            case "world":
                return new WorldImageGenerator();
            case "diffusion":
                var file = a.Model ?? throw new CliInputException("--backend diffusion needs --model FILE (a model saved by the diffusion trainer)");
                return DiffusionImageGenerator.Load(file);
            case "a1111":
                return new A1111Generator(http, new A1111Options { BaseUri = Url("http://127.0.0.1:7860/") });
            case "comfyui":
                return ComfyUi(a, Url("http://127.0.0.1:8188/"), http);
            case "openai":
                string? key = null;
                if (a.KeyEnv is not null)
                {
                    key = Environment.GetEnvironmentVariable(a.KeyEnv);
                    CommandHelpers.Require(!string.IsNullOrEmpty(key), $"--api-key-env {a.KeyEnv}: the variable is not set");
                }

                return new OpenAIImageGenerator(new OpenAIImageOptions { Endpoint = Url("https://api.openai.com/v1"), Model = a.Model ?? "dall-e-2", ApiKey = key });
            default:
                throw new CliInputException($"--backend '{a.Name}': expected {string.Join(", ", Backends)}");
        }
    }

    private static ComfyUiGenerator ComfyUi(BackendArguments a, Uri url, HttpClient http)
    {
        var path = a.Workflow ?? throw new CliInputException("--backend comfyui needs --workflow FILE (a workflow saved with \"Save (API Format)\", with {{prompt}} and {{seed}} placeholders; see docs/examples/comfyui)");
        CommandHelpers.Require(File.Exists(path), $"--workflow: no file '{path}'");
        ComfyUiWorkflow workflow;
        LoraSetting? lora;
        try
        {
            workflow = ComfyUiWorkflow.Parse(File.ReadAllText(path), path);
            lora = a.Lora is null ? null : LoraSetting.Parse(a.Lora);
        }
        catch (FormatException ex)
        {
            throw new CliInputException(ex.Message);
        }

        try
        {
            // The LoRA and its weight are part of the generator's name, so the base arm (weight 0) and the aligned arm of an
            // evaluation are two generators in a pool, as the evaluation pairs need.
            var name = lora is null ? "comfyui" : string.Create(CultureInfo.InvariantCulture, $"comfyui/{lora.Name}:{lora.Weight:R}");
            return new ComfyUiGenerator(http, new ComfyUiOptions { BaseUri = url, Workflow = workflow, Lora = lora, Name = name });
        }
        catch (ArgumentException ex)
        {
            throw new CliInputException($"--workflow {path}: {ex.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    private static Command Select()
    {
        var dir = new Argument<string>("DIR") { Description = "A folder written by images generate (manifest.csv)." };
        var k = new Option<int>("--k") { Description = "Images kept per prompt.", DefaultValueFactory = _ => 4 };
        var embedder = new Option<string>("--embedder") { Description = "color-layout (offline), world-clip (the shipped model, or --clip-dir), clip (--clip-dir of a Hugging Face CLIP checkpoint) or onnx-clip (--clip-dir of a CLIP ONNX export, run by ONNX Runtime).", DefaultValueFactory = _ => "color-layout" };
        var clipDir = new Option<string?>("--clip-dir") { Description = "clip: model.safetensors, config.json, vocab.json, merges.txt; onnx-clip: model.onnx (or text_model.onnx + vision_model.onnx), preprocessor_config.json, vocab.json, merges.txt." };
        var device = DeviceOption();
        var method = new Option<string>("--method") { Description = "greedy (LIVS), mmr, quality-weighted or random.", DefaultValueFactory = _ => "greedy" };
        var parameter = new Option<double?>("--parameter") { Description = "mmr: lambda (default 0.5); quality-weighted: alpha (default 1)." };
        var draws = new Option<int>("--random-draws") { Description = "Random k-subsets per prompt for the Vendi baseline.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed of the random baseline (and of --method random).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("select", "Keep the k most distinct images per prompt; writes selection.csv and selection-report.csv (Vendi vs random).") { dir, k, embedder, clipDir, device, method, parameter, draws, seed };
        cmd.SetAction(CliContext.Run((parse, ct) =>
        {
            var folder = parse.GetValue(dir)!;
            CommandHelpers.Require(File.Exists(Path.Combine(folder, "manifest.csv")), $"DIR: {Path.Combine(folder, "manifest.csv")} not found (run images generate first)");
            CommandHelpers.Require(parse.GetValue(k) >= 1, $"--k {parse.GetValue(k)} must be >= 1");
            CommandHelpers.Require(parse.GetValue(draws) >= 0, "--random-draws must be >= 0");
            if (!SelectionMethods.TryParse(parse.GetValue(method), out var m))
            {
                throw new CliInputException($"--method '{parse.GetValue(method)}': expected {string.Join(", ", SelectionMethods.All)}");
            }

            var dev = ParseDevice(parse.GetValue(device));
            var (emb, clip, onnx) = Embedder(parse.GetValue(embedder)!, parse.GetValue(clipDir), dev);
            using var _ = onnx;
            if (onnx is not null)
            {
                Console.WriteLine($"onnx-clip: {onnx}");
            }

            Func<ManifestRow, double>? quality = null;
            if (m is SelectionMethod.Mmr or SelectionMethod.QualityWeighted)
            {
                if (clip is not null)
                {
                    quality = ClipQuality.ImageText(folder, clip.Model, clip.Tokenizer);
                }
                else if (onnx is not null)
                {
                    quality = AutomaticEvaluator.ImageTextQuality(folder, new OnnxClipScorer(onnx, ScoreKind.Preference));
                }
                else
                {
                    Console.Error.WriteLine($"warning: --embedder {parse.GetValue(embedder)} has no text tower: every image gets quality 1 (use world-clip, clip or onnx-clip for an image-text score)");
                }
            }

            var options = new SelectionOptions { K = parse.GetValue(k), Method = m, RandomDraws = parse.GetValue(draws), Seed = parse.GetValue(seed), Parameter = parse.GetValue(parameter) ?? double.NaN };
            SelectionReport report = null!;
            CommandHelpers.ProgressConsole().Status().Start($"{emb.Name}: embedding", ctx =>
            {
                report = FolderSelection.Run(folder, emb, options, new CommandHelpers.Sync<string>(p => ctx.Status($"{emb.Name}: embedding prompt {p}")), quality);
            });
            double randomStd = report.Results.Count == 0 ? double.NaN : report.Results.Average(r => r.VendiRandomStd);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.Results.Count} prompts, k = {options.K}, {m.ToToken()} on {emb.Name}: Vendi selected {report.MeanVendiSelected:0.000}, random {report.MeanVendiRandom:0.000} (sd {randomStd:0.000} over {options.RandomDraws} draws), selected >= random in {report.FractionAtLeastRandom:P0} of prompts"));
            Console.WriteLine($"wrote {Path.Combine(folder, "selection.csv")} and {Path.Combine(folder, "selection-report.csv")}");
            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static (IImageEmbedder Embedder, WorldClip? Clip, OnnxClipModel? Onnx) Embedder(string name, string? clipDir, ExecutionDevice device)
    {
        CommandHelpers.Require(name == "onnx-clip" || device == ExecutionDevice.Cpu, $"--device cuda applies to --embedder onnx-clip only (--embedder {name} runs on the CPU)");
        switch (name)
        {
            case "color-layout":
                return (new ColorLayoutEmbedder(), null, null);
            case "world-clip":
                var dir = clipDir ?? CommandHelpers.DefaultWorldClip();
                var wc = WorldClip.Load(dir);
                return (wc.ImageEmbedder(), wc, null);
            case "clip":
                var c = WorldClip.Load(clipDir ?? throw new CliInputException("--embedder clip needs --clip-dir (model.safetensors, config.json, vocab.json, merges.txt of a CLIP checkpoint)"));
                return (new ClipImageEmbedder(c.Model, 8), c, null);
            case "onnx-clip":
                var model = LoadOnnx(clipDir ?? throw new CliInputException("--embedder onnx-clip needs --clip-dir (model.onnx or text_model.onnx + vision_model.onnx, preprocessor_config.json, vocab.json, merges.txt)"), new OnnxClipOptions { Device = device });
                return (new OnnxClipImageEmbedder(model), null, model);
            default:
                throw new CliInputException($"--embedder '{name}': expected {string.Join(", ", Embedders)}");
        }
    }

    private static Command Score()
    {
        var dir = new Argument<string>("DIR") { Description = "A folder written by images generate (manifest.csv with the prompt texts)." };
        var scorer = new Option<string>("--scorer") { Description = "Model folder of a CLIP-architecture scorer exported to ONNX (CLIP, PickScore, HPSv2): model.onnx or text_model.onnx + vision_model.onnx, preprocessor_config.json, vocab.json, merges.txt.", Required = true };
        var kind = new Option<string>("--kind") { Description = "preference (PickScore, HPSv2: exp(logit_scale) x cosine) or clip-score (100 x max(cosine, 0)).", DefaultValueFactory = _ => "preference" };
        var criteria = new Option<string?>("--criteria") { Description = "CSV with criterion,template (the template contains {prompt}); default: overall and the six LIVS criteria." };
        var language = new Option<string>("--language") { Description = "Language of the default criterion texts: en or fr.", DefaultValueFactory = _ => "en" };
        var logitScale = new Option<double?>("--logit-scale") { Description = "exp(logit_scale) of the scorer (default: read from model.onnx's logits; 100 for split exports)." };
        var device = DeviceOption();
        var cmd = new Command("score", "Score every image against its prompt's criterion texts with a CLIP-architecture scorer; writes scores.csv and score-pairs.csv (comparisons within a prompt only).") { dir, scorer, kind, criteria, language, logitScale, device };
        cmd.SetAction(CliContext.Run((parse, ct) =>
        {
            var folder = parse.GetValue(dir)!;
            CommandHelpers.Require(File.Exists(Path.Combine(folder, "manifest.csv")), $"DIR: {Path.Combine(folder, "manifest.csv")} not found (run images generate first)");
            if (!ScoreKinds.TryParse(parse.GetValue(kind), out var k))
            {
                throw new CliInputException($"--kind '{parse.GetValue(kind)}': expected {string.Join(", ", ScoreKinds.All)}");
            }

            CommandHelpers.Require(parse.GetValue(language) is "en" or "fr", $"--language '{parse.GetValue(language)}': expected en or fr");
            CommandHelpers.Require(parse.GetValue(logitScale) is null or > 0 and < 1e4, "--logit-scale must be positive");
            var list = parse.GetValue(criteria) is { } file ? CriterionPrompts.Load(file) : CriterionPrompts.Default(parse.GetValue(language)!);
            using var model = LoadOnnx(parse.GetValue(scorer)!, new OnnxClipOptions { Device = ParseDevice(parse.GetValue(device)), LogitScale = parse.GetValue(logitScale) });
            Console.WriteLine($"scorer: {model}");
            var evaluator = new AutomaticEvaluator(new OnnxClipScorer(model, k), list);
            IReadOnlyList<PromptScores> results = null!;
            CommandHelpers.ProgressConsole().Status().Start("scoring", ctx =>
            {
                results = evaluator.ScoreFolder(folder, new CommandHelpers.Sync<string>(p => ctx.Status($"scoring prompt {p}")));
            });
            Console.WriteLine($"{results.Count} prompts, {results.Sum(r => r.ImageIds.Count)} images, {list.Count} criteria ({string.Join(", ", list.Select(c => c.Criterion))}), {k.ToToken()} scores compared within each prompt");
            Console.WriteLine($"wrote {Path.Combine(folder, "scores.csv")} and {Path.Combine(folder, "score-pairs.csv")}");
            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static Option<string> DeviceOption() => new("--device")
    {
        Description = "Where ONNX Runtime runs: cpu (default) or cuda (needs the Microsoft.ML.OnnxRuntime.Gpu build, -p:OnnxRuntimeGpu=true, and an NVIDIA GPU).",
        DefaultValueFactory = _ => "cpu",
    };

    private static ExecutionDevice ParseDevice(string? text) => ExecutionDevices.TryParse(text, out var d)
        ? d
        : throw new CliInputException($"--device '{text}': expected {string.Join(", ", ExecutionDevices.All)}");

    internal static OnnxClipModel LoadOnnx(string folder, OnnxClipOptions options)
    {
        try
        {
            return OnnxClipModel.Load(folder, options);
        }
        catch (ExecutionDeviceException e)
        {
            throw new CliInputException(e.Message);
        }
    }
}
