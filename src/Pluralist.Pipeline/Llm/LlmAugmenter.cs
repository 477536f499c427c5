using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Pluralist.Core.Model;
using Pluralist.Core.Prompts;
using Pluralist.Core.Text;
using Pluralist.Pipeline.Prompts;
using Pluralist.Pipeline.Raters;

namespace Pluralist.Pipeline.Llm;

/// <summary>The three LIVS strategies that call a language model (App. C.1, Methods 1 to 3).</summary>
public enum LlmStrategy
{
    /// <summary>Method 1: 8-16 sampled human prompts as examples.</summary>
    FewShot = 0,

    /// <summary>Method 2: a workshop scenario plus concept keywords plus 8 examples.</summary>
    Scenario = 1,

    /// <summary>Method 3: the concept keywords of a human prompt masked, the model refills them with other concepts.</summary>
    MaskRefill = 2,
}

/// <summary>Settings of language-model augmentation.</summary>
public sealed record LlmAugmentOptions
{
    /// <summary>Language of the examples used and of the prompts asked for.</summary>
    public string Language { get; init; } = "en";

    /// <summary>Few-shot calls to make (each with its own sample of examples).</summary>
    public int Calls { get; init; } = 4;

    /// <summary>Scenario calls per scenario.</summary>
    public int CallsPerScenario { get; init; } = 1;

    /// <summary>Prompts asked for in one call.</summary>
    public int PromptsPerCall { get; init; } = 5;

    /// <summary>Few-shot examples per call, drawn uniformly in [min, max] (all human prompts when fewer).</summary>
    public int MinExamples { get; init; } = 8;

    public int MaxExamples { get; init; } = 16;

    /// <summary>Examples in a scenario call.</summary>
    public int ScenarioExamples { get; init; } = 8;

    /// <summary>Concept keywords drawn per category for a scenario call.</summary>
    public int KeywordsPerCategory { get; init; } = 2;

    public int Seed { get; init; } = 1;

    /// <summary>Mask-refill calls per human prompt (each with its own draw of masked keywords).</summary>
    public int VariantsPerPrompt { get; init; } = 1;

    /// <summary>Share of a prompt's keywords masked in a mask-refill call (at least one).</summary>
    public double MaskFraction { get; init; } = 0.5;

    /// <summary>Longest text accepted for one refilled mask, in characters.</summary>
    public int MaxFillLength { get; init; } = 60;

    /// <summary>Source recorded for few-shot prompts (default llm-1), scenario prompts (llm-2) and mask-refill prompts (llm-3).</summary>
    public PromptSource FewShotSource { get; init; } = PromptSource.Llm1;

    public PromptSource ScenarioSource { get; init; } = PromptSource.Llm2;

    public PromptSource MaskRefillSource { get; init; } = PromptSource.Llm3;

    /// <summary>Longest prompt accepted from the model, in characters.</summary>
    public int MaxPromptLength { get; init; } = 400;
}

/// <summary>Thrown when a batch fails; nothing was added to the set. <see cref="Log"/> has every exchange up to the failure.</summary>
public sealed class AugmentationException(string message, ChatLog log, Exception? inner = null) : Exception(message, inner)
{
    public ChatLog Log { get; } = log;
}

/// <summary>A call that ended without a valid answer (invalid after its retries, or refused); it added nothing.</summary>
public sealed record AugmentationFailure(string CallId, RatingStatus Status, string Error);

/// <summary>
/// The prompts a batch added (duplicates skipped), how many valid ones were received, the calls made, those that ended
/// without a valid answer, the human prompts a mask-refill batch skipped for want of keywords, and the log of every attempt.
/// </summary>
public sealed record AugmentationResult(IReadOnlyList<Prompt> Added, int Received, ChatLog Log)
{
    public int Calls { get; init; }

    public IReadOnlyList<AugmentationFailure> Failures { get; init; } = [];

    public int SkippedWithoutKeywords { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }
}

/// <summary>
/// LIVS's language-model strategies (few-shot, scenario, mask-refill) against any <see cref="IChatClient"/>, through the
/// raters' request loop (<see cref="JsonChat"/>: pacing, retries on 429/5xx/timeouts, JSON answers against a schema,
/// an invalid answer sent back with what was wrong and then counted, never guessed). A batch makes all its calls first
/// and adds the prompts of the calls that got a valid answer; when the endpoint fails for good (an HTTP error, retries
/// used up) or no call got a valid answer, it throws <see cref="AugmentationException"/> and the set is left as it was.
/// </summary>
public sealed class LlmAugmenter
{
    /// <summary>Name of the JSON schema of few-shot and scenario answers: <c>{"prompts": ["…"]}</c>.</summary>
    public const string PromptsSchemaName = "livs_prompts";

    /// <summary>Name of the JSON schema of mask-refill answers: <c>{"prompt": "…"}</c>.</summary>
    public const string MaskRefillSchemaName = "livs_mask_refill";

    /// <summary>The mask token shown to the model.</summary>
    public const string Mask = "[MASK]";

    private readonly IChatClient _client;
    private readonly RaterOptions _settings;
    private readonly LlmAugmentOptions _options;
    private readonly RequestPacer _pacer;

    /// <param name="client">The chat client (the raters' <see cref="OpenAICompatible.Create"/> for an OpenAI-compatible endpoint).</param>
    /// <param name="settings">Model, temperature, output tokens, retries, timeout and rate limit, as for the raters.</param>
    /// <param name="options">What to ask for.</param>
    public LlmAugmenter(IChatClient client, RaterOptions settings, LlmAugmentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        _client = client;
        _settings = settings;
        _options = options ?? new LlmAugmentOptions();
        _pacer = new RequestPacer(settings.RequestsPerMinute);
    }

    private sealed record Call(string CallId, List<ChatMessage> Messages, ChatOptions ChatOptions, long[] Parents, long? Scenario, PromptSource Source, string Strategy, Func<string, (List<Candidate>? Value, string? Problem)> Validate);

    /// <summary>A prompt read from a valid answer, with the provenance detail (mask-refill: what replaced what).</summary>
    public sealed record Candidate(string Text, string? Detail);

    public async Task<AugmentationResult> AugmentAsync(PromptSet set, LlmStrategy strategy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        var o = _options;
        if (o.MinExamples < 1 || o.MaxExamples < o.MinExamples || o.PromptsPerCall < 1 || o.Calls < 0 || o.CallsPerScenario < 0 || o.ScenarioExamples < 0 || o.KeywordsPerCategory < 0
            || o.VariantsPerPrompt < 1 || o.MaskFraction is <= 0 or > 1 || o.MaxFillLength < 1)
        {
            throw new ArgumentException("augmentation options: need 1 <= MinExamples <= MaxExamples, PromptsPerCall >= 1, VariantsPerPrompt >= 1, MaskFraction in (0, 1], MaxFillLength >= 1, and no negative counts");
        }

        var human = set.Where(PromptSource.Human, o.Language);
        if (human.Count == 0)
        {
            throw new ArgumentException($"no human prompts in language '{o.Language}' to use", nameof(set));
        }

        var random = new Random(o.Seed);
        var calls = new List<Call>();
        int skipped = 0;
        var prompts = PromptsOptions();
        if (strategy == LlmStrategy.FewShot)
        {
            for (int c = 0; c < o.Calls; c++)
            {
                int count = Math.Min(human.Count, random.Next(o.MinExamples, o.MaxExamples + 1));
                var examples = Sample(human, count, random);
                calls.Add(new Call($"few-shot-{c + 1}", [.. FewShotMessages(examples)], prompts, [.. examples.Select(e => e.Id)], null, o.FewShotSource, "few-shot", ValidatePrompts));
            }
        }
        else if (strategy == LlmStrategy.Scenario)
        {
            if (set.Scenarios.Count == 0)
            {
                throw new ArgumentException("the scenario strategy needs scenarios; import them first", nameof(set));
            }

            foreach (var scenario in set.Scenarios)
            {
                for (int c = 0; c < o.CallsPerScenario; c++)
                {
                    // Prefer examples written for this scenario, topped up with other human prompts.
                    var own = human.Where(p => p.ScenarioId == scenario.Id).ToList();
                    var examples = Sample(own, Math.Min(own.Count, o.ScenarioExamples), random)
                        .Concat(Sample(human.Where(p => p.ScenarioId != scenario.Id).ToList(), Math.Max(0, o.ScenarioExamples - own.Count), random))
                        .ToArray();
                    (string Category, IReadOnlyList<string> Words)[] keywords = Concepts.Supports(o.Language)
                        ? Concepts.Categories.Select(cat => (cat, (IReadOnlyList<string>)Sample(Concepts.Words(o.Language, cat), o.KeywordsPerCategory, random))).ToArray()
                        : [];
                    calls.Add(new Call($"scenario-{scenario.Id.ToString(CultureInfo.InvariantCulture)}-{c + 1}", [.. ScenarioMessages(scenario, keywords, examples)], prompts,
                        [.. examples.Select(e => e.Id)], scenario.Id, o.ScenarioSource, "scenario", ValidatePrompts));
                }
            }
        }
        else
        {
            if (!Keywords.Supports(o.Language))
            {
                throw new ArgumentException($"the mask-refill strategy finds keywords in {string.Join(", ", Concepts.Languages)} only, not '{o.Language}'", nameof(set));
            }

            var refill = MaskRefillOptions();
            foreach (var parent in human)
            {
                var keywords = Keywords.Extract(parent.Text, parent.Language);
                if (keywords.Count == 0)
                {
                    skipped++;
                    continue;
                }

                int masks = Math.Max(1, (int)Math.Round(keywords.Count * o.MaskFraction, MidpointRounding.AwayFromZero));
                for (int v = 0; v < o.VariantsPerPrompt; v++)
                {
                    var order = Enumerable.Range(0, keywords.Count).ToArray();
                    random.Shuffle(order);
                    var masked = MaskedPrompt.Make(parent.Text, [.. order.Take(masks).Order().Select(i => keywords[i])]);
                    calls.Add(new Call($"mask-refill-{parent.Id.ToString(CultureInfo.InvariantCulture)}-{v + 1}", [.. MaskRefillMessages(masked)], refill,
                        [parent.Id], parent.ScenarioId, o.MaskRefillSource, "mask-refill", text => ValidateRefill(text, masked, o.MaxFillLength, o.MaxPromptLength)));
                }
            }

            if (calls.Count == 0)
            {
                throw new ArgumentException($"no human prompt in '{o.Language}' has a keyword to mask", nameof(set));
            }
        }

        var log = new ChatLog();
        var endpoint = _client.GetService<ChatClientMetadata>()?.ProviderUri?.ToString() ?? _client.GetType().Name;
        var received = new List<(Candidate Candidate, Call Call)>();
        var failures = new List<AugmentationFailure>();
        long input = 0, output = 0;
        foreach (var call in calls)
        {
            var outcome = await JsonChat.AskAsync(_client, _pacer, _settings, call.Messages, call.ChatOptions, call.Validate, a => log.Add(new ChatExchange(
                call.CallId, a.Attempt, a.At, endpoint, _settings.Model, [.. a.Sent.Select(m => new ChatTurn(m.Role.Value, m.Text))], a.Status, a.ResponseId, a.Text, a.Error)),
                cancellationToken).ConfigureAwait(false);
            input += outcome.InputTokens;
            output += outcome.OutputTokens;
            switch (outcome.Status)
            {
                case RatingStatus.Ok:
                    received.AddRange(outcome.Value!.Select(c => (c, call)));
                    break;
                case RatingStatus.Failed:
                    throw new AugmentationException($"augmentation stopped, nothing was added: chat endpoint {endpoint} ({call.CallId}): {outcome.Error}", log);
                default:
                    failures.Add(new AugmentationFailure(call.CallId, outcome.Status, outcome.Error!));
                    break;
            }
        }

        if (calls.Count > 0 && failures.Count == calls.Count)
        {
            throw new AugmentationException($"no call got a valid answer, nothing was added; {failures[0].CallId}: {failures[0].Error}", log);
        }

        var added = new List<Prompt>();
        foreach (var (candidate, call) in received)
        {
            if (set.AddDerived(candidate.Text, o.Language, call.Source, call.Parents, call.Strategy, call.Scenario, call.CallId, candidate.Detail) is { } p)
            {
                added.Add(p);
            }
        }

        return new AugmentationResult(added, received.Count, log)
        {
            Calls = calls.Count,
            Failures = failures,
            SkippedWithoutKeywords = skipped,
            InputTokens = input,
            OutputTokens = output,
        };
    }

    /// <summary>The messages of a few-shot call.</summary>
    public IReadOnlyList<ChatMessage> FewShotMessages(IReadOnlyList<Prompt> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var sb = new StringBuilder();
        sb.Append("Here are descriptions of public spaces written by community members in a participatory workshop:\n");
        AppendExamples(sb, examples);
        sb.Append(CultureInfo.InvariantCulture, $"\nWrite {_options.PromptsPerCall} new descriptions in {LanguageName(_options.Language)}, in the same style and length, each describing a different public space. ");
        sb.Append(AnswerFormat);
        return [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, sb.ToString())];
    }

    /// <summary>The messages of a scenario call.</summary>
    public IReadOnlyList<ChatMessage> ScenarioMessages(WorkshopScenario scenario, IReadOnlyList<(string Category, IReadOnlyList<string> Words)> keywords, IReadOnlyList<Prompt> examples)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(keywords);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Scenario: a {scenario.Typology} in {scenario.Location}");
        if (scenario.Amenities.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" with {string.Join(", ", scenario.Amenities)}");
        }

        sb.Append(".\n");
        if (keywords.Count > 0)
        {
            sb.Append("Concept keywords to draw on:\n");
            foreach (var (category, words) in keywords)
            {
                sb.Append(CultureInfo.InvariantCulture, $"- {category}: {string.Join(", ", words)}\n");
            }
        }

        sb.Append("Examples written by community members:\n");
        AppendExamples(sb, examples);
        sb.Append(CultureInfo.InvariantCulture, $"\nWrite {_options.PromptsPerCall} new descriptions in {LanguageName(_options.Language)} of this scenario, each combining some of the keywords differently. ");
        sb.Append(AnswerFormat);
        return [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, sb.ToString())];
    }

    /// <summary>The messages of a mask-refill call: the human prompt with its chosen keywords masked, and the words they hid.</summary>
    public IReadOnlyList<ChatMessage> MaskRefillMessages(MaskedPrompt masked)
    {
        ArgumentNullException.ThrowIfNull(masked);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"A community member wrote this description of a public space in a participatory workshop. Some of its concept keywords are hidden as {Mask}:\n");
        sb.Append(masked.Template).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"The hidden words were, in order: {string.Join(", ", masked.Masked.Select(k => $"\"{k.Word}\""))}.\n");
        sb.Append(CultureInfo.InvariantCulture, $"Replace every {Mask} with a different concept (a word or a short phrase in {LanguageName(_options.Language)}, not the hidden word), so that the description shows another public space and still reads naturally. ");
        sb.Append("Keep every other word and the punctuation exactly as they are. ");
        sb.Append("Answer with JSON only, in this form: {\"prompt\": \"the description with every [MASK] filled\"}");
        return [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, sb.ToString())];
    }

    /// <summary>
    /// Checks a few-shot or scenario answer: a JSON object with a "prompts" array of strings (a bare array and a single
    /// ```json fence are accepted), each non-empty and at most <paramref name="maxLength"/> characters, between one and
    /// <paramref name="expected"/> of them. Returns the cleaned prompts, or null and the problem.
    /// </summary>
    public static (IReadOnlyList<string>? Prompts, string? Problem) ParsePrompts(string? content, int expected, int maxLength)
    {
        var json = JsonChat.Unfence(content);
        JsonElement array;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("prompts", out var p))
            {
                array = p.Clone();
            }
            else if (root.ValueKind == JsonValueKind.Array)
            {
                array = root.Clone();
            }
            else
            {
                return (null, "expected a JSON object with a \"prompts\" array");
            }
        }
        catch (JsonException ex)
        {
            return (null, $"the answer is not JSON ({ex.Message})");
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            return (null, "\"prompts\" is not an array");
        }

        var result = new List<string>();
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return (null, $"prompts[{i}] is a {item.ValueKind.ToString().ToLowerInvariant()}, not a string");
            }

            var text = PromptText.Clean(item.GetString()!);
            if (text.Length == 0)
            {
                return (null, $"prompts[{i}] is empty");
            }

            if (text.Length > maxLength)
            {
                return (null, $"prompts[{i}] has {text.Length} characters, more than {maxLength}");
            }

            result.Add(text);
            i++;
        }

        if (result.Count == 0)
        {
            return (null, "no prompts in the answer");
        }

        if (result.Count > expected)
        {
            return (null, $"{result.Count} prompts returned, {expected} asked for");
        }

        return (result, null);
    }

    /// <summary>
    /// Checks a mask-refill answer: one JSON object <c>{"prompt": "…"}</c> (nothing else; a single ```json fence is
    /// accepted) whose text is the masked prompt with every unmasked word and punctuation kept as it was (runs of spaces
    /// aside) and every mask filled with a non-empty text of at most <paramref name="maxFill"/> characters that is not the
    /// hidden word and holds no mask. Returns the prompt and the detail "category:old->new; …", or null and the problem.
    /// </summary>
    public static (Candidate? Refill, string? Problem) ParseRefill(string? content, MaskedPrompt masked, int maxFill, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(masked);
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(JsonChat.Unfence(content));
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return (null, $"the answer is not JSON ({ex.Message})");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, $"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");
        }

        foreach (var p in root.EnumerateObject())
        {
            if (p.Name != "prompt")
            {
                return (null, $"unexpected key '{p.Name}' (expected prompt)");
            }
        }

        if (!root.TryGetProperty("prompt", out var value) || value.ValueKind != JsonValueKind.String)
        {
            return (null, "\"prompt\" is missing or not a string");
        }

        var text = PromptText.Clean(value.GetString()!);
        if (text.Length > maxLength)
        {
            return (null, $"the prompt has {text.Length} characters, more than {maxLength}");
        }

        var match = masked.Pattern.Match(text);
        if (!match.Success)
        {
            return (null, $"the words outside the masks changed: expected \"{masked.Template}\" with each {Mask} replaced and every other word kept");
        }

        var details = new List<string>();
        for (int i = 0; i < masked.Masked.Count; i++)
        {
            var fill = match.Groups[i + 1].Value.Trim();
            var hidden = masked.Masked[i];
            if (fill.Length == 0)
            {
                return (null, $"{Mask} {i + 1} is empty");
            }

            if (fill.Contains("MASK", StringComparison.OrdinalIgnoreCase))
            {
                return (null, $"{Mask} {i + 1} is not filled");
            }

            if (fill.Length > maxFill)
            {
                return (null, $"{Mask} {i + 1} is filled with {fill.Length} characters, more than {maxFill}");
            }

            if (string.Equals(fill, hidden.Word, StringComparison.OrdinalIgnoreCase))
            {
                return (null, $"{Mask} {i + 1} is filled with the hidden word '{hidden.Word}'; a different concept is asked for");
            }

            details.Add($"{hidden.Category}:{hidden.Word}->{fill}");
        }

        return (new Candidate(text, string.Join("; ", details)), null);
    }

    private (List<Candidate>? Value, string? Problem) ValidatePrompts(string text)
    {
        var (prompts, problem) = ParsePrompts(text, _options.PromptsPerCall, _options.MaxPromptLength);
        return prompts is null ? (null, problem) : ([.. prompts.Select(p => new Candidate(p, null))], null);
    }

    private static (List<Candidate>? Value, string? Problem) ValidateRefill(string text, MaskedPrompt masked, int maxFill, int maxLength)
    {
        var (refill, problem) = ParseRefill(text, masked, maxFill, maxLength);
        return refill is null ? (null, problem) : ([refill], null);
    }

    private ChatOptions PromptsOptions()
    {
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["prompts"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } } },
            ["required"] = new JsonArray("prompts"),
            ["additionalProperties"] = false,
        };
        return ChatOptionsFor(schema, PromptsSchemaName, "New descriptions of public spaces");
    }

    private ChatOptions MaskRefillOptions()
    {
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["prompt"] = new JsonObject { ["type"] = "string" } },
            ["required"] = new JsonArray("prompt"),
            ["additionalProperties"] = false,
        };
        return ChatOptionsFor(schema, MaskRefillSchemaName, "The description with every [MASK] filled");
    }

    private ChatOptions ChatOptionsFor(JsonObject schema, string name, string description) => new()
    {
        ModelId = _settings.Model,
        Temperature = _settings.Temperature,
        MaxOutputTokens = _settings.MaxOutputTokens,
        ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonSerializer.SerializeToElement(schema), name, description),
    };

    private const string SystemPrompt =
        "You write short, concrete descriptions of public spaces that a text-to-image model will draw. "
        + "Describe what can be seen: the kind of space, its amenities, people, nature, buildings, time and season. "
        + "Do not number the descriptions and do not add commentary.";

    private const string AnswerFormat = "Answer with JSON only, in this form: {\"prompts\": [\"first description\", \"second description\"]}";

    private static void AppendExamples(StringBuilder sb, IReadOnlyList<Prompt> examples)
    {
        for (int i = 0; i < examples.Count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{i + 1}. {examples[i].Text}\n");
        }
    }

    private static string LanguageName(string language) => LanguageNames.English(language) ?? $"the language '{language.Split('-')[0]}'";

    private static T[] Sample<T>(IReadOnlyList<T> items, int count, Random random)
    {
        var idx = Enumerable.Range(0, items.Count).ToArray();
        int m = Math.Min(count, items.Count);
        for (int i = 0; i < m; i++)
        {
            int j = random.Next(i, idx.Length);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }

        return idx[..m].Select(i => items[i]).ToArray();
    }
}

/// <summary>
/// A human prompt with some keywords masked (mask-refill): the template the model sees, the hidden keywords in order,
/// and the pattern an answer must match (the unmasked text exactly, runs of spaces aside, with something in every mask).
/// </summary>
public sealed class MaskedPrompt
{
    private MaskedPrompt(string template, IReadOnlyList<Keyword> masked, Regex pattern)
    {
        Template = template;
        Masked = masked;
        Pattern = pattern;
    }

    public string Template { get; }

    public IReadOnlyList<Keyword> Masked { get; }

    public Regex Pattern { get; }

    /// <summary>Masks <paramref name="masked"/> (keywords of <paramref name="text"/>, in text order, not overlapping).</summary>
    public static MaskedPrompt Make(string text, IReadOnlyList<Keyword> masked)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(masked);
        if (masked.Count == 0)
        {
            throw new ArgumentException("a masked prompt needs at least one keyword to mask", nameof(masked));
        }

        var template = new StringBuilder();
        var pattern = new StringBuilder("^");
        int pos = 0;
        foreach (var k in masked)
        {
            if (k.Start < pos || k.Start + k.Length > text.Length)
            {
                throw new ArgumentException($"keyword '{k.Word}' at {k.Start} overlaps another or lies outside the prompt", nameof(masked));
            }

            var segment = text[pos..k.Start];
            template.Append(segment).Append(LlmAugmenter.Mask);
            pattern.Append(Segment(segment)).Append("(.+?)");
            pos = k.Start + k.Length;
        }

        template.Append(text, pos, text.Length - pos);
        pattern.Append(Segment(text[pos..])).Append('$');
        return new MaskedPrompt(PromptText.Clean(template.ToString()), masked, new Regex(pattern.ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
    }

    // The answer is compared after PromptText.Clean (runs of white space made one space, ends trimmed), so a segment's
    // white space matches any run of it, and may vanish at either end of the prompt.
    private static string Segment(string segment)
    {
        var words = segment.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(Regex.Escape);
        var body = string.Join(@"\s+", words);
        var before = segment.Length > 0 && char.IsWhiteSpace(segment[0]) ? @"\s*" : "";
        var after = segment.Length > 0 && char.IsWhiteSpace(segment[^1]) ? @"\s*" : "";
        return body.Length == 0 ? (segment.Length > 0 ? @"\s*" : "") : before + body + after;
    }
}
