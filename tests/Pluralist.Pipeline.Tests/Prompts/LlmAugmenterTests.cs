using System.Text.Json;
using Pluralist.Core.Model;
using Pluralist.Pipeline.Llm;
using Pluralist.Pipeline.Prompts;
using Pluralist.Pipeline.Tests.Support;

namespace Pluralist.Pipeline.Tests.Prompts;

public class LlmAugmenterTests
{
    private static string Completion(params string[] prompts) => RawCompletion(JsonSerializer.Serialize(new { prompts }));

    private static string RawCompletion(string content) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-test",
        @object = "chat.completion",
        created = 1_700_000_000,
        model = "test-model",
        choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
        usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
    });

    private static OpenAIChatModel Model(ScriptedHttpServer server, int retries = 3) => new(new ChatEndpointOptions
    {
        Endpoint = new Uri(server.BaseUri, "v1"),
        Model = "test-model",
        ApiKey = "sk-test",
        MaxRetries = retries,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        Timeout = TimeSpan.FromSeconds(10),
    });

    private static PromptSet HumanPrompts(int count)
    {
        var set = new PromptSet();
        set.AddScenario(new WorkshopScenario(7, "Riverside", "waterfront", ["benches", "lighting"], "Verdun"));
        for (int i = 0; i < count; i++)
        {
            set.Add($"Human prompt number {i} about a green plaza", "en", PromptSource.Human, i < 3 ? 7 : null);
        }

        return set;
    }

    private static IReadOnlyList<(string Role, string Content)> Messages(RecordedRequest r)
    {
        using var doc = JsonDocument.Parse(r.Body);
        Assert.Equal("test-model", doc.RootElement.GetProperty("model").GetString());
        return doc.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString()!, m.GetProperty("content").ValueKind == JsonValueKind.String
                ? m.GetProperty("content").GetString()!
                : string.Concat(m.GetProperty("content").EnumerateArray().Select(p => p.GetProperty("text").GetString()))))
            .ToArray();
    }

    [Fact]
    public async Task Few_shot_sends_8_to_16_human_examples_and_records_them_as_parents()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Completion("A shaded square with a fountain", "A riverside path at dusk")),
            new ScriptedResponse(200, RawCompletion("```json\n{\"prompts\": [\"A pocket park with swings\", \"a shaded square with a fountain.\"]}\n```")));
        var set = HumanPrompts(20);
        var augmenter = new LlmAugmenter(Model(server), new LlmAugmentOptions { Calls = 2, PromptsPerCall = 2, Seed = 3 });

        var result = await augmenter.AugmentAsync(set, LlmStrategy.FewShot);

        Assert.Equal(4, result.Received);
        Assert.Equal(["A shaded square with a fountain", "A riverside path at dusk", "A pocket park with swings"], result.Added.Select(p => p.Text)); // the 4th is a duplicate
        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.All(requests, r => Assert.Equal("/v1/chat/completions", r.Path));
        Assert.All(requests, r => Assert.Equal("Bearer sk-test", r.Authorization));
        for (int c = 0; c < 2; c++)
        {
            var user = Messages(requests[c]).Single(m => m.Role == "user").Content;
            var shown = set.Where(PromptSource.Human).Where(p => user.Contains(p.Text + "\n", StringComparison.Ordinal)).Select(p => p.Id).ToHashSet();
            Assert.InRange(shown.Count, 8, 16);
            Assert.Contains("Write 2 new descriptions in English", user, StringComparison.Ordinal);
            Assert.Contains("{\"prompts\":", user, StringComparison.Ordinal);
            // Provenance: each prompt from call c names exactly the examples shown in call c.
            foreach (var p in result.Added.Where(p => set.Provenance[p.Id].CallId == $"few-shot-{c + 1}"))
            {
                Assert.Equal(shown, set.Provenance[p.Id].Parents.ToHashSet());
                Assert.Equal(PromptSource.Llm1, p.Source);
            }
        }

        Assert.Equal(2, result.Log.Exchanges.Count);
        Assert.All(result.Log.Exchanges, e => Assert.Equal(200, e.Status));
        var jsonl = new StringWriter();
        result.Log.WriteJsonLines(jsonl);
        Assert.Contains("\"callId\":\"few-shot-1\"", jsonl.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scenario_call_names_the_scenario_keywords_and_examples()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Completion("A waterfront in Verdun with benches and ducks")));
        var set = HumanPrompts(12);
        var result = await new LlmAugmenter(Model(server), new LlmAugmentOptions { PromptsPerCall = 3, Seed = 1 }).AugmentAsync(set, LlmStrategy.Scenario);

        var user = Messages(server.Requests.Single()).Single(m => m.Role == "user").Content;
        Assert.StartsWith("Scenario: a waterfront in Verdun with benches, lighting.\n", user, StringComparison.Ordinal);
        foreach (var category in Concepts.Categories)
        {
            Assert.Contains($"- {category}: ", user, StringComparison.Ordinal);
        }

        var shown = set.Where(PromptSource.Human).Where(p => user.Contains(p.Text + "\n", StringComparison.Ordinal)).ToArray();
        Assert.Equal(8, shown.Length);
        Assert.Equal(3, shown.Count(p => p.ScenarioId == 7)); // the scenario's own prompts come first
        var added = Assert.Single(result.Added);
        Assert.Equal((PromptSource.Llm2, (long?)7), (added.Source, added.ScenarioId));
        Assert.Equal("scenario", set.Provenance[added.Id].Strategy);
    }

    [Fact]
    public async Task Retries_on_429_and_500_then_succeeds_and_logs_every_attempt()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(429, "{\"error\":{\"message\":\"slow down\"}}"),
            new ScriptedResponse(500, "{\"error\":{\"message\":\"boom\"}}"),
            new ScriptedResponse(200, Completion("A plaza after rain")));
        var set = HumanPrompts(10);
        var result = await new LlmAugmenter(Model(server), new LlmAugmentOptions { Calls = 1, PromptsPerCall = 1 }).AugmentAsync(set, LlmStrategy.FewShot);

        Assert.Single(result.Added);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal([429, 500, 200], result.Log.Exchanges.Select(e => e.Status ?? 0));
        Assert.Equal([1, 2, 3], result.Log.Exchanges.Select(e => e.Attempt));
        Assert.Contains("slow down", result.Log.Exchanges[0].Error, StringComparison.Ordinal);
        // Every attempt sent the same messages.
        Assert.Single(server.Requests.Select(r => string.Join("|", Messages(r))).Distinct());
    }

    [Fact]
    public async Task Gives_up_after_the_retries_and_adds_nothing()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Completion("First call is fine")));
        server.Fallback = _ => new ScriptedResponse(503, "{\"error\":{\"message\":\"overloaded\"}}");
        var set = HumanPrompts(10);
        var ex = await Assert.ThrowsAsync<AugmentationException>(() =>
            new LlmAugmenter(Model(server, retries: 2), new LlmAugmentOptions { Calls = 2, PromptsPerCall = 1 }).AugmentAsync(set, LlmStrategy.FewShot));

        Assert.Contains("few-shot-2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gave up after 3 attempts", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", ex.Message, StringComparison.Ordinal);
        Assert.Equal(10, set.Prompts.Count); // the first call's prompt was not added either
        Assert.Equal(4, ex.Log.Exchanges.Count);
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(401, "{\"error\":{\"message\":\"bad key\"}}"));
        var ex = await Assert.ThrowsAsync<AugmentationException>(() =>
            new LlmAugmenter(Model(server), new LlmAugmentOptions { Calls = 1 }).AugmentAsync(HumanPrompts(9), LlmStrategy.FewShot));
        Assert.Contains("HTTP 401", ex.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData("Sure! Here are some prompts: 1. a park", "the answer is not JSON")]
    [InlineData("{\"ideas\": [\"a park\"]}", "expected a JSON object with a \"prompts\" array")]
    [InlineData("{\"prompts\": [\"a park\", 3]}", "prompts[1] is a number, not a string")]
    [InlineData("{\"prompts\": [\"  \"]}", "prompts[0] is empty")]
    [InlineData("{\"prompts\": []}", "no prompts in the answer")]
    [InlineData("{\"prompts\": [\"a\", \"b\", \"c\"]}", "3 prompts returned, 2 asked for")]
    public async Task Malformed_answers_are_rejected_with_a_message_and_nothing_is_added(string content, string expected)
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, RawCompletion(content)));
        var set = HumanPrompts(9);
        var ex = await Assert.ThrowsAsync<AugmentationException>(() =>
            new LlmAugmenter(Model(server), new LlmAugmentOptions { Calls = 1, PromptsPerCall = 2 }).AugmentAsync(set, LlmStrategy.FewShot));
        Assert.Contains("malformed answer to few-shot-1: " + expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(9, set.Prompts.Count);
        Assert.Equal(content, Assert.Single(ex.Log.Exchanges).Response);
    }
}

public class ChatTimeoutTests
{
    [Fact]
    public async Task A_timed_out_attempt_is_logged_and_retried()
    {
        using var server = new Support.ScriptedHttpServer();
        var ok = System.Text.Json.JsonSerializer.Serialize(new
        {
            id = "c1",
            @object = "chat.completion",
            created = 1,
            model = "m",
            choices = new[] { new { index = 0, message = new { role = "assistant", content = "{\"prompts\": [\"a square\"]}" }, finish_reason = "stop" } },
        });
        server.Enqueue(new Support.ScriptedResponse(200, ok, TimeSpan.FromSeconds(10)), new Support.ScriptedResponse(200, ok));
        var model = new OpenAIChatModel(new ChatEndpointOptions
        {
            Endpoint = new Uri(server.BaseUri, "v1"),
            Model = "m",
            Timeout = TimeSpan.FromSeconds(2),
            InitialBackoff = TimeSpan.FromMilliseconds(10),
        });
        var log = new ChatLog();
        var text = await model.CompleteAsync("call-1", [new ChatTurn("user", "hi")], log);
        Assert.Equal("{\"prompts\": [\"a square\"]}", text);
        Assert.Equal(["timed out after 2 s", null], log.Exchanges.Select(e => e.Error));
    }
}
