using System.Diagnostics;
using System.Text.Json;
using Pluralist.Pipeline.Raters;
using Pluralist.Pipeline.Tests.Support;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Tests.Raters;

/// <summary>The real client (the OpenAI package through Microsoft.Extensions.AI) against a local OpenAI-compatible server.</summary>
public class SyntheticRaterTests
{
    private static readonly RaterScale[] Criteria =
    [
        new("safety", "Safety", "How safe the place looks."),
        new("comfort", "Comfort", "How comfortable it is to stay."),
    ];

    private static string Completion(string? content, string finish = "stop", string? refusal = null) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-test",
        @object = "chat.completion",
        created = 1_700_000_000,
        model = "vision-test",
        choices = new[] { new { index = 0, message = new { role = "assistant", content, refusal }, finish_reason = finish } },
        usage = new { prompt_tokens = 120, completion_tokens = 15, total_tokens = 135 },
    });

    private static RaterImage Image(byte shade)
    {
        var img = new RgbaImage(4, 4);
        for (int i = 0; i < img.Pixels.Length; i++)
        {
            img.Pixels[i] = (i % 4) == 3 ? (byte)255 : shade;
        }

        return new RaterImage(Png.Encode(img), "image/png");
    }

    private static SyntheticRater Rater(ScriptedHttpServer server, TimeSpan? timeout = null, int invalidRetries = 2) => new(
        OpenAICompatible.Create(new Uri(server.BaseUri, "v1"), "vision-test", "sk-test", TimeSpan.FromSeconds(30)),
        new RaterOptions
        {
            Model = "vision-test",
            InvalidRetries = invalidRetries,
            TransportRetries = 3,
            InitialBackoff = TimeSpan.FromMilliseconds(10),
            MaxBackoff = TimeSpan.FromSeconds(5),
            Timeout = timeout ?? TimeSpan.FromSeconds(20),
        });

    private static PairRatingRequest Pair(RaterPersona? persona = null) =>
        new("A plaza with benches", Image(40), Image(200), Criteria, persona ?? RaterPersona.None);

    private static readonly RaterPersona Senior = new([new PersonaMarker("age-band", "How old are you?", "65+"), new PersonaMarker("disability", "Do you have a disability?", "mobility")]);

    [Fact]
    public async Task A_pair_request_carries_model_messages_inline_images_and_the_json_schema()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Completion("{\"safety\": -0.5, \"comfort\": 0.25}")));
        var request = Pair(Senior);

        var outcome = await Rater(server).RatePairAsync(request);

        Assert.Equal(RatingStatus.Ok, outcome.Status);
        Assert.Equal([-0.5, 0.25], outcome.Values);
        Assert.Equal((1, 120L, 15L), (outcome.Attempts, outcome.InputTokens, outcome.OutputTokens));
        var sent = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("Bearer sk-test", sent.Authorization);
        using var body = JsonDocument.Parse(sent.Body);
        var root = body.RootElement;
        Assert.Equal("vision-test", root.GetProperty("model").GetString());
        var messages = root.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["system", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        var system = messages[0].GetProperty("content").ValueKind == JsonValueKind.String
            ? messages[0].GetProperty("content").GetString()!
            : string.Concat(messages[0].GetProperty("content").EnumerateArray().Select(p => p.GetProperty("text").GetString()));
        Assert.Contains("- How old are you? [age-band]: 65+", system, StringComparison.Ordinal);
        Assert.Contains("[disability]: mobility", system, StringComparison.Ordinal);

        // The two images travel inline as data URLs, left first, between the text parts that name the sides.
        var parts = messages[1].GetProperty("content").EnumerateArray().ToList();
        var images = parts.Where(p => p.GetProperty("type").GetString() == "image_url").Select(p => p.GetProperty("image_url").GetProperty("url").GetString()!).ToList();
        Assert.Equal(2, images.Count);
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(request.Left.Bytes.Span), images[0]);
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(request.Right.Bytes.Span), images[1]);
        var texts = parts.Where(p => p.GetProperty("type").GetString() == "text").Select(p => p.GetProperty("text").GetString()!).ToList();
        Assert.Contains(texts, t => t.Contains("A plaza with benches", StringComparison.Ordinal));
        Assert.Contains("LEFT image:", texts);

        // Structured output: a strict object of the drawn criteria, numbers in [-1, 1].
        var format = root.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        var schema = format.GetProperty("json_schema");
        Assert.Equal(SyntheticRater.PairwiseSchemaName, schema.GetProperty("name").GetString());
        var properties = schema.GetProperty("schema").GetProperty("properties");
        Assert.Equal(["safety", "comfort"], properties.EnumerateObject().Select(p => p.Name));
        // The adapter drops minimum/maximum for OpenAI's strict mode; the range is in the text and checked on our side.
        Assert.Equal("number", properties.GetProperty("safety").GetProperty("type").GetString());
        Assert.Equal(["safety", "comfort"], schema.GetProperty("schema").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(schema.GetProperty("schema").GetProperty("additionalProperties").GetBoolean());
    }

    [Fact]
    public async Task Without_a_persona_the_system_message_describes_nobody_and_the_cache_key_differs()
    {
        using var server = new ScriptedHttpServer();
        var rater = Rater(server);
        var (plain, options) = rater.Build(Pair());
        var (steered, _) = rater.Build(Pair(Senior));

        Assert.DoesNotContain("[age-band]", plain[0].Text, StringComparison.Ordinal);
        Assert.NotEqual(rater.CacheKey(plain, options), rater.CacheKey(steered, options));
        Assert.Equal(rater.CacheKey(plain, options), rater.CacheKey(rater.Build(Pair()).Messages, options));
        Assert.NotEqual(rater.CacheKey(plain, options), rater.CacheKey(rater.Build(Pair() with { Left = Image(41) }).Messages, options));
    }

    [Fact]
    public async Task A_malformed_answer_is_retried_with_the_reason_then_accepted()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(
            new ScriptedResponse(200, Completion("The left one looks safer.")),
            new ScriptedResponse(200, Completion("{\"safety\": -2, \"comfort\": 0}")),
            new ScriptedResponse(200, Completion("```json\n{\"safety\": -1, \"comfort\": 0}\n```")));

        var outcome = await Rater(server).RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Ok, outcome.Status);
        Assert.Equal([-1.0, 0.0], outcome.Values);
        Assert.Equal((3, 360L), (outcome.Attempts, outcome.InputTokens));
        var last = JsonDocument.Parse(server.Requests.Last().Body).RootElement.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["system", "user", "assistant", "user", "assistant", "user"], last.Select(m => m.GetProperty("role").GetString()));
        Assert.Contains("outside -1 to 1", last[5].GetProperty("content").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_invalid_every_time_are_counted_as_invalid_and_never_guessed()
    {
        using var server = new ScriptedHttpServer();
        server.Fallback = _ => new ScriptedResponse(200, Completion("{\"safety\": 0.5}"));

        var outcome = await Rater(server, invalidRetries: 1).RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Invalid, outcome.Status);
        Assert.Empty(outcome.Values);
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal(2, server.Requests.Count);
        Assert.Contains("missing key 'comfort'", outcome.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"safety\": 0, \"comfort\": 0, \"joy\": 1}", "unexpected key 'joy'")]
    [InlineData("{\"safety\": \"0.5\", \"comfort\": 0}", "not a number")]
    [InlineData("", "empty")]
    public void Validation_names_what_is_wrong(string answer, string expected)
    {
        var (values, problem) = SyntheticRater.Validate(answer, Criteria, -1, 1, integer: false);
        Assert.Null(values);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Likert_answers_must_be_whole_numbers_from_1_to_5()
    {
        Assert.Contains("whole numbers", SyntheticRater.Validate("{\"safety\": 2.5, \"comfort\": 1}", Criteria, 1, 5, integer: true).Problem, StringComparison.Ordinal);
        Assert.Equal([5.0, 1.0], SyntheticRater.Validate("{\"comfort\": 1, \"safety\": 5}", Criteria, 1, 5, integer: true).Values!);
    }

    [Fact]
    public async Task A_refusal_is_reported_as_such_without_a_retry()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Completion(null, refusal: "I can't rate people's safety.")));

        var outcome = await Rater(server).RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Refused, outcome.Status);
        Assert.Contains("I can't rate people's safety.", outcome.Error, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task The_content_filter_counts_as_a_refusal()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Completion("", finish: "content_filter")));

        var outcome = await Rater(server).RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Refused, outcome.Status);
        Assert.Contains("content filter", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_waits_for_Retry_After_then_succeeds()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(
            new ScriptedResponse(429, "{\"error\":{\"message\":\"slow down\"}}", Headers: new Dictionary<string, string> { ["Retry-After"] = "1" }),
            new ScriptedResponse(200, Completion("{\"safety\": 0, \"comfort\": 1}")));
        var clock = Stopwatch.StartNew();

        var outcome = await Rater(server).RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Ok, outcome.Status);
        Assert.Equal(2, outcome.Attempts);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"waited only {clock.Elapsed}; Retry-After asked for 1 s");
    }

    [Fact]
    public async Task A_client_error_fails_at_once_with_the_status_and_the_server_message()
    {
        using var server = new ScriptedHttpServer();
        server.Fallback = _ => new ScriptedResponse(401, "{\"error\":{\"message\":\"bad key\"}}");

        var outcome = await Rater(server).RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Failed, outcome.Status);
        Assert.Contains("HTTP 401", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("bad key", outcome.Error, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Server_errors_are_retried_a_bounded_number_of_times()
    {
        using var server = new ScriptedHttpServer();
        server.Fallback = _ => new ScriptedResponse(503, "{\"error\":{\"message\":\"overloaded\"}}");

        var outcome = await Rater(server).RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Failed, outcome.Status);
        Assert.Equal(4, server.Requests.Count); // 1 + 3 transport retries
        Assert.Contains("gave up after 4 tries", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_is_retried_then_the_late_answer_is_not_waited_for()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(
            new ScriptedResponse(200, Completion("{\"safety\": 0.5, \"comfort\": 0.5}"), Delay: TimeSpan.FromSeconds(6)),
            new ScriptedResponse(200, Completion("{\"safety\": 0.75, \"comfort\": 0.5}")));

        // The timeout leaves the prompt answer ample time on a loaded machine (at 500 ms it once took a third try there).
        var outcome = await Rater(server, timeout: TimeSpan.FromSeconds(2)).RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Ok, outcome.Status);
        Assert.Equal([0.75, 0.5], outcome.Values);
        Assert.Equal(2, outcome.Attempts);
    }

    [Fact]
    public async Task Timeouts_every_time_fail_with_a_clear_message()
    {
        using var server = new ScriptedHttpServer();
        server.Fallback = _ => new ScriptedResponse(200, Completion("{}"), Delay: TimeSpan.FromSeconds(3));

        var outcome = await new SyntheticRater(
            OpenAICompatible.Create(new Uri(server.BaseUri, "v1"), "vision-test", null, TimeSpan.FromSeconds(30)),
            new RaterOptions { Model = "vision-test", TransportRetries = 1, InitialBackoff = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromMilliseconds(300) })
            .RatePairAsync(Pair());

        Assert.Equal(RatingStatus.Failed, outcome.Status);
        Assert.Contains("no answer within 0.3 s", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_likert_request_asks_for_integers_and_reads_them_in_question_order()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, Completion("{\"comfort\": 2, \"safety\": 4}")));

        var outcome = await Rater(server).RateLikertAsync(new LikertRatingRequest("A plaza", Image(90), Criteria, RaterPersona.None));

        Assert.Equal([4.0, 2.0], outcome.Values);
        using var body = JsonDocument.Parse(server.Requests.Single().Body);
        var schema = body.RootElement.GetProperty("response_format").GetProperty("json_schema");
        Assert.Equal(SyntheticRater.LikertSchemaName, schema.GetProperty("name").GetString());
        Assert.Equal("integer", schema.GetProperty("schema").GetProperty("properties").GetProperty("safety").GetProperty("type").GetString());
        Assert.Single(body.RootElement.GetProperty("messages")[1].GetProperty("content").EnumerateArray(), p => p.GetProperty("type").GetString() == "image_url");
    }

    [Fact]
    public void A_persona_block_reads_back_to_its_markers()
    {
        var parsed = RaterPersona.Parse("preamble\n" + Senior.Describe() + "tail");
        Assert.Equal(Senior.Values, parsed);
        Assert.Equal("age-band=65+;disability=mobility", Senior.Key);
        Assert.Empty(RaterPersona.Parse("no persona here"));
    }

    [Fact]
    public async Task The_pacer_spaces_request_starts()
    {
        var pacer = new RequestPacer(600); // one per 100 ms
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 4; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
        }

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(280), $"4 starts at 600/min took {clock.Elapsed}");
    }
}
