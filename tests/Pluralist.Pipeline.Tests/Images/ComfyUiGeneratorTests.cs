using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Tests.Support;

namespace Pluralist.Pipeline.Tests.Images;

/// <summary>
/// An in-process server that follows ComfyUI's documented API: <c>POST /prompt</c> queues the workflow and answers
/// its prompt id, <c>GET /history/{id}</c> answers <c>{}</c> for the first <see cref="PendingPolls"/> polls and then
/// the finished entry with the SaveImage node's image, <c>GET /view</c> serves that image (a PNG whose pixels encode
/// the workflow's seed).
/// </summary>
internal sealed class FakeComfyUi : IDisposable
{
    private readonly ConcurrentDictionary<string, (JsonObject Workflow, int Polls)> _queue = new();
    private int _next;

    public FakeComfyUi()
    {
        Server.Fallback = Answer;
    }

    public ScriptedHttpServer Server { get; } = new();

    public int PendingPolls { get; set; } = 1;

    /// <summary>When set, the prompt finishes with this execution_error (node 3, KSampler).</summary>
    public string? ExecutionError { get; set; }

    /// <summary>When true, /view answers 404 (the output folder was cleaned).</summary>
    public bool ImageMissing { get; set; }

    /// <summary>When true, the history entry has no images.</summary>
    public bool NoImages { get; set; }

    public IEnumerable<JsonObject> Submitted => _queue.Values.Select(v => v.Workflow);

    private ScriptedResponse Answer(RecordedRequest r)
    {
        if (r is { Method: "POST", Path: "/prompt" })
        {
            var body = JsonNode.Parse(r.Body)!.AsObject();
            if (body["client_id"] is null)
            {
                return new ScriptedResponse(400, "{\"error\":\"no client_id\"}");
            }

            var id = $"p-{Interlocked.Increment(ref _next)}";
            _queue[id] = (body["prompt"]!.AsObject(), 0);
            return new ScriptedResponse(200, JsonSerializer.Serialize(new { prompt_id = id, number = _next, node_errors = new { } }));
        }

        if (r.Method == "GET" && r.Path.StartsWith("/history/", StringComparison.Ordinal))
        {
            var id = r.Path["/history/".Length..];
            if (!_queue.TryGetValue(id, out var item))
            {
                return new ScriptedResponse(200, "{}");
            }

            _queue[id] = (item.Workflow, item.Polls + 1);
            if (item.Polls < PendingPolls)
            {
                return new ScriptedResponse(200, "{}");
            }

            var seed = item.Workflow["3"]!["inputs"]!["seed"]!.GetValue<long>();
            object status = ExecutionError is { } message
                ? new { status_str = "error", completed = false, messages = new object[] { new object[] { "execution_start", new { prompt_id = id } }, new object[] { "execution_error", new { prompt_id = id, node_id = "3", node_type = "KSampler", exception_type = "torch.OutOfMemoryError", exception_message = message } } } }
                : new { status_str = "success", completed = true, messages = new object[] { new object[] { "execution_success", new { prompt_id = id } } } };
            object outputs = NoImages || ExecutionError is not null
                ? new { }
                : new Dictionary<string, object> { ["9"] = new { images = new[] { new { filename = $"pluralist_{seed}_.png", subfolder = "run", type = "output" } } } };
            return new ScriptedResponse(200, JsonSerializer.Serialize(new Dictionary<string, object> { [id] = new { prompt = new object[] { 1, id }, outputs, status } }));
        }

        if (r is { Method: "GET", Path: "/view" })
        {
            if (ImageMissing)
            {
                return new ScriptedResponse(404, "");
            }

            var query = System.Web.HttpUtility.ParseQueryString(r.Query);
            var name = query["filename"]!;
            var seed = long.Parse(name.Split('_')[1], System.Globalization.CultureInfo.InvariantCulture);
            return new ScriptedResponse(200, "") { Bytes = GeneratorTests.TinyPng(seed) };
        }

        return new ScriptedResponse(404, "{\"error\":\"not found\"}");
    }

    public void Dispose() => Server.Dispose();
}

public class ComfyUiGeneratorTests
{
    private static string Example(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "docs", "examples", "comfyui", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"docs/examples/comfyui/{name} not found above {AppContext.BaseDirectory}");
    }

    private static ComfyUiWorkflow Workflow(string name) => ComfyUiWorkflow.Parse(File.ReadAllText(Example(name)), name);

    private static ComfyUiGenerator Generator(FakeComfyUi comfy, HttpClient http, string workflow = "sdxl.json", LoraSetting? lora = null, TimeSpan? timeout = null) =>
        new(http, new ComfyUiOptions { BaseUri = comfy.Server.BaseUri, Workflow = Workflow(workflow), Lora = lora, PollInterval = TimeSpan.FromMilliseconds(10), Timeout = timeout ?? TimeSpan.FromSeconds(20) });

    [Fact]
    public async Task The_filled_workflow_is_queued_followed_in_history_and_its_image_fetched_from_view()
    {
        using var comfy = new FakeComfyUi { PendingPolls = 2 };
        using var http = new HttpClient();
        var gen = Generator(comfy, http, "sdxl-lora.json", new LoraSetting("plaza-dpo.safetensors", 0.8));
        var image = await gen.GenerateAsync(new GenerationRequest("a plaza with \"benches\"", 4242, 7.5, 30, 1024, 768, "blurry"));

        Assert.Equal(GeneratorTests.TinyPng(4242), image.Png);
        var workflow = comfy.Submitted.Single();
        Assert.Equal("a plaza with \"benches\"", workflow["6"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal("blurry", workflow["7"]!["inputs"]!["text"]!.GetValue<string>());
        var sampler = workflow["3"]!["inputs"]!;
        Assert.Equal(JsonValueKind.Number, sampler["seed"]!.GetValueKind());
        Assert.Equal(4242, sampler["seed"]!.GetValue<long>());
        Assert.Equal(30, sampler["steps"]!.GetValue<int>());
        Assert.Equal(7.5, sampler["cfg"]!.GetValue<double>());
        Assert.Equal("euler", sampler["sampler_name"]!.GetValue<string>());
        Assert.Equal(1024, workflow["5"]!["inputs"]!["width"]!.GetValue<int>());
        Assert.Equal(768, workflow["5"]!["inputs"]!["height"]!.GetValue<int>());
        Assert.Equal("plaza-dpo.safetensors", workflow["10"]!["inputs"]!["lora_name"]!.GetValue<string>());
        Assert.Equal(0.8, workflow["10"]!["inputs"]!["strength_model"]!.GetValue<double>());
        Assert.Equal(0.8, workflow["10"]!["inputs"]!["strength_clip"]!.GetValue<double>());

        var requests = comfy.Server.Requests.ToList();
        Assert.Equal(["POST /prompt", "GET /history/p-1", "GET /history/p-1", "GET /history/p-1", "GET /view"], requests.Select(r => $"{r.Method} {r.Path}"));
        var view = System.Web.HttpUtility.ParseQueryString(requests[^1].Query);
        Assert.Equal(("pluralist_4242_.png", "run", "output"), (view["filename"], view["subfolder"], view["type"]));

        Assert.Equal("p-1", image.Parameters["prompt_id"]);
        Assert.Equal("4242", image.Parameters["seed"]);
        Assert.Equal("9", image.Parameters["output_node"]);
        Assert.Equal("plaza-dpo.safetensors", image.Parameters["lora"]);
        Assert.Equal("0.8", image.Parameters["lora_weight"]);
        Assert.Equal(Workflow("sdxl-lora.json").Hash, image.Parameters["workflow"]);
        Assert.NotEqual(Workflow("sdxl.json").Hash, image.Parameters["workflow"]);
    }

    [Fact]
    public async Task A_generation_job_on_ComfyUI_writes_its_manifest_and_a_rerun_resumes_without_new_prompts()
    {
        using var comfy = new FakeComfyUi { PendingPolls = 0 };
        using var http = new HttpClient();
        var dir = Path.Combine(Path.GetTempPath(), "pluralist-comfy-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new GenerationJobOptions { OutputFolder = dir, Variants = 3, Width = 64, Height = 64 };
            var prompts = new[] { new GenerationPrompt("1", "a plaza"), new GenerationPrompt("2", "a park") };
            var first = await new GenerationJob(Generator(comfy, http), options).RunAsync(prompts);
            Assert.Equal((6, 0, 0), (first.Generated, first.Skipped, first.Failed));
            var manifest = File.ReadAllText(Path.Combine(dir, "manifest.csv"));
            Assert.Contains("comfyui", manifest, StringComparison.Ordinal);
            Assert.Contains("prompt_id", manifest, StringComparison.Ordinal);
            Assert.Equal(6, comfy.Submitted.Count());

            var second = await new GenerationJob(Generator(comfy, http), options).RunAsync(prompts);
            Assert.Equal((0, 6, 0), (second.Generated, second.Skipped, second.Failed));
            Assert.Equal(6, comfy.Submitted.Count());
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public async Task A_failed_prompt_reports_the_node_and_the_exception()
    {
        using var comfy = new FakeComfyUi { ExecutionError = "Allocation on device 0 would exceed allowed memory.\n" };
        using var http = new HttpClient();
        var ex = await Assert.ThrowsAsync<GeneratorException>(() => Generator(comfy, http).GenerateAsync(new GenerationRequest("p", 1, 7, 20, 64, 64)));
        Assert.Equal("prompt p-1 failed: node 3 (KSampler): torch.OutOfMemoryError: Allocation on device 0 would exceed allowed memory.", ex.Message);
    }

    [Fact]
    public async Task A_workflow_the_server_refuses_names_the_node_and_its_error()
    {
        using var comfy = new FakeComfyUi();
        comfy.Server.Enqueue(new ScriptedResponse(400, JsonSerializer.Serialize(new
        {
            error = new { type = "prompt_outputs_failed_validation", message = "Prompt outputs failed validation", details = "", extra_info = new { } },
            node_errors = new Dictionary<string, object>
            {
                ["4"] = new { errors = new[] { new { type = "value_not_in_list", message = "Value not in list", details = "ckpt_name: 'sd_xl_base_1.0.safetensors' not in []", extra_info = new { } } }, dependent_outputs = new[] { "9" }, class_type = "CheckpointLoaderSimple" },
            },
        })));
        using var http = new HttpClient();
        var ex = await Assert.ThrowsAsync<GeneratorException>(() => Generator(comfy, http).GenerateAsync(new GenerationRequest("p", 1, 7, 20, 64, 64)));
        Assert.Equal("POST /prompt: HTTP 400: Prompt outputs failed validation: node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name: 'sd_xl_base_1.0.safetensors' not in []", ex.Message);
    }

    [Fact]
    public async Task A_missing_image_and_a_run_without_images_are_named()
    {
        using var http = new HttpClient();
        using (var comfy = new FakeComfyUi { ImageMissing = true })
        {
            var ex = await Assert.ThrowsAsync<GeneratorException>(() => Generator(comfy, http).GenerateAsync(new GenerationRequest("p", 77, 7, 20, 64, 64)));
            Assert.Equal("GET /view: the image output/run/pluralist_77_.png is missing on the server (HTTP 404)", ex.Message);
        }

        using (var comfy = new FakeComfyUi { NoImages = true })
        {
            var ex = await Assert.ThrowsAsync<GeneratorException>(() => Generator(comfy, http).GenerateAsync(new GenerationRequest("p", 77, 7, 20, 64, 64)));
            Assert.Equal("prompt p-1 finished without an image in output node 9", ex.Message);
        }
    }

    [Fact]
    public async Task An_image_larger_than_the_limit_is_not_downloaded()
    {
        using var comfy = new FakeComfyUi { PendingPolls = 0 };
        using var http = new HttpClient();
        var gen = new ComfyUiGenerator(http, new ComfyUiOptions { BaseUri = comfy.Server.BaseUri, Workflow = Workflow("sdxl.json"), PollInterval = TimeSpan.FromMilliseconds(10), MaxImageBytes = 16 });
        var ex = await Assert.ThrowsAsync<GeneratorException>(() => gen.GenerateAsync(new GenerationRequest("p", 5, 7, 20, 64, 64)));
        Assert.Equal("GET /view pluralist_5_.png: larger than 16 bytes; not downloaded", ex.Message);
    }

    [Fact]
    public async Task A_server_that_is_gone_or_never_finishes_gives_a_clear_error()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var http = new HttpClient();
        var gone = new ComfyUiGenerator(http, new ComfyUiOptions { BaseUri = new Uri($"http://127.0.0.1:{port}/"), Workflow = Workflow("sdxl.json") });
        var ex = await Assert.ThrowsAsync<GeneratorException>(() => gone.GenerateAsync(new GenerationRequest("p", 1, 7, 20, 64, 64)));
        Assert.StartsWith("connection failed:", ex.Message, StringComparison.Ordinal);

        using var comfy = new FakeComfyUi { PendingPolls = int.MaxValue };
        var stuck = Generator(comfy, http, timeout: TimeSpan.FromMilliseconds(300));
        ex = await Assert.ThrowsAsync<GeneratorException>(() => stuck.GenerateAsync(new GenerationRequest("p", 1, 7, 20, 64, 64)));
        Assert.Equal("timed out after 0.3 s", ex.Message);
    }

    [Theory]
    [InlineData("{\"nodes\": [], \"links\": []}", "this is ComfyUI's UI format")]
    [InlineData("[1, 2]", "expected a ComfyUI workflow in API format")]
    [InlineData("{\"1\": {\"inputs\": {}}}", "node \"1\" has no \"class_type\" string")]
    [InlineData("{\"1\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": \"{{sed}}\"}}}", "node \"1\" (KSampler) input \"seed\": unknown placeholder {{sed}}")]
    [InlineData("{\"1\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"{{prompt}}\"}}, \"2\": {\"class_type\": \"SaveImage\", \"inputs\": {}}}", "the workflow has no {{seed}} placeholder")]
    [InlineData("{\"1\": {\"class_type\": \"KSampler\", \"inputs\": {\"text\": \"{{prompt}}\", \"seed\": \"{{seed}}\"}}}", "no SaveImage or PreviewImage node")]
    [InlineData("{\"1\": {\"class_type\": \"KSampler\", \"inputs\": {\"text\": \"{{prompt}}\", \"seed\": \"{{seed}}\", \"l\": \"{{lora_name}}\"}}, \"2\": {\"class_type\": \"SaveImage\", \"inputs\": {}}}", "{{lora_name}} and {{lora_weight}} go together")]
    [InlineData("{\"1\": {\"class_type\": \n", "not JSON (line 2)")]
    public void Bad_templates_are_refused_with_the_place(string text, string message)
    {
        var ex = Assert.Throws<FormatException>(() => ComfyUiWorkflow.Parse(text, "wf.json"));
        Assert.StartsWith("wf.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_LoRA_is_required_exactly_when_the_workflow_has_its_placeholders()
    {
        using var http = new HttpClient();
        var uri = new Uri("http://127.0.0.1:8188/");
        Assert.Contains("give a LoRA", Assert.Throws<ArgumentException>(() => new ComfyUiGenerator(http, new ComfyUiOptions { BaseUri = uri, Workflow = Workflow("sdxl-lora.json") })).Message, StringComparison.Ordinal);
        Assert.Contains("no {{lora_name}} placeholder", Assert.Throws<ArgumentException>(() => new ComfyUiGenerator(http, new ComfyUiOptions { BaseUri = uri, Workflow = Workflow("sdxl.json"), Lora = new LoraSetting("x", 1) })).Message, StringComparison.Ordinal);
        Assert.Equal(new LoraSetting("plaza.safetensors", 0.6), LoraSetting.Parse("plaza.safetensors:0.6"));
        Assert.Equal(new LoraSetting("plaza.safetensors", 1), LoraSetting.Parse("plaza.safetensors"));
        Assert.Throws<FormatException>(() => LoraSetting.Parse("plaza:abc"));
        Assert.Throws<FormatException>(() => LoraSetting.Parse(":0.5"));
        Assert.Throws<FormatException>(() => LoraSetting.Parse("plaza:50"));
    }

    [Fact]
    public void A_placeholder_inside_a_longer_text_is_replaced_by_its_text()
    {
        var wf = ComfyUiWorkflow.Parse("{\"1\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": \"{{seed}}\", \"text\": \"photo of {{prompt}}, seed {{seed}}\"}}, \"2\": {\"class_type\": \"SaveImage\", \"inputs\": {\"filename_prefix\": \"p\"}}}", "inline");
        var filled = wf.Fill(new GenerationRequest("a park", 12, 7, 20, 64, 64), null);
        Assert.Equal("photo of a park, seed 12", filled["1"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal(12, filled["1"]!["inputs"]!["seed"]!.GetValue<long>());
        Assert.Equal("p", filled["2"]!["inputs"]!["filename_prefix"]!.GetValue<string>());
    }
}
