using System.Text.Json;
using Pluralist.Core.Model;
using Pluralist.Core.Prompts;
using Pluralist.Pipeline.Llm;
using Pluralist.Pipeline.Prompts;
using Pluralist.Pipeline.Raters;
using Pluralist.Pipeline.Tests.Support;

namespace Pluralist.Pipeline.Tests.Prompts;

/// <summary>The augmenter on the raters' real client (the OpenAI package through Microsoft.Extensions.AI) against a local OpenAI-compatible server.</summary>
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

    private static LlmAugmenter Augmenter(ScriptedHttpServer server, LlmAugmentOptions options, int retries = 3, int invalidRetries = 2, double timeoutSeconds = 10) => new(
        OpenAICompatible.Create(new Uri(server.BaseUri, "v1"), "test-model", "sk-test", TimeSpan.FromSeconds(30)),
        new RaterOptions
        {
            Model = "test-model",
            Temperature = 0.9f,
            MaxOutputTokens = 2000,
            TransportRetries = retries,
            InvalidRetries = invalidRetries,
            InitialBackoff = TimeSpan.FromMilliseconds(20),
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        },
        options);

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
        var augmenter = Augmenter(server, new LlmAugmentOptions { Calls = 2, PromptsPerCall = 2, Seed = 3 });

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
        Assert.All(result.Log.Exchanges, e => Assert.Null(e.Error));
        Assert.All(result.Log.Exchanges, e => Assert.Equal("chatcmpl-test", e.CompletionId));

        // Structured output: the prompts schema, the model and temperature on the wire.
        using var body = JsonDocument.Parse(requests[0].Body);
        var format = body.RootElement.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal(LlmAugmenter.PromptsSchemaName, format.GetProperty("json_schema").GetProperty("name").GetString());
        var schema = format.GetProperty("json_schema").GetProperty("schema");
        Assert.Equal("array", schema.GetProperty("properties").GetProperty("prompts").GetProperty("type").GetString());
        Assert.Equal(["prompts"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0.9, body.RootElement.GetProperty("temperature").GetDouble(), 3);
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
        var result = await Augmenter(server, new LlmAugmentOptions { PromptsPerCall = 3, Seed = 1 }).AugmentAsync(set, LlmStrategy.Scenario);

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
        var result = await Augmenter(server, new LlmAugmentOptions { Calls = 1, PromptsPerCall = 1 }).AugmentAsync(set, LlmStrategy.FewShot);

        Assert.Single(result.Added);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal([429, 500, 0], result.Log.Exchanges.Select(e => e.Status ?? 0));
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
            Augmenter(server, new LlmAugmentOptions { Calls = 2, PromptsPerCall = 1 }, retries: 2).AugmentAsync(set, LlmStrategy.FewShot));

        Assert.Contains("few-shot-2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gave up after 3 tries", ex.Message, StringComparison.Ordinal);
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
            Augmenter(server, new LlmAugmentOptions { Calls = 1 }).AugmentAsync(HumanPrompts(9), LlmStrategy.FewShot));
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
    public async Task A_malformed_answer_is_sent_back_with_its_problem_then_counted_and_never_guessed(string content, string expected)
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, RawCompletion(content)), new ScriptedResponse(200, RawCompletion(content)),
            new ScriptedResponse(200, Completion("A covered market at noon")));
        var set = HumanPrompts(9);
        var result = await Augmenter(server, new LlmAugmentOptions { Calls = 2, PromptsPerCall = 2 }, invalidRetries: 1).AugmentAsync(set, LlmStrategy.FewShot);

        // The first call is asked twice (the retry carries the problem), then counted; the second call's prompt is added.
        var failure = Assert.Single(result.Failures);
        Assert.Equal(("few-shot-1", RatingStatus.Invalid), (failure.CallId, failure.Status));
        Assert.Contains("invalid answer after 2 tries; last: " + expected, failure.Error, StringComparison.Ordinal);
        Assert.Equal(["A covered market at noon"], result.Added.Select(p => p.Text));
        Assert.Equal(10, set.Prompts.Count);
        var requests = server.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        var retry = Messages(requests[1]);
        Assert.Equal(["system", "user", "assistant", "user"], retry.Select(m => m.Role));
        Assert.Equal(content, retry[2].Content);
        Assert.Contains("That answer is not valid: " + expected, retry[3].Content, StringComparison.Ordinal);
        Assert.Equal([content, content, null], result.Log.Exchanges.Select(e => e.Error is null ? null : e.Response));
    }

    [Fact]
    public async Task When_no_call_gets_a_valid_answer_nothing_is_added()
    {
        using var server = new ScriptedHttpServer();
        server.Fallback = _ => new ScriptedResponse(200, RawCompletion("no JSON here"));
        var set = HumanPrompts(9);
        var ex = await Assert.ThrowsAsync<AugmentationException>(() =>
            Augmenter(server, new LlmAugmentOptions { Calls = 2, PromptsPerCall = 2 }, invalidRetries: 1).AugmentAsync(set, LlmStrategy.FewShot));
        Assert.Contains("no call got a valid answer", ex.Message, StringComparison.Ordinal);
        Assert.Equal(9, set.Prompts.Count);
        Assert.Equal(4, ex.Log.Exchanges.Count);
    }

    [Fact]
    public async Task A_timed_out_attempt_is_logged_and_retried()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Completion("a square"), TimeSpan.FromSeconds(10)), new ScriptedResponse(200, Completion("a square")));
        var result = await Augmenter(server, new LlmAugmentOptions { Calls = 1, PromptsPerCall = 1 }, timeoutSeconds: 2).AugmentAsync(HumanPrompts(9), LlmStrategy.FewShot);
        Assert.Equal(["a square"], result.Added.Select(p => p.Text));
        Assert.Equal(["no answer within 2 s", null], result.Log.Exchanges.Select(e => e.Error));
    }

    private static string Refill(string prompt) => RawCompletion(JsonSerializer.Serialize(new { prompt }));

    private static PromptSet Workshop()
    {
        var set = new PromptSet();
        set.Add("A park with benches under trees", "en", PromptSource.Human);
        set.Add("They play near the fountain in winter", "en", PromptSource.Human);
        return set;
    }

    [Fact]
    public async Task Mask_refill_masks_the_keywords_asks_for_other_concepts_and_records_llm_3()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Refill("A plaza with kiosks under hedges")),
            new ScriptedResponse(200, Refill("They skate near the stage in summer")));
        var set = Workshop();
        var result = await Augmenter(server, new LlmAugmentOptions { MaskFraction = 1 }).AugmentAsync(set, LlmStrategy.MaskRefill);

        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        var user = Messages(requests[0]).Single(m => m.Role == "user").Content;
        Assert.Contains("\nA [MASK] with [MASK] under [MASK]\n", user, StringComparison.Ordinal);
        Assert.Contains("The hidden words were, in order: \"park\", \"benches\", \"trees\".", user, StringComparison.Ordinal);
        Assert.Contains("{\"prompt\":", user, StringComparison.Ordinal);
        Assert.Contains("\nThey [MASK] near the [MASK] in [MASK]\n", Messages(requests[1]).Single(m => m.Role == "user").Content, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(requests[0].Body);
        Assert.Equal("test-model", body.RootElement.GetProperty("model").GetString());
        var format = body.RootElement.GetProperty("response_format").GetProperty("json_schema");
        Assert.Equal(LlmAugmenter.MaskRefillSchemaName, format.GetProperty("name").GetString());
        Assert.Equal(["prompt"], format.GetProperty("schema").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("string", format.GetProperty("schema").GetProperty("properties").GetProperty("prompt").GetProperty("type").GetString());
        Assert.False(format.GetProperty("schema").GetProperty("additionalProperties").GetBoolean());

        Assert.Equal(["A plaza with kiosks under hedges", "They skate near the stage in summer"], result.Added.Select(p => p.Text));
        Assert.All(result.Added, p => Assert.Equal(PromptSource.Llm3, p.Source));
        var first = set.Provenance[result.Added[0].Id];
        Assert.Equal(("mask-refill", "mask-refill-1-1", "typologies:park->plaza; amenities:benches->kiosks; nature:trees->hedges"), (first.Strategy, first.CallId, first.Detail));
        Assert.Equal([1L], first.Parents);
        Assert.Equal("word:play->skate; nature:fountain->stage; times-and-seasons:winter->summer", set.Provenance[result.Added[1].Id].Detail);
        Assert.Empty(result.Failures);
    }

    [Theory]
    [InlineData("A plaza beside kiosks under hedges", "the words outside the masks changed")]
    [InlineData("A plaza with benches under hedges", "[MASK] 2 is filled with the hidden word 'benches'")]
    [InlineData("A plaza with [MASK] under hedges", "[MASK] 2 is not filled")]
    [InlineData("{\"prompt\": \"A plaza with kiosks under hedges\", \"note\": \"x\"}", "unexpected key 'note'")]
    [InlineData("A plaza", "the words outside the masks changed")]
    public async Task A_refill_that_changes_unmasked_words_or_keeps_a_mask_is_retried_then_counted(string answer, string expected)
    {
        using var server = new ScriptedHttpServer();
        var raw = answer.StartsWith('{') ? RawCompletion(answer) : Refill(answer);
        server.Enqueue(new ScriptedResponse(200, raw), new ScriptedResponse(200, raw), new ScriptedResponse(200, Refill("They skate near the stage in summer")));
        var set = Workshop();
        var result = await Augmenter(server, new LlmAugmentOptions { MaskFraction = 1 }, invalidRetries: 1).AugmentAsync(set, LlmStrategy.MaskRefill);

        var failure = Assert.Single(result.Failures);
        Assert.Equal(("mask-refill-1-1", RatingStatus.Invalid), (failure.CallId, failure.Status));
        Assert.Contains(expected, failure.Error, StringComparison.Ordinal);
        var retry = Messages(server.Requests.ToArray()[1]);
        Assert.Contains("That answer is not valid: ", retry[retry.Count - 1].Content, StringComparison.Ordinal);
        Assert.Equal(["They skate near the stage in summer"], result.Added.Select(p => p.Text));
        Assert.Equal(3, set.Prompts.Count);
    }

    [Fact]
    public async Task A_malformed_refill_then_a_valid_one_is_accepted()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, RawCompletion("Here you go: A plaza with kiosks under hedges")),
            new ScriptedResponse(200, RawCompletion("```json\n{\"prompt\": \"A  plaza with kiosks   under hedges\"}\n```")),
            new ScriptedResponse(200, Refill("They skate near the stage in summer")));
        var set = Workshop();
        var result = await Augmenter(server, new LlmAugmentOptions { MaskFraction = 1 }).AugmentAsync(set, LlmStrategy.MaskRefill);
        Assert.Empty(result.Failures);
        Assert.Equal("A plaza with kiosks under hedges", result.Added[0].Text);
        Assert.Equal(3, server.Requests.Count);
        Assert.StartsWith("invalid: the answer is not JSON", result.Log.Exchanges[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Keywords_are_concept_words_then_words_off_the_stop_list()
    {
        Assert.Equal(
            [("park", Concepts.Typologies), ("benches", Concepts.Amenities), ("tall", Keywords.Word), ("trees", Concepts.Nature)],
            Keywords.Extract("A park with benches under tall trees", "en").Select(k => (k.Word, k.Category)));
        Assert.Equal(
            [("community garden", Concepts.Typologies), ("quiet", Keywords.Word), ("corner", Keywords.Word)],
            Keywords.Extract("A community garden in a quiet corner", "en").Select(k => (k.Word, k.Category)));
        Assert.Equal(
            [("parc", Concepts.Typologies), ("ombragé", Keywords.Word), ("bancs", Concepts.Amenities), ("fontaine", Concepts.Nature)],
            Keywords.Extract("Un parc ombragé avec des bancs près de la fontaine", "fr").Select(k => (k.Word, k.Category)));
        Assert.Throws<ArgumentException>(() => Keywords.Extract("Ein Park", "de"));
    }

    [Fact]
    public void A_masked_prompt_matches_only_answers_that_keep_every_other_word()
    {
        var text = "A park, with benches.";
        var masked = MaskedPrompt.Make(text, [.. Keywords.Extract(text, "en")]);
        Assert.Equal("A [MASK], with [MASK].", masked.Template);
        Assert.NotNull(LlmAugmenter.ParseRefill("{\"prompt\": \"A quiet square, with swings.\"}", masked, 60, 400).Refill);
        Assert.Equal("the words outside the masks changed: expected \"A [MASK], with [MASK].\" with each [MASK] replaced and every other word kept",
            LlmAugmenter.ParseRefill("{\"prompt\": \"A square with swings.\"}", masked, 60, 400).Problem);
        Assert.Contains("more than 5", LlmAugmenter.ParseRefill("{\"prompt\": \"A very large square, with swings.\"}", masked, 5, 400).Problem, StringComparison.Ordinal);
        Assert.Contains("\"prompt\" is missing", LlmAugmenter.ParseRefill("{}", masked, 60, 400).Problem, StringComparison.Ordinal);
    }
}
