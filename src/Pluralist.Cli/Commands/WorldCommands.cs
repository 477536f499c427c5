using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Demo;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;
using Pluralist.World.Simulation;

namespace Pluralist.Cli;

/// <summary>
/// <c>pluralist world render</c> and <c>pluralist world lexicon</c> (the procedural world as an image
/// generator), and <c>pluralist simulate</c> (simulated participants answering a study in process).
/// </summary>
public static class WorldCommands
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Adds <c>world</c> and <c>simulate</c> to the root command.</summary>
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(World());
        root.Subcommands.Add(Simulate());
    }

    /// <summary>The <c>world</c> group.</summary>
    public static Command World()
    {
        var world = new Command("world", "The procedural public-space world: render scenes from prompts or specs, show the lexicon.");
        world.Subcommands.Add(Render());
        world.Subcommands.Add(Lexicon());
        return world;
    }

    private static Command Render()
    {
        var prompt = new Option<string[]>("--prompt") { Description = "Prompt in English or French; the words may follow unquoted.", AllowMultipleArgumentsPerToken = true };
        var spec = new Option<string?>("--spec") { Description = "Scene spec JSON file (instead of --prompt)." };
        var seeds = new Option<string>("--seeds", "--seed") { Description = "Seeds: one (5), a list (1,2,5) or a range (1-8).", DefaultValueFactory = _ => "1" };
        var size = new Option<int>("--size") { Description = "Image width and height in pixels, 32..1024.", DefaultValueFactory = _ => 256 };
        var guidance = new Option<double>("--guidance") { Description = "How strictly the prompt is honoured (0 = ignored, 7.5 = 95% of its elements).", DefaultValueFactory = _ => 7.5 };
        var steps = new Option<int>("--steps") { Description = "Level of detail, 1..1000 (25 steps = detail 0.63).", DefaultValueFactory = _ => 30 };
        var language = new Option<string?>("--language") { Description = "Prompt language en or fr (default: detected)." };
        var name = new Option<string>("--name") { Description = "File name prefix.", DefaultValueFactory = _ => "scene" };
        var output = new Option<string>("--out") { Description = "Output folder (created).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per image instead of a table." };
        var render = new Command("render", "Render images with their spec JSON and EN/FR captions (metadata.jsonl).") { prompt, spec, seeds, size, guidance, steps, language, name, output, json };
        render.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var words = parse.GetValue(prompt) ?? [];
            var specFile = parse.GetValue(spec);
            if ((words.Length == 0) == (specFile is null))
            {
                throw new CliInputException("give either --prompt TEXT or --spec FILE");
            }

            int px = parse.GetValue(size);
            if (px is < SceneRenderer.MinSize or > SceneRenderer.MaxSize)
            {
                throw new CliInputException($"--size {px} is outside {SceneRenderer.MinSize}..{SceneRenderer.MaxSize}");
            }

            var seedList = CommandHelpers.ParseSeeds(parse.GetValue(seeds)!);
            var folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder);
            SceneSpec? fixedSpec = null;
            ParsedPrompt parsed;
            try
            {
                fixedSpec = specFile is null ? null : SceneFile.ReadSpec(specFile);
                parsed = PromptParser.Parse(string.Join(' ', words), parse.GetValue(language));
            }
            catch (SceneSpecException e)
            {
                throw new CliInputException(e.Message);
            }
            catch (FileNotFoundException e)
            {
                throw new CliInputException($"spec file not found: {e.FileName}");
            }

            if (parsed.UnknownWords.Count > 0)
            {
                await Console.Error.WriteLineAsync($"warning: unknown words (not drawn): {string.Join(", ", parsed.UnknownWords)}");
            }

            var metadata = new List<string>();
            foreach (int seed in seedList)
            {
                ct.ThrowIfCancellationRequested();
                var request = new GenerationRequest(fixedSpec is null ? parsed.Text : $"spec:{Path.GetFileName(specFile)}", seed, parse.GetValue(guidance), parse.GetValue(steps), px, px, parsed.Language);
                var g = fixedSpec is null ? WorldGenerator.Generate(request) : WorldGenerator.FromSpec(request, parsed, fixedSpec, []);
                var file = $"{parse.GetValue(name)}-s{seed.ToString(CultureInfo.InvariantCulture)}.png";
                await File.WriteAllBytesAsync(Path.Combine(folder, file), Pipeline.Images.ImageCodec.Encode(g.Image, Pipeline.Images.ImageFormat.Png), ct);
                await File.WriteAllTextAsync(Path.Combine(folder, SceneFile.SpecPath(file)), SceneFile.Write(g), ct);
                var row = new JsonObject { ["file_name"] = file, ["text"] = g.CaptionEn, ["text_fr"] = g.CaptionFr };
                metadata.Add(row.ToJsonString(Compact));
                if (parse.GetValue(json))
                {
                    Console.WriteLine(new JsonObject
                    {
                        ["file"] = file,
                        ["seed"] = seed,
                        ["captionEn"] = g.CaptionEn,
                        ["captionFr"] = g.CaptionFr,
                        ["utilities"] = new JsonObject([.. g.Utilities.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
                    }.ToJsonString(Compact));
                }
                else
                {
                    Console.WriteLine($"{file}\t{g.CaptionEn}");
                }
            }

            await File.WriteAllLinesAsync(Path.Combine(folder, "metadata.jsonl"), metadata, ct);
            return 0;
        }));
        return render;
    }

    private static Command Lexicon()
    {
        var language = new Option<string?>("--language") { Description = "Only this language (en or fr)." };
        var json = new Option<bool>("--json") { Description = "Machine-readable JSON output." };
        var lexicon = new Command("lexicon", "Print the EN/FR lexicon: phrases and the scene constraints they ask for.") { language, json };
        lexicon.SetAction(CliContext.Run((parse, ct) =>
        {
            var lang = parse.GetValue(language);
            if (lang is not null && !SceneLexicon.Languages.Contains(lang))
            {
                throw new CliInputException($"--language {lang}: expected en or fr");
            }

            var entries = SceneLexicon.Entries.Where(e => lang is null || e.Language == lang).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(entries.Select(e => new { language = e.Language, phrases = e.Phrases, effects = e.Effects.Select(c => c.ToString()) }), JsonOptions));
            }
            else
            {
                foreach (var e in entries)
                {
                    Console.WriteLine($"{e.Language}\t{string.Join(" | ", e.Phrases)}\t{(e.Effects.Count == 0 ? "(setting word, nothing drawn)" : string.Join("; ", e.Effects))}");
                }
            }

            return Task.FromResult(0);
        }));
        return lexicon;
    }

    /// <summary>The <c>simulate</c> verb.</summary>
    public static Command Simulate()
    {
        var study = new Option<string>("--study") { Description = "Study key or id.", DefaultValueFactory = _ => Defaults.StudyKey };
        var participants = new Option<int>("--participants") { Description = "Simulated participants to add.", DefaultValueFactory = _ => 20 };
        var answers = new Option<int>("--answers") { Description = "Pairs each participant answers (fewer if they run out of pairs).", DefaultValueFactory = _ => 30 };
        var behaviours = new Option<string>("--behaviours") { Description = "Behaviour mix, e.g. careful=0.8,speeder=0.1,straight-liner=0.05,inattentive=0.05.", DefaultValueFactory = _ => "careful=0.8,speeder=0.1,straight-liner=0.05,inattentive=0.05" };
        var seed = new Option<int>("--seed") { Description = "Seed for profiles, behaviours and answers.", DefaultValueFactory = _ => 1 };
        var demo = new Option<bool>("--demo") { Description = "Seed the demo study first (world-generated images and pairs) if it has none." };
        var json = new Option<bool>("--json") { Description = "Machine-readable JSON output." };
        var simulate = new Command("simulate", "Add simulated participants who answer the study's pairs in process (written to the database).") { study, participants, answers, behaviours, seed, demo, json };
        simulate.SetAction(CliContext.Run(async (parse, ct) =>
        {
            BehaviourMix mix;
            try
            {
                mix = BehaviourMix.Parse(parse.GetValue(behaviours)!);
            }
            catch (FormatException e)
            {
                throw new CliInputException($"--behaviours: {e.Message}");
            }

            if (parse.GetValue(participants) < 0 || parse.GetValue(answers) < 0)
            {
                throw new CliInputException("--participants and --answers must be >= 0");
            }

            var (data, options) = CliContext.Resolve(parse);
            data.EnsureCreated();
            await PluralistDatabase.MigrateAsync(options, ct: ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var now = DateTimeOffset.UtcNow;
            if (parse.GetValue(demo))
            {
                await DemoSeeder.SeedAsync(db, data, now, codes: 0, ct: ct, attentionChecks: true).ConfigureAwait(false);
            }

            SimulationResult result;
            try
            {
                result = await DemoSeeder.SimulateAsync(db, data, parse.GetValue(study)!, parse.GetValue(participants), parse.GetValue(answers), mix, parse.GetValue(seed), now, ct).ConfigureAwait(false);
            }
            catch (SceneSpecException e)
            {
                throw new CliInputException(e.Message);
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    participants = result.Participants,
                    annotations = result.Annotations,
                    scores = result.Scores,
                    unanswered = result.Unanswered,
                    behaviours = result.Behaviours.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                }, JsonOptions));
            }
            else
            {
                Console.WriteLine($"{result.Participants} simulated participants, {result.Annotations} annotations, {result.Scores} criterion answers ({result.Unanswered} left unanswered)");
                Console.WriteLine("behaviours: " + string.Join(", ", result.Behaviours.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));
            }

            return 0;
        }));
        return simulate;
    }
}
