using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Pluralist.Pipeline.Llm;

/// <summary>One chat message.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// One HTTP attempt at a chat completion, kept for provenance: the messages sent, and the text received or the error.
/// </summary>
public sealed record ChatExchange(
    string CallId,
    int Attempt,
    DateTimeOffset At,
    string Endpoint,
    string Model,
    IReadOnlyList<ChatTurn> Request,
    int? Status,
    string? CompletionId,
    string? Response,
    string? Error);

/// <summary>A thread-safe log of chat exchanges, written as JSON lines.</summary>
public sealed class ChatLog
{
    private readonly List<ChatExchange> _items = [];

    public IReadOnlyList<ChatExchange> Exchanges
    {
        get
        {
            lock (_items)
            {
                return _items.ToArray();
            }
        }
    }

    public void Add(ChatExchange exchange)
    {
        lock (_items)
        {
            _items.Add(exchange);
        }
    }

    /// <summary>One JSON object per line, camelCase properties.</summary>
    public void WriteJsonLines(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var e in Exchanges)
        {
            writer.Write(JsonSerializer.Serialize(e, JsonOptions));
            writer.Write('\n');
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}

/// <summary>A language model behind a chat interface.</summary>
public interface IChatModel
{
    /// <summary>Sends <paramref name="messages"/> and returns the assistant's text; every attempt goes to <paramref name="log"/>.</summary>
    Task<string> CompleteAsync(string callId, IReadOnlyList<ChatTurn> messages, ChatLog log, CancellationToken cancellationToken = default);
}

/// <summary>Where and how to call an OpenAI-compatible chat-completions endpoint.</summary>
public sealed record ChatEndpointOptions
{
    /// <summary>Base URL including the version segment, e.g. <c>https://api.openai.com/v1</c> or <c>http://localhost:11434/v1</c>.</summary>
    public required Uri Endpoint { get; init; }

    public required string Model { get; init; }

    /// <summary>API key; local servers usually ignore it (a placeholder is sent when null).</summary>
    public string? ApiKey { get; init; }

    public float Temperature { get; init; } = 0.9f;

    /// <summary>Retries after the first attempt on HTTP 429, 5xx and timeouts.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>Wait before the first retry; doubled each retry, capped at <see cref="MaxBackoff"/>; a Retry-After header wins when longer.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-attempt timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>Thrown when the endpoint fails for good (a non-retryable status, or retries exhausted).</summary>
public sealed class ChatEndpointException(string message, int? status, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;
}

/// <summary>
/// <see cref="IChatModel"/> over the OpenAI .NET package's <see cref="ChatClient"/>. The package's own retry policy is
/// turned off so that every attempt is logged here and the backoff is ours.
/// </summary>
public sealed class OpenAIChatModel : IChatModel
{
    private readonly ChatClient _client;
    private readonly ChatEndpointOptions _options;

    public OpenAIChatModel(ChatEndpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = options.Endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = options.Timeout,
        };
        _client = new ChatClient(options.Model, new ApiKeyCredential(options.ApiKey ?? "unused"), clientOptions);
    }

    public async Task<string> CompleteAsync(string callId, IReadOnlyList<ChatTurn> messages, ChatLog log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(log);
        var chat = messages.Select(ToMessage).ToArray();
        var completionOptions = new ChatCompletionOptions { Temperature = _options.Temperature };
        var delay = _options.InitialBackoff;
        for (int attempt = 1; ; attempt++)
        {
            var at = DateTimeOffset.UtcNow;
            string error;
            int? status;
            TimeSpan? retryAfter = null;
            try
            {
                var result = await _client.CompleteChatAsync(chat, completionOptions, cancellationToken).ConfigureAwait(false);
                var completion = result.Value;
                var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
                log.Add(new ChatExchange(callId, attempt, at, _options.Endpoint.ToString(), _options.Model, messages, result.GetRawResponse().Status, completion.Id, text, null));
                return text;
            }
            catch (ClientResultException ex) when (ex.Status != 0)
            {
                status = ex.Status;
                var body = ex.GetRawResponse()?.Content?.ToString();
                error = $"HTTP {ex.Status}: {Excerpt(body ?? ex.Message)}";
                if (ex.GetRawResponse()?.Headers.TryGetValue("Retry-After", out var ra) == true
                    && double.TryParse(ra, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
                {
                    retryAfter = TimeSpan.FromSeconds(Math.Min(seconds, _options.MaxBackoff.TotalSeconds));
                }

                log.Add(new ChatExchange(callId, attempt, at, _options.Endpoint.ToString(), _options.Model, messages, status, null, body, error));
                if (status != 429 && status < 500)
                {
                    throw new ChatEndpointException($"chat endpoint {_options.Endpoint} ({callId}): {error}", status, ex);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or ClientResultException && !cancellationToken.IsCancellationRequested)
            {
                status = null;
                error = ex is ClientResultException ? $"connection failed: {ex.Message}" : Images.GeneratorException.TimedOut(_options.Timeout);
                log.Add(new ChatExchange(callId, attempt, at, _options.Endpoint.ToString(), _options.Model, messages, null, null, null, error));
            }

            if (attempt > _options.MaxRetries)
            {
                throw new ChatEndpointException($"chat endpoint {_options.Endpoint} ({callId}): gave up after {attempt} attempts; last error: {error}", status);
            }

            var wait = retryAfter is { } r && r > delay ? r : delay;
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    private static ChatMessage ToMessage(ChatTurn t) => t.Role switch
    {
        "system" => new SystemChatMessage(t.Content),
        "user" => new UserChatMessage(t.Content),
        "assistant" => new AssistantChatMessage(t.Content),
        _ => throw new ArgumentException($"unknown chat role '{t.Role}'"),
    };

    private static string Excerpt(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
