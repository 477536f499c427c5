using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Pluralist.Pipeline.Raters;

/// <summary>Settings of a synthetic rater: the model, sampling, and how failures are retried.</summary>
public sealed record RaterOptions
{
    /// <summary>Model id sent with every request (<see cref="ChatOptions.ModelId"/>).</summary>
    public required string Model { get; init; }

    /// <summary>Sampling temperature; 0 asks for the model's most likely answer.</summary>
    public float Temperature { get; init; }

    public int MaxOutputTokens { get; init; } = 400;

    /// <summary>Further attempts after an answer that is not valid for the schema (the model is told what was wrong).</summary>
    public int InvalidRetries { get; init; } = 2;

    /// <summary>Further attempts after HTTP 429, 5xx, a dropped connection or a timeout.</summary>
    public int TransportRetries { get; init; } = 4;

    /// <summary>Per-attempt timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Wait before the first transport retry, doubled each time up to <see cref="MaxBackoff"/>; a longer Retry-After wins (capped at <see cref="MaxBackoff"/>).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most requests started per minute (every attempt counts); 0 = no limit.</summary>
    public double RequestsPerMinute { get; init; }
}

/// <summary>
/// A synthetic rater behind any <see cref="IChatClient"/>: builds the task's messages (images inline as data parts, the
/// persona in the system message), asks for JSON against a schema (<see cref="ChatOptions.ResponseFormat"/>), validates
/// the answer, retries an invalid answer a bounded number of times and then reports it as invalid (never guessed),
/// retries 429, 5xx and timeouts with backoff, and reports refusals as such.
/// </summary>
public sealed class SyntheticRater
{
    /// <summary>Name of the JSON schema of the pairwise task.</summary>
    public const string PairwiseSchemaName = "livs_pairwise";

    /// <summary>Name of the JSON schema of the Likert task.</summary>
    public const string LikertSchemaName = "dive_likert";

    private readonly IChatClient _client;
    private readonly RequestPacer _pacer;

    public SyntheticRater(IChatClient client, RaterOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model);
        ArgumentOutOfRangeException.ThrowIfNegative(options.InvalidRetries);
        ArgumentOutOfRangeException.ThrowIfNegative(options.TransportRetries);
        ArgumentOutOfRangeException.ThrowIfNegative(options.RequestsPerMinute);
        _client = client;
        Options = options;
        _pacer = new RequestPacer(options.RequestsPerMinute);
    }

    public RaterOptions Options { get; }

    /// <summary>The messages and options of a pairwise request (what <see cref="RatePairAsync"/> sends first).</summary>
    public (List<ChatMessage> Messages, ChatOptions Options) Build(PairRatingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Check(request.Criteria, "criterion");
        var criteria = string.Join('\n', request.Criteria.Select(c => $"- {c.Key} ({c.Name}): {c.Description}"));
        var user = new ChatMessage(ChatRole.User, new List<AIContent>
        {
            new TextContent($"Both images were generated from this prompt: \"{request.Prompt}\". They are shown side by side: the first image below is on the LEFT, the second on the RIGHT."),
            new TextContent("LEFT image:"),
            new DataContent(request.Left.Bytes, request.Left.MediaType),
            new TextContent("RIGHT image:"),
            new DataContent(request.Right.Bytes, request.Right.MediaType),
            new TextContent(
                "Compare the two images on each criterion below with a slider from -1 to 1: -1 = the LEFT image is much better on it, " +
                "1 = the RIGHT image is much better, 0 = neither is better; values in between say how much.\n" + criteria + "\n" +
                $"Answer with one JSON object whose keys are exactly the criterion keys ({string.Join(", ", request.Criteria.Select(c => c.Key))}) and whose values are numbers from -1 to 1."),
        });
        return ([System(request.Persona), user], ChatOptionsFor(Schema(request.Criteria, -1, 1, integer: false), PairwiseSchemaName, "Slider value per criterion, -1 = left image, 1 = right image"));
    }

    /// <summary>The messages and options of a Likert request.</summary>
    public (List<ChatMessage> Messages, ChatOptions Options) Build(LikertRatingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Check(request.Questions, "question");
        var questions = string.Join('\n', request.Questions.Select(q => $"- {q.Key}: {q.Name}"));
        var user = new ChatMessage(ChatRole.User, new List<AIContent>
        {
            new TextContent($"This image was generated from this prompt: \"{request.Prompt}\"."),
            new DataContent(request.Image.Bytes, request.Image.MediaType),
            new TextContent(
                "Answer each question below on a scale from 1 (not at all) to 5 (extremely), a whole number.\n" + questions + "\n" +
                $"Answer with one JSON object whose keys are exactly the question keys ({string.Join(", ", request.Questions.Select(q => q.Key))}) and whose values are whole numbers from 1 to 5."),
        });
        return ([System(request.Persona), user], ChatOptionsFor(Schema(request.Questions, 1, 5, integer: true), LikertSchemaName, "Answer from 1 to 5 per question"));
    }

    /// <summary>
    /// The cache key of a request: SHA-256 over the model, the temperature, every message's role, text and image hashes
    /// (so the persona and the prompt), and the schema. Equal keys ask the same model the same thing.
    /// </summary>
    public string CacheKey(IReadOnlyList<ChatMessage> messages, ChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(options);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"model={Options.Model}\ntemperature={Options.Temperature:R}\n");
        foreach (var m in messages)
        {
            sb.Append(CultureInfo.InvariantCulture, $"[{m.Role.Value}]\n");
            foreach (var c in m.Contents)
            {
                sb.Append(c switch
                {
                    TextContent t => "text:" + t.Text,
                    DataContent d => $"data:{d.MediaType}:{Convert.ToHexStringLower(SHA256.HashData(d.Data.Span))}",
                    _ => c.GetType().Name,
                }).Append('\n');
            }
        }

        if (options.ResponseFormat is ChatResponseFormatJson json)
        {
            sb.Append(CultureInfo.InvariantCulture, $"schema={json.SchemaName}:{json.Schema?.GetRawText()}");
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    public Task<RatingOutcome> RatePairAsync(PairRatingRequest request, CancellationToken cancellationToken = default)
    {
        var (messages, options) = Build(request);
        return RateAsync(messages, options, request.Criteria, -1, 1, integer: false, cancellationToken);
    }

    public Task<RatingOutcome> RateLikertAsync(LikertRatingRequest request, CancellationToken cancellationToken = default)
    {
        var (messages, options) = Build(request);
        return RateAsync(messages, options, request.Questions, 1, 5, integer: true, cancellationToken);
    }

    /// <summary>Sends <paramref name="messages"/> until a valid answer, a refusal, or the retries run out (<see cref="JsonChat"/>).</summary>
    public async Task<RatingOutcome> RateAsync(List<ChatMessage> messages, ChatOptions options, IReadOnlyList<RaterScale> scales, double min, double max, bool integer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scales);
        var outcome = await JsonChat.AskAsync(_client, _pacer, Options, messages, options, text => Validate(text, scales, min, max, integer), null, cancellationToken).ConfigureAwait(false);
        return outcome.Status == RatingStatus.Ok
            ? new RatingOutcome(RatingStatus.Ok, outcome.Value!, outcome.Attempts, outcome.InputTokens, outcome.OutputTokens, null)
            : RatingOutcome.Failure(outcome.Status, outcome.Attempts, outcome.InputTokens, outcome.OutputTokens, outcome.Error!);
    }

    /// <summary>
    /// Checks an answer: one JSON object (a single ```json fence around it is allowed) with exactly the given keys, each a
    /// finite number in [min, max] (whole when <paramref name="integer"/>). Values come back in the order of <paramref name="scales"/>.
    /// </summary>
    public static (double[]? Values, string? Problem) Validate(string? text, IReadOnlyList<RaterScale> scales, double min, double max, bool integer)
    {
        ArgumentNullException.ThrowIfNull(scales);
        var body = JsonChat.Unfence(text);

        if (body.Length == 0)
        {
            return (null, "the answer is empty");
        }

        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(body);
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return (null, $"not JSON ({ex.Message})");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, $"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");
        }

        var keys = scales.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            if (!keys.Contains(p.Name))
            {
                return (null, $"unexpected key '{p.Name}' (expected {string.Join(", ", scales.Select(s => s.Key))})");
            }
        }

        var values = new double[scales.Count];
        for (int i = 0; i < scales.Count; i++)
        {
            var key = scales[i].Key;
            if (!root.TryGetProperty(key, out var v))
            {
                return (null, $"missing key '{key}'");
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var x) || !double.IsFinite(x))
            {
                return (null, $"'{key}' is {v.GetRawText()}, not a number");
            }

            if (x < min || x > max || (integer && x != Math.Floor(x)))
            {
                return (null, string.Create(CultureInfo.InvariantCulture, $"'{key}' is {x}, outside {(integer ? "the whole numbers " : "")}{min} to {max}"));
            }

            values[i] = x;
        }

        return (values, null);
    }

    private static ChatMessage System(RaterPersona persona)
    {
        var text = "You are a rater in a research study about generated images of public spaces. Look at the images carefully and answer the questions.\n";
        if (persona.IsSteered)
        {
            text += persona.Describe();
        }

        return new ChatMessage(ChatRole.System, text + "Answer with one JSON object and nothing else.");
    }

    private ChatOptions ChatOptionsFor(JsonElement schema, string name, string description) => new()
    {
        ModelId = Options.Model,
        Temperature = Options.Temperature,
        MaxOutputTokens = Options.MaxOutputTokens,
        ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, name, description),
    };

    /// <summary>An object with one required property per scale, a number in [min, max] (an integer when asked), nothing else.</summary>
    public static JsonElement Schema(IReadOnlyList<RaterScale> scales, double min, double max, bool integer)
    {
        ArgumentNullException.ThrowIfNull(scales);
        var properties = new JsonObject();
        foreach (var s in scales)
        {
            properties[s.Key] = new JsonObject
            {
                ["type"] = integer ? "integer" : "number",
                ["minimum"] = min,
                ["maximum"] = max,
                ["description"] = s.Name,
            };
        }

        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = new JsonArray([.. scales.Select(s => (JsonNode)JsonValue.Create(s.Key)!)]),
            ["additionalProperties"] = false,
        };
        return JsonSerializer.SerializeToElement(schema);
    }

    private static void Check(IReadOnlyList<RaterScale> scales, string what)
    {
        ArgumentNullException.ThrowIfNull(scales);
        if (scales.Count == 0)
        {
            throw new ArgumentException($"A rating needs at least one {what}.");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in scales)
        {
            if (string.IsNullOrWhiteSpace(s.Key) || !keys.Add(s.Key))
            {
                throw new ArgumentException($"{what} key '{s.Key}' is empty or given twice.");
            }
        }
    }
}

/// <summary>Spaces request starts at least 60 / <c>perMinute</c> seconds apart (0 = no limit); safe across threads.</summary>
public sealed class RequestPacer(double perMinute)
{
    private readonly Lock _lock = new();
    private DateTimeOffset _next = DateTimeOffset.MinValue;

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        if (perMinute <= 0)
        {
            return Task.CompletedTask;
        }

        DateTimeOffset start;
        lock (_lock)
        {
            // Each caller reserves the next free start time, then waits for it outside the lock.
            var now = DateTimeOffset.UtcNow;
            start = _next > now ? _next : now;
            _next = start + TimeSpan.FromMinutes(1 / perMinute);
        }

        var wait = start - DateTimeOffset.UtcNow;
        return wait > TimeSpan.Zero ? Task.Delay(wait, cancellationToken) : Task.CompletedTask;
    }
}

/// <summary>An <see cref="IChatClient"/> for an OpenAI-compatible endpoint (a hosted API, vLLM, Ollama's <c>/v1</c>).</summary>
public static class OpenAICompatible
{
    /// <summary>
    /// The OpenAI package's chat client for <paramref name="model"/> at <paramref name="endpoint"/> (base URL with the
    /// version segment), its own retries off so that <see cref="SyntheticRater"/>'s apply, as an <see cref="IChatClient"/>.
    /// </summary>
    public static IChatClient Create(Uri endpoint, string model, string? apiKey, TimeSpan networkTimeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var options = new OpenAI.OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0),
            NetworkTimeout = networkTimeout,
        };
        return new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "unused" : apiKey), options).AsIChatClient();
    }

    /// <summary>Whether an HTTP status is worth a retry (429 and 5xx).</summary>
    public static bool IsTransient(HttpStatusCode status) => (int)status is 429 or >= 500;
}
