using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Images;

/// <summary>A LoRA applied by a ComfyUI workflow's <c>{{lora_name}}</c> / <c>{{lora_weight}}</c> placeholders.</summary>
public sealed record LoraSetting(string Name, double Weight)
{
    /// <summary>Parses <c>NAME</c> or <c>NAME:WEIGHT</c> (weight default 1, in -10..10).</summary>
    public static LoraSetting Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.LastIndexOf(':');
        string name = colon < 0 ? text : text[..colon];
        double weight = 1;
        if (colon >= 0 && !double.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out weight))
        {
            throw new FormatException($"LoRA '{text}': the weight after ':' is not a number (e.g. my-lora.safetensors:0.8)");
        }

        if (name.Trim().Length == 0)
        {
            throw new FormatException($"LoRA '{text}': the name is empty");
        }

        if (!double.IsFinite(weight) || weight is < -10 or > 10)
        {
            throw new FormatException($"LoRA '{text}': the weight {weight.ToString(CultureInfo.InvariantCulture)} is outside -10..10");
        }

        return new LoraSetting(name.Trim(), weight);
    }
}

/// <summary>
/// A ComfyUI workflow in API format (the JSON that "Save (API Format)" writes: node id -> <c>{class_type, inputs}</c>)
/// whose input values carry placeholders. A string value that is exactly one placeholder takes the typed value
/// (a number for <c>{{seed}}</c>, <c>{{guidance}}</c>, <c>{{steps}}</c>, <c>{{width}}</c>, <c>{{height}}</c>,
/// <c>{{lora_weight}}</c>); a placeholder inside a longer string is replaced by its text. Known placeholders:
/// <c>{{prompt}}</c> and <c>{{seed}}</c> (both required), <c>{{negative_prompt}}</c>, <c>{{guidance}}</c>,
/// <c>{{steps}}</c>, <c>{{width}}</c>, <c>{{height}}</c>, <c>{{lora_name}}</c>, <c>{{lora_weight}}</c>.
/// </summary>
public sealed partial class ComfyUiWorkflow
{
    /// <summary>Every placeholder a template may use.</summary>
    public static readonly IReadOnlyList<string> Placeholders = ["prompt", "negative_prompt", "seed", "guidance", "steps", "width", "height", "lora_name", "lora_weight"];

    private readonly JsonObject _template;

    private ComfyUiWorkflow(JsonObject template, string hash, IReadOnlySet<string> used, IReadOnlyList<string> outputNodes)
    {
        _template = template;
        Hash = hash;
        Used = used;
        OutputNodes = outputNodes;
    }

    /// <summary>SHA-256 of the template text (hex, first 16 characters), recorded with every image.</summary>
    public string Hash { get; }

    /// <summary>The placeholders the template uses.</summary>
    public IReadOnlySet<string> Used { get; }

    /// <summary>Ids of the nodes whose class saves or previews images (<c>SaveImage</c>, <c>PreviewImage</c>, ...).</summary>
    public IReadOnlyList<string> OutputNodes { get; }

    /// <summary>Reads and checks a template; <paramref name="source"/> names it in errors (a file path).</summary>
    /// <exception cref="FormatException">The text is not an API-format workflow, or a placeholder is unknown or missing; the message names the node and input.</exception>
    public static ComfyUiWorkflow Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{source}: not JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }

        if (root is not JsonObject nodes || nodes.Count == 0)
        {
            throw new FormatException($"{source}: expected a ComfyUI workflow in API format (an object of node id -> {{\"class_type\", \"inputs\"}}; use \"Save (API Format)\")");
        }

        if (nodes.ContainsKey("nodes") && nodes.ContainsKey("links"))
        {
            throw new FormatException($"{source}: this is ComfyUI's UI format (it has \"nodes\" and \"links\"); export the workflow with \"Save (API Format)\"");
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        var outputs = new List<string>();
        foreach (var (id, node) in nodes)
        {
            if (node is not JsonObject obj || obj["class_type"] is not JsonValue cls || cls.GetValueKind() != JsonValueKind.String)
            {
                throw new FormatException($"{source}: node \"{id}\" has no \"class_type\" string");
            }

            if (obj["inputs"] is not JsonObject inputs)
            {
                throw new FormatException($"{source}: node \"{id}\" ({cls}) has no \"inputs\" object");
            }

            string type = cls.GetValue<string>();
            if (type is "SaveImage" or "PreviewImage" || type.EndsWith("SaveImage", StringComparison.Ordinal))
            {
                outputs.Add(id);
            }

            foreach (var (input, value) in inputs)
            {
                if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    foreach (Match m in PlaceholderPattern().Matches(v.GetValue<string>()))
                    {
                        string name = m.Groups[1].Value;
                        if (!Placeholders.Contains(name))
                        {
                            throw new FormatException($"{source}: node \"{id}\" ({type}) input \"{input}\": unknown placeholder {{{{{name}}}}}; known: {string.Join(", ", Placeholders.Select(p => "{{" + p + "}}"))}");
                        }

                        used.Add(name);
                    }
                }
            }
        }

        foreach (var required in new[] { "prompt", "seed" })
        {
            if (!used.Contains(required))
            {
                throw new FormatException($"{source}: the workflow has no {{{{{required}}}}} placeholder (put it in the input that takes the {(required == "prompt" ? "positive prompt text" : "sampler seed")})");
            }
        }

        if (used.Contains("lora_name") != used.Contains("lora_weight"))
        {
            throw new FormatException($"{source}: {{{{lora_name}}}} and {{{{lora_weight}}}} go together (a LoraLoader's lora_name and strength_model)");
        }

        if (outputs.Count == 0)
        {
            throw new FormatException($"{source}: no SaveImage or PreviewImage node: the workflow would render nothing to fetch");
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        return new ComfyUiWorkflow(nodes, hash, used, outputs);
    }

    /// <summary>The workflow for one request, placeholders filled.</summary>
    public JsonObject Fill(GenerationRequest request, LoraSetting? lora)
    {
        ArgumentNullException.ThrowIfNull(request);
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["prompt"] = JsonValue.Create(request.Prompt),
            ["negative_prompt"] = JsonValue.Create(request.NegativePrompt ?? ""),
            ["seed"] = JsonValue.Create(request.Seed),
            ["guidance"] = JsonValue.Create(request.Guidance),
            ["steps"] = JsonValue.Create(request.Steps),
            ["width"] = JsonValue.Create(request.Width),
            ["height"] = JsonValue.Create(request.Height),
            ["lora_name"] = lora is null ? null : JsonValue.Create(lora.Name),
            ["lora_weight"] = lora is null ? null : JsonValue.Create(lora.Weight),
        };
        var filled = (JsonObject)_template.DeepClone();
        foreach (var (_, node) in filled)
        {
            var inputs = (JsonObject)node!["inputs"]!;
            foreach (var input in inputs.Select(p => p.Key).ToList())
            {
                if (inputs[input] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    string s = v.GetValue<string>();
                    var whole = PlaceholderPattern().Match(s);
                    if (whole.Success && whole.Length == s.Length)
                    {
                        inputs[input] = values[whole.Groups[1].Value]?.DeepClone();
                    }
                    else
                    {
                        inputs[input] = PlaceholderPattern().Replace(s, m => Text(values[m.Groups[1].Value]));
                    }
                }
            }
        }

        return filled;
    }

    private static string Text(JsonNode? value) => value is null ? "" : value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();

    [GeneratedRegex(@"\{\{([a-z_]+)\}\}")]
    private static partial Regex PlaceholderPattern();
}

/// <summary>Settings of the ComfyUI backend.</summary>
public sealed record ComfyUiOptions
{
    /// <summary>Server root, e.g. <c>http://127.0.0.1:8188/</c>.</summary>
    public required Uri BaseUri { get; init; }

    public required ComfyUiWorkflow Workflow { get; init; }

    /// <summary>The LoRA to apply; required exactly when the workflow has LoRA placeholders.</summary>
    public LoraSetting? Lora { get; init; }

    /// <summary>How long one image may take from submission to download (queue time included).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Pause between two <c>/history</c> polls.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest image accepted from <c>/view</c> (a 4096 x 4096 RGBA PNG stored raw is 64 MiB).</summary>
    public long MaxImageBytes { get; init; } = 128L << 20;

    public string Name { get; init; } = "comfyui";
}

/// <summary>
/// ComfyUI's HTTP API: <c>POST /prompt</c> with <c>{"prompt": workflow, "client_id": id}</c> answers
/// <c>{"prompt_id", "number", "node_errors"}</c> (HTTP 400 with <c>error</c> and <c>node_errors</c> when the workflow
/// does not validate); <c>GET /history/{prompt_id}</c> answers <c>{}</c> until the prompt has run, then
/// <c>{prompt_id: {"outputs": {node: {"images": [{filename, subfolder, type}]}}, "status": {"status_str",
/// "completed", "messages"}}}</c>; <c>GET /view?filename=&amp;subfolder=&amp;type=</c> returns the image bytes.
/// The first image of the first output node (in the workflow's order) is the result; it must be a PNG.
/// </summary>
public sealed class ComfyUiGenerator : IImageGenerator
{
    private readonly HttpClient _http;
    private readonly ComfyUiOptions _options;
    private readonly string _clientId = Guid.NewGuid().ToString("N");

    public ComfyUiGenerator(HttpClient http, ComfyUiOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        bool wantsLora = options.Workflow.Used.Contains("lora_name");
        if (wantsLora && options.Lora is null)
        {
            throw new ArgumentException("the workflow has {{lora_name}} / {{lora_weight}} placeholders: give a LoRA (--lora NAME[:WEIGHT])", nameof(options));
        }

        if (!wantsLora && options.Lora is not null)
        {
            throw new ArgumentException("a LoRA was given but the workflow has no {{lora_name}} placeholder to put it in", nameof(options));
        }

        _http = http;
        _options = options;
    }

    public string Name => _options.Name;

    public async Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            string promptId = await SubmitAsync(request, timeout.Token).ConfigureAwait(false);
            var (image, node) = await WaitForImageAsync(promptId, timeout.Token).ConfigureAwait(false);
            byte[] png = await DownloadAsync(image, timeout.Token).ConfigureAwait(false);
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["prompt_id"] = promptId,
                ["seed"] = request.Seed.ToString(CultureInfo.InvariantCulture),
                ["workflow"] = _options.Workflow.Hash,
                ["output_node"] = node,
                ["filename"] = image.Filename,
            };
            if (_options.Lora is { } lora)
            {
                parameters["lora"] = lora.Name;
                parameters["lora_weight"] = lora.Weight.ToString("R", CultureInfo.InvariantCulture);
            }

            return new RenderedImage(png, parameters);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GeneratorException(GeneratorException.TimedOut(_options.Timeout), ex);
        }
        catch (HttpRequestException ex)
        {
            throw new GeneratorException($"connection failed: {ex.Message}", ex);
        }
    }

    private async Task<string> SubmitAsync(GenerationRequest request, CancellationToken ct)
    {
        var body = new JsonObject { ["prompt"] = _options.Workflow.Fill(request, _options.Lora), ["client_id"] = _clientId };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(_options.BaseUri, "prompt"), content, ct).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        JsonNode? parsed = TryParse(text);
        if (!response.IsSuccessStatusCode)
        {
            throw new GeneratorException($"POST /prompt: HTTP {(int)response.StatusCode}: {ValidationMessage(parsed) ?? Excerpt(text)}");
        }

        if (parsed?["prompt_id"] is not JsonValue id || id.GetValueKind() != JsonValueKind.String || id.GetValue<string>().Length == 0)
        {
            throw new GeneratorException($"POST /prompt: the response has no prompt_id: {Excerpt(text)}");
        }

        if (parsed["node_errors"] is JsonObject { Count: > 0 } nodeErrors)
        {
            throw new GeneratorException($"POST /prompt: the workflow did not validate: {NodeErrors(nodeErrors)}");
        }

        return id.GetValue<string>();
    }

    private async Task<(ComfyImage Image, string Node)> WaitForImageAsync(string promptId, CancellationToken ct)
    {
        var uri = new Uri(_options.BaseUri, "history/" + Uri.EscapeDataString(promptId));
        while (true)
        {
            using (var response = await _http.GetAsync(uri, ct).ConfigureAwait(false))
            {
                string text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new GeneratorException($"GET /history/{promptId}: HTTP {(int)response.StatusCode}: {Excerpt(text)}");
                }

                if (TryParse(text) is not JsonObject history)
                {
                    throw new GeneratorException($"GET /history/{promptId}: not a JSON object: {Excerpt(text)}");
                }

                if (history[promptId] is JsonObject entry)
                {
                    var status = entry["status"] as JsonObject;
                    string? statusStr = status?["status_str"]?.GetValueKind() == JsonValueKind.String ? status["status_str"]!.GetValue<string>() : null;
                    if (statusStr == "error")
                    {
                        throw new GeneratorException($"prompt {promptId} failed: {ExecutionError(status!)}");
                    }

                    bool completed = status?["completed"]?.GetValueKind() is not JsonValueKind.False;
                    if (completed)
                    {
                        return FirstImage(promptId, entry);
                    }
                }
            }

            await Task.Delay(_options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    private (ComfyImage Image, string Node) FirstImage(string promptId, JsonObject entry)
    {
        var outputs = entry["outputs"] as JsonObject;
        foreach (var node in _options.Workflow.OutputNodes)
        {
            if (outputs?[node]?["images"] is JsonArray { Count: > 0 } images && images[0] is JsonObject first
                && first["filename"]?.GetValueKind() == JsonValueKind.String)
            {
                return (new ComfyImage(
                    first["filename"]!.GetValue<string>(),
                    first["subfolder"]?.GetValueKind() == JsonValueKind.String ? first["subfolder"]!.GetValue<string>() : "",
                    first["type"]?.GetValueKind() == JsonValueKind.String ? first["type"]!.GetValue<string>() : "output"), node);
            }
        }

        throw new GeneratorException($"prompt {promptId} finished without an image in output node{(_options.Workflow.OutputNodes.Count == 1 ? "" : "s")} {string.Join(", ", _options.Workflow.OutputNodes)}");
    }

    private async Task<byte[]> DownloadAsync(ComfyImage image, CancellationToken ct)
    {
        string query = $"view?filename={Uri.EscapeDataString(image.Filename)}&subfolder={Uri.EscapeDataString(image.Subfolder)}&type={Uri.EscapeDataString(image.Type)}";
        using var response = await _http.GetAsync(new Uri(_options.BaseUri, query), ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new GeneratorException($"GET /view: the image {image.Type}/{(image.Subfolder.Length > 0 ? image.Subfolder + "/" : "")}{image.Filename} is missing on the server (HTTP 404)");
        }

        byte[] bytes = await ReadLimitedAsync(response.Content, _options.MaxImageBytes, ct).ConfigureAwait(false)
            ?? throw new GeneratorException($"GET /view {image.Filename}: larger than {_options.MaxImageBytes} bytes; not downloaded");
        if (!response.IsSuccessStatusCode)
        {
            throw new GeneratorException($"GET /view {image.Filename}: HTTP {(int)response.StatusCode}: {Excerpt(Encoding.UTF8.GetString(bytes))}");
        }

        if (!Png.TryReadSize(bytes, out _, out _))
        {
            throw new GeneratorException($"GET /view {image.Filename}: not a PNG ({bytes.Length} bytes); use a SaveImage node, which writes PNG");
        }

        return bytes;
    }

    // The body, or null when it is longer than max (read no further than max + 1 bytes, whatever Content-Length says).
    private static async Task<byte[]?> ReadLimitedAsync(HttpContent content, long max, CancellationToken ct)
    {
        if (content.Headers.ContentLength > max)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The message of a 400 from /prompt: <c>error.message</c> and the node errors.</summary>
    private static string? ValidationMessage(JsonNode? parsed)
    {
        if (parsed is not JsonObject obj)
        {
            return null;
        }

        string? message = obj["error"] switch
        {
            JsonObject e when e["message"]?.GetValueKind() == JsonValueKind.String => e["message"]!.GetValue<string>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => null,
        };
        string? nodes = obj["node_errors"] is JsonObject { Count: > 0 } ne ? NodeErrors(ne) : null;
        return (message, nodes) switch
        {
            (null, null) => null,
            (_, null) => message,
            (null, _) => nodes,
            _ => $"{message}: {nodes}",
        };
    }

    private static string NodeErrors(JsonObject nodeErrors) => string.Join("; ", nodeErrors.Select(kv =>
    {
        string cls = kv.Value?["class_type"]?.GetValueKind() == JsonValueKind.String ? kv.Value["class_type"]!.GetValue<string>() : "?";
        var messages = kv.Value?["errors"] is JsonArray errors
            ? errors.Select(e => string.Join(": ", new[] { e?["message"], e?["details"] }.Where(x => x?.GetValueKind() == JsonValueKind.String && x.GetValue<string>().Length > 0).Select(x => x!.GetValue<string>())))
            : [];
        return $"node {kv.Key} ({cls}): {string.Join(", ", messages)}";
    }));

    /// <summary>The <c>execution_error</c> message of a failed prompt: node, type and exception message.</summary>
    private static string ExecutionError(JsonObject status)
    {
        if (status["messages"] is JsonArray messages)
        {
            foreach (var m in messages)
            {
                if (m is JsonArray { Count: >= 2 } pair && pair[0]?.GetValueKind() == JsonValueKind.String && pair[0]!.GetValue<string>() == "execution_error" && pair[1] is JsonObject data)
                {
                    string Field(string name) => data[name]?.GetValueKind() == JsonValueKind.String ? data[name]!.GetValue<string>() : data[name]?.ToJsonString() ?? "?";
                    return $"node {Field("node_id")} ({Field("node_type")}): {Field("exception_type")}: {Field("exception_message").Trim()}";
                }
            }
        }

        return "the server reported an error without an execution_error message";
    }

    private static string Excerpt(string s) => s.Length <= 300 ? s.ReplaceLineEndings(" ") : s[..300].ReplaceLineEndings(" ") + "…";

    private sealed record ComfyImage(string Filename, string Subfolder, string Type);
}
