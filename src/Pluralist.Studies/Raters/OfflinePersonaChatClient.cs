using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Raters;
using Pluralist.Studies.Alignment;
using Pluralist.World.Imaging;
using Pluralist.World.Scenes;
using Pluralist.World.Simulation;

namespace Pluralist.Studies.Raters;

/// <summary>
/// The offline synthetic rater, behind the same <see cref="IChatClient"/> interface as a model server: it reads the
/// request a <see cref="SyntheticRater"/> sends (the persona block of the system message, the inline PNG images, the
/// keys of the JSON schema), sees each image through the perception probe (pixels to a scene spec), and answers as a
/// simulated participant with the persona's identity profile would (<see cref="ProfileWeights"/>), or, without a
/// persona, as the unmarked judge (<see cref="SimulatedParticipant.Unmarked"/>). Its answers are deterministic: the
/// noise is seeded by a hash of the request. It declines (a refusal) what the world cannot judge: criteria other than
/// the six default ones, images that are not PNG. It is a stand-in for demos and tests, not a model of real people.
/// </summary>
public sealed class OfflinePersonaChatClient(PerceptionProbe probe) : IChatClient
{
    /// <summary>The model name runs record for this rater.</summary>
    public const string ModelName = "offline-persona";

    private readonly ConcurrentDictionary<string, SceneSpec> _seen = new(StringComparer.Ordinal);

    /// <summary>Images read through the probe so far (each distinct image once).</summary>
    public int ImagesPerceived => _seen.Count;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var list = messages.ToList();
        var system = string.Join('\n', list.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        var images = list.Where(m => m.Role == ChatRole.User).SelectMany(m => m.Contents).OfType<DataContent>().ToList();
        if (options?.ResponseFormat is not ChatResponseFormatJson { Schema: { } schema } format)
        {
            return Refuse("the offline rater answers only requests with a JSON schema");
        }

        var keys = schema.TryGetProperty("properties", out var props) ? props.EnumerateObject().Select(p => p.Name).ToList() : [];
        var markers = RaterPersona.Parse(system);
        var seedText = new StringBuilder(system);
        foreach (var d in images)
        {
            seedText.Append(Hash(d.Data.Span));
        }

        seedText.AppendJoin(',', keys);
        int seed = BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(seedText.ToString())), 0);
        var judge = markers.Count > 0 ? new SimulatedParticipant(Profile(markers), Behaviour.Careful, seed) : SimulatedParticipant.Unmarked(seed);
        if (keys.Count == 0 || keys.FirstOrDefault(k => !judge.Knows(k)) is { } unknown && unknown is not null)
        {
            return Refuse($"the offline rater judges only the world's criteria (accessibility, safety, comfort, invitingness, inclusivity, diversity); asked about '{keys.FirstOrDefault(k => !judge.Knows(k))}'");
        }

        var specs = new List<SceneSpec>();
        foreach (var d in images)
        {
            if (d.MediaType != "image/png")
            {
                return Refuse($"the offline rater reads PNG images only, not {d.MediaType}");
            }

            specs.Add(Perceive(d.Data));
        }

        var answer = new Dictionary<string, double>(StringComparer.Ordinal);
        if (format.SchemaName == SyntheticRater.PairwiseSchemaName && specs.Count == 2)
        {
            foreach (var k in keys)
            {
                answer[k] = judge.Compare(specs[0], specs[1], k);
            }
        }
        else if (format.SchemaName == SyntheticRater.LikertSchemaName && specs.Count == 1)
        {
            // Utility in [0, 1] onto the 1..5 scale: 1 + round(4 u).
            foreach (var k in keys)
            {
                answer[k] = 1 + Math.Round(4 * judge.Utility(specs[0], k));
            }
        }
        else
        {
            return Refuse($"the offline rater does the pairwise task on two images or the Likert task on one; got schema '{format.SchemaName}' with {specs.Count} images");
        }

        var text = JsonSerializer.Serialize(answer);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { ModelId = ModelName, FinishReason = ChatFinishReason.Stop });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType?.IsInstanceOfType(this) == true ? this : null;

    public void Dispose()
    {
    }

    /// <summary>
    /// The identity profile a persona's coded markers describe: an age (first number of an age or band; the band's middle
    /// when it has two) below 30 is youth, 65 or more senior; gender woman / non-binary / man; a disability answer naming
    /// mobility or a wheelchair; languages fr / en / other; parent yes. Markers the persona lacks take the baseline's
    /// values (adult, man, no mobility limitation, francophone, not a parent): an assumption of this rater.
    /// </summary>
    public static IdentityProfile Profile(IReadOnlyDictionary<string, string> markers)
    {
        ArgumentNullException.ThrowIfNull(markers);
        var p = IdentityProfile.Baseline;
        foreach (var (key, raw) in markers)
        {
            var v = raw.Trim().ToLowerInvariant();
            switch (key)
            {
                case "age" or "age-band" or "age-group":
                    var numbers = System.Text.RegularExpressions.Regex.Matches(v, "[0-9]+").Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
                    if (numbers.Count > 0)
                    {
                        double age = numbers.Count >= 2 ? (numbers[0] + numbers[1]) / 2.0 : numbers[0];
                        p = p with { Age = age < 30 ? AgeBand.Youth : age >= 65 ? AgeBand.Senior : AgeBand.Adult };
                    }

                    break;
                case "gender":
                    p = p with { Gender = v.Contains("non", StringComparison.Ordinal) ? Gender.NonBinary : v.Contains("woman", StringComparison.Ordinal) || v.Contains("female", StringComparison.Ordinal) || v.Contains("femme", StringComparison.Ordinal) ? Gender.Woman : Gender.Man };
                    break;
                case "disability":
                    p = p with { MobilityLimited = v.Contains("mobility", StringComparison.Ordinal) || v.Contains("wheelchair", StringComparison.Ordinal) || v.Contains("mobilité", StringComparison.Ordinal) };
                    break;
                case "languages" or "language":
                    p = p with { Language = v == "en" || v.StartsWith("english", StringComparison.Ordinal) ? LanguageBackground.Anglophone : v == "fr" || v.StartsWith("fran", StringComparison.Ordinal) ? LanguageBackground.Francophone : LanguageBackground.Allophone };
                    break;
                case "parent":
                    p = p with { ParentOfYoungChildren = v is "yes" or "oui" or "true" };
                    break;
            }
        }

        return p;
    }

    private SceneSpec Perceive(ReadOnlyMemory<byte> png) => _seen.GetOrAdd(Hash(png.Span), _ =>
    {
        var pixels = WorldImageSource.ToModelPixels(Png.Decode(png.Span), probe.Config.ImageSize);
        lock (probe)
        {
            return SceneProbe.Perceive(probe, pixels, 1)[0];
        }
    });

    private static string Hash(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static Task<ChatResponse> Refuse(string why)
    {
        var message = new ChatMessage(ChatRole.Assistant, [new ErrorContent(why) { ErrorCode = "Refusal" }]);
        return Task.FromResult(new ChatResponse(message) { ModelId = ModelName, FinishReason = ChatFinishReason.Stop });
    }
}
