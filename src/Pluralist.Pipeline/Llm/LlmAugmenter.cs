using System.Globalization;
using System.Text;
using System.Text.Json;
using Pluralist.Core.Model;
using Pluralist.Pipeline.Prompts;

namespace Pluralist.Pipeline.Llm;

/// <summary>The two LIVS strategies that call a language model.</summary>
public enum LlmStrategy
{
    /// <summary>Strategy 1: 8-16 sampled human prompts as examples.</summary>
    FewShot = 0,

    /// <summary>Strategy 2: a workshop scenario plus concept keywords plus 8 examples.</summary>
    Scenario = 1,
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

    /// <summary>Source recorded for few-shot prompts (default llm-1) and scenario prompts (default llm-2).</summary>
    public PromptSource FewShotSource { get; init; } = PromptSource.Llm1;

    public PromptSource ScenarioSource { get; init; } = PromptSource.Llm2;

    /// <summary>Longest prompt accepted from the model, in characters.</summary>
    public int MaxPromptLength { get; init; } = 400;
}

/// <summary>Thrown when a batch fails; nothing was added to the set. <see cref="Log"/> has every exchange up to the failure.</summary>
public sealed class AugmentationException(string message, ChatLog log, Exception? inner = null) : Exception(message, inner)
{
    public ChatLog Log { get; } = log;
}

/// <summary>The prompts a batch added (duplicates skipped) and the log of its calls.</summary>
public sealed record AugmentationResult(IReadOnlyList<Prompt> Added, int Received, ChatLog Log);

/// <summary>
/// LIVS strategies 1 (few-shot) and 2 (scenario) against any <see cref="IChatModel"/>. A batch makes all its calls
/// first and adds the prompts to the set only when every call succeeded and parsed, so a failure leaves the set as it was.
/// The model must answer with JSON <c>{"prompts": ["…", …]}</c> (a bare array and a ```json fence are accepted too).
/// </summary>
public sealed class LlmAugmenter(IChatModel model, LlmAugmentOptions? options = null)
{
    private readonly LlmAugmentOptions _options = options ?? new LlmAugmentOptions();

    public async Task<AugmentationResult> AugmentAsync(PromptSet set, LlmStrategy strategy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        var o = _options;
        if (o.MinExamples < 1 || o.MaxExamples < o.MinExamples || o.PromptsPerCall < 1 || o.Calls < 0 || o.CallsPerScenario < 0 || o.ScenarioExamples < 0 || o.KeywordsPerCategory < 0)
        {
            throw new ArgumentException("augmentation options: need 1 <= MinExamples <= MaxExamples, PromptsPerCall >= 1, and no negative counts");
        }

        var human = set.Where(PromptSource.Human, o.Language);
        if (human.Count == 0)
        {
            throw new ArgumentException($"no human prompts in language '{o.Language}' to use as examples", nameof(set));
        }

        var random = new Random(o.Seed);
        var calls = new List<(string CallId, IReadOnlyList<ChatTurn> Messages, long[] Parents, long? Scenario, PromptSource Source, string Strategy)>();
        if (strategy == LlmStrategy.FewShot)
        {
            for (int c = 0; c < o.Calls; c++)
            {
                int count = Math.Min(human.Count, random.Next(o.MinExamples, o.MaxExamples + 1));
                var examples = Sample(human, count, random);
                calls.Add(($"few-shot-{c + 1}", FewShotMessages(examples), examples.Select(e => e.Id).ToArray(), null, o.FewShotSource, "few-shot"));
            }
        }
        else
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
                    calls.Add(($"scenario-{scenario.Id.ToString(CultureInfo.InvariantCulture)}-{c + 1}", ScenarioMessages(scenario, keywords, examples),
                        examples.Select(e => e.Id).ToArray(), scenario.Id, o.ScenarioSource, "scenario"));
                }
            }
        }

        var log = new ChatLog();
        var received = new List<(string Text, long[] Parents, long? Scenario, PromptSource Source, string Strategy, string CallId)>();
        foreach (var call in calls)
        {
            string content;
            try
            {
                content = await model.CompleteAsync(call.CallId, call.Messages, log, cancellationToken).ConfigureAwait(false);
            }
            catch (ChatEndpointException ex)
            {
                throw new AugmentationException($"augmentation stopped, nothing was added: {ex.Message}", log, ex);
            }

            foreach (var text in ParsePrompts(content, o.PromptsPerCall, o.MaxPromptLength, call.CallId, log))
            {
                received.Add((text, call.Parents, call.Scenario, call.Source, call.Strategy, call.CallId));
            }
        }

        var added = new List<Prompt>();
        foreach (var r in received)
        {
            if (set.AddDerived(r.Text, o.Language, r.Source, r.Parents, r.Strategy, r.Scenario, r.CallId) is { } p)
            {
                added.Add(p);
            }
        }

        return new AugmentationResult(added, received.Count, log);
    }

    /// <summary>The messages of a few-shot call.</summary>
    public IReadOnlyList<ChatTurn> FewShotMessages(IReadOnlyList<Prompt> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var sb = new StringBuilder();
        sb.Append("Here are descriptions of public spaces written by community members in a participatory workshop:\n");
        AppendExamples(sb, examples);
        sb.Append(CultureInfo.InvariantCulture, $"\nWrite {_options.PromptsPerCall} new descriptions in {LanguageName(_options.Language)}, in the same style and length, each describing a different public space. ");
        sb.Append(AnswerFormat);
        return [new ChatTurn("system", SystemPrompt), new ChatTurn("user", sb.ToString())];
    }

    /// <summary>The messages of a scenario call.</summary>
    public IReadOnlyList<ChatTurn> ScenarioMessages(WorkshopScenario scenario, IReadOnlyList<(string Category, IReadOnlyList<string> Words)> keywords, IReadOnlyList<Prompt> examples)
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
        return [new ChatTurn("system", SystemPrompt), new ChatTurn("user", sb.ToString())];
    }

    /// <summary>
    /// Parses a completion into prompts. Rejects (with <see cref="AugmentationException"/> naming the call) text that is
    /// not JSON, JSON without a "prompts" array of strings, empty or over-long prompts, no prompts, or more than asked.
    /// </summary>
    public static IReadOnlyList<string> ParsePrompts(string content, int expected, int maxLength, string callId, ChatLog log)
    {
        ArgumentNullException.ThrowIfNull(content);
        var json = content.Trim();
        if (json.StartsWith("```", StringComparison.Ordinal))
        {
            int firstLine = json.IndexOf('\n', StringComparison.Ordinal);
            int fence = json.LastIndexOf("```", StringComparison.Ordinal);
            json = firstLine > 0 && fence > firstLine ? json[(firstLine + 1)..fence].Trim() : json;
        }

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
                throw Malformed(callId, "expected a JSON object with a \"prompts\" array", content, log);
            }
        }
        catch (JsonException ex)
        {
            throw Malformed(callId, $"the answer is not JSON ({ex.Message})", content, log);
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw Malformed(callId, "\"prompts\" is not an array", content, log);
        }

        var result = new List<string>();
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw Malformed(callId, $"prompts[{i}] is a {item.ValueKind.ToString().ToLowerInvariant()}, not a string", content, log);
            }

            var text = PromptText.Clean(item.GetString()!);
            if (text.Length == 0)
            {
                throw Malformed(callId, $"prompts[{i}] is empty", content, log);
            }

            if (text.Length > maxLength)
            {
                throw Malformed(callId, $"prompts[{i}] has {text.Length} characters, more than {maxLength}", content, log);
            }

            result.Add(text);
            i++;
        }

        if (result.Count == 0)
        {
            throw Malformed(callId, "no prompts in the answer", content, log);
        }

        if (result.Count > expected)
        {
            throw Malformed(callId, $"{result.Count} prompts returned, {expected} asked for", content, log);
        }

        return result;
    }

    private const string SystemPrompt =
        "You write short, concrete descriptions of public spaces that a text-to-image model will draw. "
        + "Describe what can be seen: the kind of space, its amenities, people, nature, buildings, time and season. "
        + "Do not number the descriptions and do not add commentary.";

    private const string AnswerFormat = "Answer with JSON only, in this form: {\"prompts\": [\"first description\", \"second description\"]}";

    private static AugmentationException Malformed(string callId, string what, string content, ChatLog log)
    {
        var excerpt = content.Length <= 200 ? content : content[..200] + "…";
        return new AugmentationException($"malformed answer to {callId}: {what}; nothing was added. Answer began: {excerpt}", log);
    }

    private static void AppendExamples(StringBuilder sb, IReadOnlyList<Prompt> examples)
    {
        for (int i = 0; i < examples.Count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{i + 1}. {examples[i].Text}\n");
        }
    }

    private static string LanguageName(string language) => language.Split('-')[0] switch
    {
        "en" => "English",
        "fr" => "French",
        var other => KnownCultureName(other),
    };

    private static string KnownCultureName(string tag)
    {
        try
        {
            return CultureInfo.GetCultureInfo(tag).EnglishName;
        }
        catch (CultureNotFoundException)
        {
            return $"the language '{tag}'";
        }
    }

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
