using System.Text.Json;

namespace Pluralist.Pipeline.Llm;

/// <summary>One chat message.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// One attempt at a chat completion, kept for provenance: the messages sent, and the text received or the error
/// (<see cref="Status"/> is the HTTP status of a failed attempt).
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
