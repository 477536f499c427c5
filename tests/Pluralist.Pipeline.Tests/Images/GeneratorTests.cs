using System.Text.Json;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Tests.Support;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Tests.Images;

public class GeneratorTests
{
    /// <summary>A 2 x 2 PNG whose red channel encodes the seed, so different seeds give different files.</summary>
    internal static byte[] TinyPng(long seed) => Png.Encode(new RgbaImage(2, 2, [(byte)seed, 0, 0, 255, 0, (byte)(seed >> 8), 0, 255, 0, 0, (byte)(seed >> 16), 255, 1, 2, 3, 255]));

    /// <summary>The documented A1111 response for a request body.</summary>
    internal static ScriptedResponse A1111Ok(RecordedRequest r)
    {
        using var doc = JsonDocument.Parse(r.Body);
        var seed = doc.RootElement.GetProperty("seed").GetInt64();
        var info = JsonSerializer.Serialize(new { seed, all_seeds = new[] { seed }, sd_model_name = "tiny-test" });
        return new ScriptedResponse(200, JsonSerializer.Serialize(new { images = new[] { Convert.ToBase64String(TinyPng(seed)) }, parameters = JsonSerializer.Deserialize<JsonElement>(r.Body), info }));
    }

    [Fact]
    public async Task A1111_sends_the_documented_request_and_reads_the_image_and_info()
    {
        using var server = new ScriptedHttpServer { Fallback = A1111Ok };
        using var http = new HttpClient();
        var gen = new A1111Generator(http, new A1111Options { BaseUri = server.BaseUri, SamplerName = "DPM++ 2M" });
        var image = await gen.GenerateAsync(new GenerationRequest("a plaza", 1234, 7.5, 30, 512, 768, "blurry"));

        var req = server.Requests.Single();
        Assert.Equal(("POST", "/sdapi/v1/txt2img"), (req.Method, req.Path));
        using var body = JsonDocument.Parse(req.Body);
        var b = body.RootElement;
        Assert.Equal("a plaza", b.GetProperty("prompt").GetString());
        Assert.Equal("blurry", b.GetProperty("negative_prompt").GetString());
        Assert.Equal(1234, b.GetProperty("seed").GetInt64());
        Assert.Equal(7.5, b.GetProperty("cfg_scale").GetDouble());
        Assert.Equal(30, b.GetProperty("steps").GetInt32());
        Assert.Equal(512, b.GetProperty("width").GetInt32());
        Assert.Equal(768, b.GetProperty("height").GetInt32());
        Assert.Equal("DPM++ 2M", b.GetProperty("sampler_name").GetString());
        Assert.Equal(1, b.GetProperty("batch_size").GetInt32());
        Assert.Equal(TinyPng(1234), image.Png);
        Assert.Equal("1234", image.Parameters["seed"]);
        Assert.Equal("tiny-test", image.Parameters["sd_model_name"]);
    }

    [Theory]
    [InlineData(500, "{\"error\":\"CUDA out of memory\"}", "HTTP 500: {\"error\":\"CUDA out of memory\"}")]
    [InlineData(200, "{\"images\": []}", "the response has no images")]
    [InlineData(200, "{\"images\": [\"aGVsbG8=\"]}", "images[0] is not a PNG")]
    [InlineData(200, "<html>", "the response is not txt2img JSON")]
    public async Task A1111_failures_become_generator_exceptions(int status, string body, string message)
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(status, body));
        using var http = new HttpClient();
        var gen = new A1111Generator(http, new A1111Options { BaseUri = server.BaseUri });
        var ex = await Assert.ThrowsAsync<GeneratorException>(() => gen.GenerateAsync(new GenerationRequest("p", 1, 7, 20, 64, 64)));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAI_image_endpoint_is_called_for_b64_json_and_the_png_returned()
    {
        using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(200, JsonSerializer.Serialize(new { created = 1_700_000_000, data = new[] { new { b64_json = Convert.ToBase64String(TinyPng(9)), revised_prompt = "a sunny plaza" } } })));
        var gen = new OpenAIImageGenerator(new OpenAIImageOptions { Endpoint = new Uri(server.BaseUri, "v1"), Model = "dall-e-2", ApiKey = "sk-img" });
        var image = await gen.GenerateAsync(new GenerationRequest("a plaza", 5, 7, 20, 256, 256));

        var req = server.Requests.Single();
        Assert.Equal("/v1/images/generations", req.Path);
        using var body = JsonDocument.Parse(req.Body);
        Assert.Equal("a plaza", body.RootElement.GetProperty("prompt").GetString());
        Assert.Equal("dall-e-2", body.RootElement.GetProperty("model").GetString());
        Assert.Equal("256x256", body.RootElement.GetProperty("size").GetString());
        Assert.Equal("b64_json", body.RootElement.GetProperty("response_format").GetString());
        Assert.Equal(TinyPng(9), image.Png);
        Assert.Equal("false", image.Parameters["seed_applied"]);
        Assert.Equal("a sunny plaza", image.Parameters["revised_prompt"]);
        Assert.Equal("openai/dall-e-2", gen.Name);

        server.Enqueue(new ScriptedResponse(400, "{\"error\":{\"message\":\"bad size\",\"type\":\"invalid_request_error\"}}"));
        var ex = await Assert.ThrowsAsync<GeneratorException>(() => gen.GenerateAsync(new GenerationRequest("a plaza", 5, 7, 20, 300, 300)));
        Assert.StartsWith("HTTP 400", ex.Message, StringComparison.Ordinal);
    }
}
