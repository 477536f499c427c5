using System.CommandLine;
using Microsoft.Extensions.AI;
using Pluralist.Pipeline.Raters;

namespace Pluralist.Cli;

/// <summary>
/// The chat client and request settings shared by <c>raters run</c> and <c>prompts augment</c>: an OpenAI-compatible base
/// URL, the API key read from an environment variable (never the command line), and the raters' retry, timeout and rate
/// settings, each checked with a message naming its option.
/// </summary>
internal static class ChatEndpoint
{
    /// <summary>The base URL of <paramref name="text"/>, or an error naming <paramref name="option"/>.</summary>
    public static Uri ParseUrl(string text, string option = "--endpoint", string alternatives = "")
    {
        CommandHelpers.Require(Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https", option, $"'{text}' is not an http(s) URL{alternatives}");
        return uri!;
    }

    /// <summary>
    /// The API key from the variable named by <paramref name="keyEnv"/>: none when the default variable is unset (local
    /// servers need none), an error naming the variable when one named on the command line is unset.
    /// </summary>
    public static string? ApiKey(ParseResult parse, Option<string> keyEnv)
    {
        var name = parse.GetValue(keyEnv)!;
        var key = Environment.GetEnvironmentVariable(name);
        CommandHelpers.Require(!string.IsNullOrEmpty(key) || parse.GetResult(keyEnv) is null or { Implicit: true }, keyEnv.Name, $"the variable {name} is not set");
        return string.IsNullOrEmpty(key) ? null : key;
    }

    /// <summary>The OpenAI package's client for <paramref name="model"/> at <paramref name="endpoint"/> (the raters' <see cref="OpenAICompatible.Create"/>).</summary>
    public static IChatClient Client(Uri endpoint, string model, string? apiKey, double timeoutSeconds) =>
        OpenAICompatible.Create(endpoint, model, apiKey, TimeSpan.FromSeconds(timeoutSeconds + 5));

    /// <summary>The request settings, checked: temperature 0..2, timeout (0, 3600] s, retries 0..20, invalid retries 0..10, rpm >= 0.</summary>
    public static RaterOptions Settings(string model, float temperature, double rpm, double timeoutSeconds, int retries, int invalidRetries, int maxOutputTokens = 400)
    {
        CommandHelpers.Require(timeoutSeconds is > 0 and <= 3600, "--timeout", "must be between 0 and 3600 seconds");
        CommandHelpers.Require(retries is >= 0 and <= 20, "--retries", "must be 0 to 20");
        CommandHelpers.Require(invalidRetries is >= 0 and <= 10, "--invalid-retries", "must be 0 to 10");
        CommandHelpers.Require(rpm >= 0 && double.IsFinite(rpm), "--rpm", "must be 0 or more");
        CommandHelpers.Require(temperature is >= 0 and <= 2, "--temperature", "must be 0 to 2");
        return new RaterOptions
        {
            Model = model,
            Temperature = temperature,
            RequestsPerMinute = rpm,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
            TransportRetries = retries,
            InvalidRetries = invalidRetries,
            MaxOutputTokens = maxOutputTokens,
        };
    }
}
