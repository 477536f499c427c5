using System.ClientModel;
using System.Globalization;
using Microsoft.Extensions.AI;

namespace Pluralist.Pipeline.Raters;

/// <summary>One attempt of a <see cref="JsonChat"/> request, for provenance: what was sent, and the text received or the error.</summary>
public sealed record ChatAttempt(int Attempt, DateTimeOffset At, IReadOnlyList<ChatMessage> Sent, int? Status, string? ResponseId, string? Text, string? Error);

/// <summary>How a <see cref="JsonChat"/> request ended; only <see cref="RatingStatus.Ok"/> carries a value.</summary>
public sealed record JsonChatOutcome<T>(RatingStatus Status, T? Value, int Attempts, long InputTokens, long OutputTokens, string? Error)
    where T : class;

/// <summary>
/// The request loop shared by the synthetic raters and language-model prompt augmentation: paces every attempt, sends
/// the messages through any <see cref="IChatClient"/>, checks the answer with the caller's validator, sends an invalid
/// answer back with what was wrong at most <see cref="RaterOptions.InvalidRetries"/> times and then reports it as
/// invalid (never guessed), retries 429, 5xx, dropped connections and timeouts with exponential backoff (a longer
/// Retry-After wins, capped), stops at once on other HTTP errors, and reports refusals as such.
/// </summary>
public static class JsonChat
{
    /// <summary>
    /// Sends <paramref name="messages"/> until <paramref name="validate"/> accepts an answer (it returns the value, or null
    /// and the problem), the model refuses, or the retries run out. <paramref name="observe"/> hears every attempt.
    /// </summary>
    public static async Task<JsonChatOutcome<T>> AskAsync<T>(
        IChatClient client,
        RequestPacer pacer,
        RaterOptions settings,
        IReadOnlyList<ChatMessage> messages,
        ChatOptions options,
        Func<string, (T? Value, string? Problem)> validate,
        Action<ChatAttempt>? observe = null,
        CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(pacer);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validate);
        var conversation = new List<ChatMessage>(messages);
        long input = 0, output = 0;
        int attempts = 0, invalid = 0, transport = 0;
        var backoff = settings.InitialBackoff;
        JsonChatOutcome<T> Failure(RatingStatus status, string error) => new(status, null, attempts, input, output, error);
        while (true)
        {
            await pacer.WaitAsync(cancellationToken).ConfigureAwait(false);
            attempts++;
            var at = DateTimeOffset.UtcNow;
            var sent = conversation.ToArray();
            ChatResponse response;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(settings.Timeout);
                TimeSpan? retryAfter = null;
                string error;
                int? status = null;
                try
                {
                    response = await client.GetResponseAsync(conversation, options, timeout.Token).ConfigureAwait(false);
                    goto Answered;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    error = $"no answer within {settings.Timeout.TotalSeconds:0.#} s";
                }
                catch (ClientResultException ex) when (ex.Status is 429 or >= 500 || ex.Status == 0)
                {
                    status = ex.Status == 0 ? null : ex.Status;
                    error = ex.Status == 0 ? $"connection failed: {ex.Message}" : $"HTTP {ex.Status}: {Excerpt(ex.GetRawResponse()?.Content?.ToString() ?? ex.Message)}";
                    retryAfter = RetryAfter(ex);
                }
                catch (ClientResultException ex)
                {
                    // 400, 401, 404...: asking again will not help.
                    var message = $"HTTP {ex.Status}: {Excerpt(ex.GetRawResponse()?.Content?.ToString() ?? ex.Message)}";
                    observe?.Invoke(new ChatAttempt(attempts, at, sent, ex.Status, null, null, message));
                    return Failure(RatingStatus.Failed, message);
                }
                catch (HttpRequestException ex)
                {
                    status = ex.StatusCode is { } sc ? (int)sc : null;
                    if (ex.StatusCode is { } code && (int)code is not 429 and < 500)
                    {
                        var message = $"HTTP {(int)code}: {ex.Message}";
                        observe?.Invoke(new ChatAttempt(attempts, at, sent, status, null, null, message));
                        return Failure(RatingStatus.Failed, message);
                    }

                    error = ex.StatusCode is { } c ? $"HTTP {(int)c}: {ex.Message}" : $"connection failed: {ex.Message}";
                }

                observe?.Invoke(new ChatAttempt(attempts, at, sent, status, null, null, error));
                if (transport >= settings.TransportRetries)
                {
                    return Failure(RatingStatus.Failed, $"gave up after {transport + 1} tries; last: {error}");
                }

                transport++;
                var wait = retryAfter is { } r && r > backoff ? (r < settings.MaxBackoff ? r : settings.MaxBackoff) : backoff;
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, settings.MaxBackoff.Ticks));
                continue;
            }

        Answered:
            input += response.Usage?.InputTokenCount ?? 0;
            output += response.Usage?.OutputTokenCount ?? 0;
            if (Refusal(response) is { } refusal)
            {
                observe?.Invoke(new ChatAttempt(attempts, at, sent, null, response.ResponseId, null, $"refused: {Excerpt(refusal)}"));
                return Failure(RatingStatus.Refused, $"refused: {Excerpt(refusal)}");
            }

            var text = response.Text;
            var (value, problem) = validate(text);
            observe?.Invoke(new ChatAttempt(attempts, at, sent, null, response.ResponseId, text, value is null ? $"invalid: {problem}" : null));
            if (value is not null)
            {
                return new JsonChatOutcome<T>(RatingStatus.Ok, value, attempts, input, output, null);
            }

            if (invalid >= settings.InvalidRetries)
            {
                return Failure(RatingStatus.Invalid, $"invalid answer after {invalid + 1} tries; last: {problem} (answer: {Excerpt(text)})");
            }

            invalid++;
            conversation.Add(new ChatMessage(ChatRole.Assistant, text));
            conversation.Add(new ChatMessage(ChatRole.User, $"That answer is not valid: {problem}. Answer again with only the JSON object the schema describes."));
        }
    }

    /// <summary>The text of a JSON answer with a single ```json fence around it removed.</summary>
    public static string Unfence(string? text)
    {
        var body = (text ?? "").Trim();
        if (body.StartsWith("```", StringComparison.Ordinal) && body.EndsWith("```", StringComparison.Ordinal) && body.Length >= 6)
        {
            body = body[3..^3];
            body = body.StartsWith("json", StringComparison.OrdinalIgnoreCase) ? body[4..] : body;
            body = body.Trim();
        }

        return body;
    }

    /// <summary>The refusal text of a response: OpenAI's <c>refusal</c> field (surfaced as error content), or the content filter's stop.</summary>
    private static string? Refusal(ChatResponse response)
    {
        if (response.RawRepresentation is OpenAI.Chat.ChatCompletion { Refusal: { Length: > 0 } r })
        {
            return r;
        }

        foreach (var m in response.Messages)
        {
            foreach (var c in m.Contents)
            {
                if (c is ErrorContent e && string.Equals(e.ErrorCode, "Refusal", StringComparison.OrdinalIgnoreCase))
                {
                    return e.Message;
                }
            }
        }

        return response.FinishReason == ChatFinishReason.ContentFilter ? "stopped by the provider's content filter" : null;
    }

    private static TimeSpan? RetryAfter(ClientResultException ex)
    {
        var headers = ex.GetRawResponse()?.Headers;
        if (headers is null || !headers.TryGetValue("Retry-After", out var value) || value is null)
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at > DateTimeOffset.UtcNow
            ? at - DateTimeOffset.UtcNow
            : null;
    }

    internal static string Excerpt(string? s) => s is null ? "" : s.Length <= 300 ? s : s[..300] + "…";
}
