using System.CommandLine;
using System.Globalization;
using Pluralist.Core.Model;
using Pluralist.Pipeline.Llm;
using Pluralist.Pipeline.Prompts;

namespace Pluralist.Cli;

/// <summary><c>pluralist prompts import|augment|compare</c>: a prompt folder (prompts.csv, provenance.csv, scenarios.csv).</summary>
public static class PromptsCommands
{
    public static Command Create()
    {
        var prompts = new Command("prompts", "Workshop prompts: import, augment (template, few-shot, scenario), compare sources.");
        prompts.Subcommands.Add(Import());
        prompts.Subcommands.Add(Augment());
        prompts.Subcommands.Add(Compare());
        return prompts;
    }

    private static Command Import()
    {
        var file = new Argument<string>("FILE") { Description = "Prompts: .csv (text, language, source, scenario, external_id) or text (one per line)." };
        var language = new Option<string>("--language") { Description = "Language of the prompts when the file does not say (en, fr, fr-CA ...).", DefaultValueFactory = _ => "en" };
        var source = new Option<string>("--source") { Description = "Source when the file does not say: human, scenario, llm-1, llm-2, llm-3, template.", DefaultValueFactory = _ => "human" };
        var scenarios = new Option<string?>("--scenarios") { Description = "Workshop scenarios CSV (scenario, name, typology, location, amenities), imported first." };
        var output = new Option<string>("--out") { Description = "Prompt folder; prompts already there are kept and new ones added.", Required = true };
        var cmd = new Command("import", "Import prompts (and scenarios) into a prompt folder, dropping duplicates.") { file, language, source, scenarios, output };
        cmd.SetAction(CliContext.Run((parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!Core.Model.Tokens.TryParse(parse.GetValue(source), out PromptSource src))
            {
                throw new CliInputException($"--source '{parse.GetValue(source)}': expected human, scenario, llm-1, llm-2, llm-3 or template");
            }

            var folder = parse.GetValue(output)!;
            var set = File.Exists(Path.Combine(folder, "prompts.csv")) ? PromptSet.Load(folder) : new PromptSet();
            var scenarioFile = parse.GetValue(scenarios);
            if (scenarioFile is not null)
            {
                CommandHelpers.Require(File.Exists(scenarioFile), $"--scenarios: file not found: {scenarioFile}");
                PromptImporter.ImportScenariosCsv(set, File.ReadAllBytes(scenarioFile), Path.GetFileName(scenarioFile));
            }

            CommandHelpers.Require(File.Exists(path), $"FILE: file not found: {path}");
            var result = PromptImporter.ImportFile(set, path, new PromptImportOptions { Language = parse.GetValue(language)!, Source = src });
            Directory.CreateDirectory(folder);
            set.Save(folder);
            Console.WriteLine($"{result.Added.Count} prompts added, {result.Duplicates.Count} duplicates dropped; {set.Prompts.Count} prompts and {set.Scenarios.Count} scenarios in {folder}");
            foreach (var d in result.Duplicates.Take(20))
            {
                Console.WriteLine($"duplicate: {d.Origin} repeats prompt {d.KeptPromptId.ToString(CultureInfo.InvariantCulture)}");
            }

            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static Command Augment()
    {
        var dir = new Argument<string>("DIR") { Description = "Prompt folder (from prompts import)." };
        var strategy = new Option<string>("--strategy") { Description = "template (offline), few-shot or scenario (an OpenAI-compatible chat endpoint).", Required = true };
        var endpoint = new Option<string?>("--endpoint") { Description = "Chat endpoint base URL, e.g. http://localhost:11434/v1 (few-shot, scenario)." };
        var model = new Option<string?>("--model") { Description = "Chat model name (few-shot, scenario)." };
        var keyEnv = new Option<string?>("--api-key-env") { Description = "Environment variable holding the API key (never passed on the command line)." };
        var seed = new Option<int>("--seed") { Description = "Seed of sampling and template refills.", DefaultValueFactory = _ => 1 };
        var variants = new Option<int>("--variants") { Description = "template: variants per human prompt.", DefaultValueFactory = _ => 3 };
        var mask = new Option<double>("--mask-fraction") { Description = "template: share of concept words masked and refilled.", DefaultValueFactory = _ => 0.5 };
        var language = new Option<string>("--language") { Description = "few-shot, scenario: language of the examples and of the new prompts.", DefaultValueFactory = _ => "en" };
        var calls = new Option<int>("--calls") { Description = "few-shot: calls to the model.", DefaultValueFactory = _ => 4 };
        var perCall = new Option<int>("--per-call") { Description = "few-shot, scenario: prompts asked for per call.", DefaultValueFactory = _ => 5 };
        var cmd = new Command("augment", "Grow a prompt folder with one of LIVS's three strategies; provenance names every parent.") { dir, strategy, endpoint, model, keyEnv, seed, variants, mask, language, calls, perCall };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var folder = parse.GetValue(dir)!;
            CommandHelpers.Require(File.Exists(Path.Combine(folder, "prompts.csv")), $"DIR: {Path.Combine(folder, "prompts.csv")} not found (run prompts import first)");
            var name = parse.GetValue(strategy)!;
            var set = PromptSet.Load(folder);
            int before = set.Prompts.Count;
            if (name == "template")
            {
                CommandHelpers.Require(parse.GetValue(variants) >= 1, "--variants must be >= 1");
                CommandHelpers.Require(parse.GetValue(mask) is > 0 and <= 1, "--mask-fraction must be in (0, 1]");
                var added = TemplateAugmenter.Augment(set, new TemplateOptions { VariantsPerPrompt = parse.GetValue(variants), MaskFraction = parse.GetValue(mask), Seed = parse.GetValue(seed) });
                set.Save(folder);
                Console.WriteLine($"template: {added.Count} prompts added ({before} -> {set.Prompts.Count})");
                return 0;
            }

            LlmStrategy s = name switch
            {
                "few-shot" => LlmStrategy.FewShot,
                "scenario" => LlmStrategy.Scenario,
                _ => throw new CliInputException($"--strategy '{name}': expected template, few-shot or scenario"),
            };
            var url = parse.GetValue(endpoint) ?? throw new CliInputException($"--strategy {name} needs --endpoint URL and --model NAME");
            var modelName = parse.GetValue(model) ?? throw new CliInputException($"--strategy {name} needs --model NAME");
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new CliInputException($"--endpoint '{url}' is not an http(s) URL");
            }

            string? key = null;
            if (parse.GetValue(keyEnv) is { } env)
            {
                key = Environment.GetEnvironmentVariable(env);
                CommandHelpers.Require(!string.IsNullOrEmpty(key), $"--api-key-env {env}: the variable is not set");
            }

            CommandHelpers.Require(parse.GetValue(calls) >= 1 && parse.GetValue(perCall) >= 1, "--calls and --per-call must be >= 1");
            var augmenter = new LlmAugmenter(new OpenAIChatModel(new ChatEndpointOptions { Endpoint = uri, Model = modelName, ApiKey = key }),
                new LlmAugmentOptions { Language = parse.GetValue(language)!, Calls = parse.GetValue(calls), PromptsPerCall = parse.GetValue(perCall), Seed = parse.GetValue(seed) });
            var logPath = Path.Combine(folder, "llm-log.jsonl");
            try
            {
                var result = await augmenter.AugmentAsync(set, s, ct);
                AppendLog(logPath, result.Log);
                set.Save(folder);
                Console.WriteLine($"{name}: {result.Added.Count} prompts added of {result.Received} received ({before} -> {set.Prompts.Count}); {result.Log.Exchanges.Count} requests logged in {logPath}");
                return 0;
            }
            catch (AugmentationException e)
            {
                AppendLog(logPath, e.Log);
                throw new CliInputException($"{name}: {e.Message} (nothing added; {e.Log.Exchanges.Count} requests logged in {logPath})");
            }
        }));
        return cmd;
    }

    private static string Format(Pluralist.Analysis.Text.PromptDivergenceResult r) =>
        string.Create(CultureInfo.InvariantCulture, $"{r.Divergence:0.000} [{r.Interval.Lower:0.000}, {r.Interval.Upper:0.000}]");

    private static void AppendLog(string path, ChatLog log)
    {
        using var w = new StreamWriter(path, append: true, new System.Text.UTF8Encoding(false));
        log.WriteJsonLines(w);
    }

    private static Command Compare()
    {
        var dir = new Argument<string>("DIR") { Description = "Prompt folder." };
        var csv = new Option<string?>("--csv") { Description = "Also write the table as CSV to this file." };
        var cmd = new Command("compare", "Compare prompt sources: count, words, distinct-1/2, novelty vs human prompts, concept coverage.") { dir, csv };
        cmd.SetAction(CliContext.Run((parse, ct) =>
        {
            var folder = parse.GetValue(dir)!;
            CommandHelpers.Require(File.Exists(Path.Combine(folder, "prompts.csv")), $"DIR: {Path.Combine(folder, "prompts.csv")} not found");
            var set = PromptSet.Load(folder);
            var stats = PromptComparison.Compare(set);
            Console.WriteLine("source\tlanguage\tcount\tmean_words\tdistinct1\tdistinct2\tnovelty\tjsd_vs_human [95% CI]");
            foreach (var s in stats)
            {
                // Jensen-Shannon divergence (bits) of the group's word distribution to the human prompts of its language (LIVS's comparison of the strategies).
                var human = set.Where(PromptSource.Human, s.Language).Select(p => p.Text).ToList();
                var mine = set.Where(s.Source, s.Language).Select(p => p.Text).ToList();
                var jsd = s.Source == PromptSource.Human || human.Count == 0 || mine.Count == 0
                    ? "-"
                    : Format(Pluralist.Analysis.Text.PromptDivergence.Compare(mine, human, new Pluralist.Analysis.Statistics.BootstrapOptions(Replicates: 500)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Source.ToToken()}\t{s.Language}\t{s.Count}\t{s.MeanWords:0.0}\t{s.Distinct1:0.000}\t{s.Distinct2:0.000}\t{s.NoveltyVsHuman:0.000}\t{jsd}"));
            }

            if (parse.GetValue(csv) is { } path)
            {
                using var w = new StreamWriter(path, false, new System.Text.UTF8Encoding(false));
                PromptComparison.WriteCsv(stats, w);
            }

            return Task.FromResult(0);
        }));
        return cmd;
    }
}
