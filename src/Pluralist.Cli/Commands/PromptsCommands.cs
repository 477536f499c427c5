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
        var prompts = new Command("prompts", "Workshop prompts: import, augment (few-shot, scenario, mask-refill on a model server, or the offline template), compare sources.");
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

    /// <summary>How the template strategy is named in help and output.</summary>
    internal const string TemplateLabel = "offline template (default without a model server)";

    private static Command Augment()
    {
        var dir = new Argument<string>("DIR") { Description = "Prompt folder (from prompts import)." };
        var strategy = new Option<string?>("--strategy") { Description = $"template: {TemplateLabel}; few-shot, scenario or mask-refill: LIVS's language-model methods 1 to 3 on an OpenAI-compatible chat endpoint (--endpoint, --model). Default template; with --endpoint, name one of the three." };
        var endpoint = new Option<string?>("--endpoint") { Description = "OpenAI-compatible base URL with the version segment, e.g. http://localhost:11434/v1 (few-shot, scenario, mask-refill)." };
        var model = new Option<string?>("--model") { Description = "Chat model id sent to the endpoint (few-shot, scenario, mask-refill)." };
        var keyEnv = new Option<string>("--api-key-env") { Description = "Environment variable holding the API key (never on the command line); local servers need none.", DefaultValueFactory = _ => "OPENAI_API_KEY" };
        var seed = new Option<int>("--seed") { Description = "Seed of sampling, masks and template refills.", DefaultValueFactory = _ => 1 };
        var variants = new Option<int?>("--variants") { Description = "template: variants per human prompt (default 3); mask-refill: calls per human prompt, each with its own masks (default 1)." };
        var mask = new Option<double>("--mask-fraction") { Description = "template, mask-refill: share of a prompt's keywords masked and refilled (at least one).", DefaultValueFactory = _ => 0.5 };
        var language = new Option<string>("--language") { Description = "few-shot, scenario, mask-refill: language of the human prompts used and of the new prompts.", DefaultValueFactory = _ => "en" };
        var calls = new Option<int>("--calls") { Description = "few-shot: calls to the model.", DefaultValueFactory = _ => 4 };
        var perCall = new Option<int>("--per-call") { Description = "few-shot, scenario: prompts asked for per call.", DefaultValueFactory = _ => 5 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of the model.", DefaultValueFactory = _ => 0.9f };
        var rpm = new Option<double>("--rpm") { Description = "Most requests per minute (0: no limit).", DefaultValueFactory = _ => 0 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for one answer.", DefaultValueFactory = _ => 120 };
        var retries = new Option<int>("--retries") { Description = "Retries after HTTP 429, 5xx or a timeout.", DefaultValueFactory = _ => 4 };
        var invalidRetries = new Option<int>("--invalid-retries") { Description = "Retries after an answer that is not valid (the model is told why); then the call counts as without answer.", DefaultValueFactory = _ => 2 };
        var cmd = new Command("augment", "Grow a prompt folder with LIVS's strategies (few-shot, scenario, mask-refill on a model server) or the offline template (default without a model server); provenance names every parent.")
        {
            dir, strategy, endpoint, model, keyEnv, seed, variants, mask, language, calls, perCall, temperature, rpm, timeout, retries, invalidRetries,
        };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var folder = parse.GetValue(dir)!;
            CommandHelpers.Require(File.Exists(Path.Combine(folder, "prompts.csv")), $"DIR: {Path.Combine(folder, "prompts.csv")} not found (run prompts import first)");
            var url = parse.GetValue(endpoint);
            var name = parse.GetValue(strategy) ?? (url is null ? "template" : throw new CliInputException($"--strategy: name few-shot, scenario or mask-refill to use the model server at {url} (the {TemplateLabel} takes no --endpoint)"));
            CommandHelpers.Require(parse.GetValue(mask) is > 0 and <= 1, "--mask-fraction", "must be in (0, 1]");
            CommandHelpers.Require(parse.GetValue(variants) is null or >= 1, "--variants", "must be at least 1");
            var set = PromptSet.Load(folder);
            int before = set.Prompts.Count;
            if (name == "template")
            {
                CommandHelpers.Require(url is null, "--endpoint", $"the {TemplateLabel} calls no model; use few-shot, scenario or mask-refill with a model server");
                var added = TemplateAugmenter.Augment(set, new TemplateOptions { VariantsPerPrompt = parse.GetValue(variants) ?? 3, MaskFraction = parse.GetValue(mask), Seed = parse.GetValue(seed) });
                set.Save(folder);
                Console.WriteLine($"template, the {TemplateLabel}: {added.Count} prompts added ({before} -> {set.Prompts.Count})");
                return 0;
            }

            LlmStrategy s = name switch
            {
                "few-shot" => LlmStrategy.FewShot,
                "scenario" => LlmStrategy.Scenario,
                "mask-refill" => LlmStrategy.MaskRefill,
                _ => throw new CliInputException($"--strategy '{name}': expected template, few-shot, scenario or mask-refill"),
            };
            if (url is null)
            {
                throw new CliInputException($"--strategy {name} needs --endpoint URL and --model NAME (a model server); without one, use the {TemplateLabel}");
            }

            var uri = ChatEndpoint.ParseUrl(url);
            var modelName = parse.GetValue(model) ?? throw new CliInputException($"--strategy {name} needs --model NAME");
            CommandHelpers.Require(parse.GetValue(calls) >= 1 && parse.GetValue(perCall) >= 1, "--calls and --per-call must be >= 1");
            var settings = ChatEndpoint.Settings(modelName, parse.GetValue(temperature), parse.GetValue(rpm), parse.GetValue(timeout), parse.GetValue(retries), parse.GetValue(invalidRetries), maxOutputTokens: 2000);
            using var client = ChatEndpoint.Client(uri, modelName, ChatEndpoint.ApiKey(parse, keyEnv), parse.GetValue(timeout));
            var augmenter = new LlmAugmenter(client, settings, new LlmAugmentOptions
            {
                Language = parse.GetValue(language)!,
                Calls = parse.GetValue(calls),
                PromptsPerCall = parse.GetValue(perCall),
                Seed = parse.GetValue(seed),
                VariantsPerPrompt = parse.GetValue(variants) ?? 1,
                MaskFraction = parse.GetValue(mask),
            });
            var logPath = Path.Combine(folder, "llm-log.jsonl");
            AugmentationResult result;
            try
            {
                result = await augmenter.AugmentAsync(set, s, ct);
            }
            catch (AugmentationException e)
            {
                AppendLog(logPath, e.Log);
                throw new CliInputException($"{name}: {e.Message} ({e.Log.Exchanges.Count} attempts logged in {logPath})");
            }
            catch (ArgumentException e)
            {
                throw new CliInputException($"{name}: {e.Message}");
            }

            AppendLog(logPath, result.Log);
            set.Save(folder);
            Console.WriteLine($"{name}: {result.Added.Count} prompts added of {result.Received} received ({before} -> {set.Prompts.Count}); {result.Calls} calls, {result.Failures.Count} without a valid answer; tokens {result.InputTokens} in / {result.OutputTokens} out; {result.Log.Exchanges.Count} attempts logged in {logPath}");
            if (result.SkippedWithoutKeywords > 0)
            {
                Console.WriteLine($"{result.SkippedWithoutKeywords} human prompts have no keyword to mask and were skipped");
            }

            foreach (var f in result.Failures.Take(10))
            {
                Console.WriteLine($"  {f.CallId}: {f.Status.ToString().ToLowerInvariant()}: {f.Error}");
            }

            return 0;
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
