using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpenAI;
using OpenAI.Images;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Images;

/// <summary>What to render: the prompt and the sampling parameters.</summary>
public sealed record GenerationRequest(string Prompt, long Seed, double Guidance, int Steps, int Width, int Height, string? NegativePrompt = null);

/// <summary>A rendered image (PNG bytes) and the parameters the backend reports it used (backend-specific names).</summary>
public sealed record RenderedImage(byte[] Png, IReadOnlyDictionary<string, string> Parameters);

/// <summary>An image generator backend. Implementations throw <see cref="GeneratorException"/> for a failed image.</summary>
public interface IImageGenerator
{
    /// <summary>Name and version recorded with every image (<c>a1111</c>, <c>openai/dall-e-2</c>, <c>world/1</c>).</summary>
    string Name { get; }

    Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default);
}

/// <summary>One image failed (timeout, HTTP error, a response that is not a PNG); the job records it and goes on.</summary>
public sealed class GeneratorException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>"timed out after 0.4 s", in the invariant culture.</summary>
    internal static string TimedOut(TimeSpan timeout) => string.Create(CultureInfo.InvariantCulture, $"timed out after {timeout.TotalSeconds:0.###} s");
}

/// <summary>Settings of the Automatic1111 / Forge web API backend.</summary>
public sealed record A1111Options
{
    /// <summary>Server root, e.g. <c>http://127.0.0.1:7860/</c>; requests go to <c>sdapi/v1/txt2img</c> under it.</summary>
    public required Uri BaseUri { get; init; }

    public string SamplerName { get; init; } = "Euler a";

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public string Name { get; init; } = "a1111";
}

/// <summary>
/// The Automatic1111 / Forge <c>POST /sdapi/v1/txt2img</c> API: JSON request with prompt, negative_prompt, seed,
/// cfg_scale, steps, width, height, sampler_name, batch_size 1; response <c>{"images": [base64 PNG], "parameters": {…},
/// "info": "JSON text"}</c>. The seed actually used is read from <c>info</c> when present. The
/// <see cref="HttpClient"/>'s own <c>Timeout</c> (100 s by default) must not be shorter than
/// <see cref="A1111Options.Timeout"/>: pass one with <c>Timeout = Timeout.InfiniteTimeSpan</c>.
/// </summary>
public sealed class A1111Generator(HttpClient http, A1111Options options) : IImageGenerator
{
    public string Name => options.Name;

    public async Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = new Txt2ImgRequest(request.Prompt, request.NegativePrompt ?? "", request.Seed, request.Guidance, request.Steps, request.Width, request.Height, options.SamplerName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync(new Uri(options.BaseUri, "sdapi/v1/txt2img"), body, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GeneratorException(GeneratorException.TimedOut(options.Timeout), ex);
        }
        catch (HttpRequestException ex)
        {
            throw new GeneratorException($"connection failed: {ex.Message}", ex);
        }

        using (response)
        {
            string text;
            try
            {
                text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new GeneratorException(GeneratorException.TimedOut(options.Timeout), ex);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new GeneratorException($"HTTP {(int)response.StatusCode}: {Excerpt(text)}");
            }

            Txt2ImgResponse? parsed;
            try
            {
                parsed = JsonSerializer.Deserialize<Txt2ImgResponse>(text);
            }
            catch (JsonException ex)
            {
                throw new GeneratorException($"the response is not txt2img JSON: {ex.Message}", ex);
            }

            if (parsed?.Images is not { Count: > 0 } images)
            {
                throw new GeneratorException("the response has no images");
            }

            byte[] png;
            try
            {
                png = Convert.FromBase64String(images[0]);
            }
            catch (FormatException ex)
            {
                throw new GeneratorException("images[0] is not base64", ex);
            }

            if (!Png.TryReadSize(png, out _, out _))
            {
                throw new GeneratorException("images[0] is not a PNG");
            }

            var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["sampler_name"] = options.SamplerName,
                ["seed"] = request.Seed.ToString(CultureInfo.InvariantCulture),
            };
            if (parsed.Info is { Length: > 0 } info)
            {
                try
                {
                    using var doc = JsonDocument.Parse(info);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("seed", out var seed) && seed.TryGetInt64(out var s))
                    {
                        parameters["seed"] = s.ToString(CultureInfo.InvariantCulture);
                    }

                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("sd_model_name", out var model) && model.ValueKind == JsonValueKind.String)
                    {
                        parameters["sd_model_name"] = model.GetString()!;
                    }
                }
                catch (JsonException)
                {
                    parameters["info"] = Excerpt(info);
                }
            }

            return new RenderedImage(png, parameters);
        }
    }

    private static string Excerpt(string s) => s.Length <= 300 ? s.ReplaceLineEndings(" ") : s[..300].ReplaceLineEndings(" ") + "…";

    private sealed record Txt2ImgRequest(
        [property: JsonPropertyName("prompt")] string Prompt,
        [property: JsonPropertyName("negative_prompt")] string NegativePrompt,
        [property: JsonPropertyName("seed")] long Seed,
        [property: JsonPropertyName("cfg_scale")] double CfgScale,
        [property: JsonPropertyName("steps")] int Steps,
        [property: JsonPropertyName("width")] int Width,
        [property: JsonPropertyName("height")] int Height,
        [property: JsonPropertyName("sampler_name")] string SamplerName,
        [property: JsonPropertyName("batch_size")] int BatchSize = 1,
        [property: JsonPropertyName("n_iter")] int Iterations = 1);

    private sealed record Txt2ImgResponse(
        [property: JsonPropertyName("images")] List<string>? Images,
        [property: JsonPropertyName("info")] string? Info);
}

/// <summary>Settings of an OpenAI-compatible image endpoint.</summary>
public sealed record OpenAIImageOptions
{
    /// <summary>Base URL including the version segment, e.g. <c>https://api.openai.com/v1</c>.</summary>
    public required Uri Endpoint { get; init; }

    public string Model { get; init; } = "dall-e-2";

    public string? ApiKey { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// OpenAI-compatible <c>POST /images/generations</c> through the OpenAI package's <see cref="ImageClient"/>, asking for
/// <c>b64_json</c>. The API has no seed, guidance or steps: they are recorded as not applied (the parameters say
/// <c>seed_applied=false</c>), so variants differ only by the service's own sampling.
/// </summary>
public sealed class OpenAIImageGenerator : IImageGenerator
{
    private readonly ImageClient _client;
    private readonly OpenAIImageOptions _options;

    public OpenAIImageGenerator(OpenAIImageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _client = new ImageClient(options.Model, new ApiKeyCredential(options.ApiKey ?? "unused"), new OpenAIClientOptions
        {
            Endpoint = options.Endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = options.Timeout,
        });
    }

    public string Name => "openai/" + _options.Model;

    public async Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = new ImageGenerationOptions
        {
            Size = new GeneratedImageSize(request.Width, request.Height),
            ResponseFormat = GeneratedImageFormat.Bytes,
        };
        RenderedImage? result = null;
        try
        {
            var r = await _client.GenerateImageAsync(request.Prompt, o, cancellationToken).ConfigureAwait(false);
            var bytes = r.Value.ImageBytes?.ToArray() ?? throw new GeneratorException("the response has no b64_json image");
            if (!Png.TryReadSize(bytes, out _, out _))
            {
                throw new GeneratorException("the image is not a PNG");
            }

            var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["model"] = _options.Model,
                ["size"] = $"{request.Width.ToString(CultureInfo.InvariantCulture)}x{request.Height.ToString(CultureInfo.InvariantCulture)}",
                ["seed_applied"] = "false",
            };
            if (r.Value.RevisedPrompt is { Length: > 0 } revised)
            {
                parameters["revised_prompt"] = revised;
            }

            result = new RenderedImage(bytes, parameters);
        }
        catch (ClientResultException ex) when (ex.Status != 0)
        {
            throw new GeneratorException($"HTTP {ex.Status}: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or ClientResultException && !cancellationToken.IsCancellationRequested)
        {
            throw new GeneratorException(ex is ClientResultException ? $"connection failed: {ex.Message}" : GeneratorException.TimedOut(_options.Timeout), ex);
        }

        return result;
    }
}
