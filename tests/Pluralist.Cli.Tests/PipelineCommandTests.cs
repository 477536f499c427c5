namespace Pluralist.Cli.Tests;

/// <summary>The pipeline verbs end to end: prompts import/augment/compare, images generate/select, embedder evaluate; and their errors.</summary>
public sealed class PipelineCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_bad_prompts_csv_names_file_line_and_field_and_writes_nothing()
    {
        Write("bad.csv", "text,language,source\nA park with trees,en,human\nA plaza,en,robot\n");
        var (code, _, err) = CliRunner.Run(_dir, "prompts", "import", "bad.csv", "--out", "prompts");
        Assert.Equal(1, code);
        Assert.Contains("bad.csv:3", err, StringComparison.Ordinal);
        Assert.Contains("(source)", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "prompts", "prompts.csv")));

        (code, _, err) = CliRunner.Run(_dir, "prompts", "import", "missing.txt", "--out", "prompts");
        Assert.Equal(1, code);
        Assert.Contains("missing.txt", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "prompts", "import", "bad.csv", "--source", "robot", "--out", "prompts");
        Assert.Equal(1, code);
        Assert.Contains("--source 'robot'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_augment_compare_generate_resume_and_select_with_the_world_backend()
    {
        Write("p.txt", "A park with benches under trees\nA plaza with a fountain at night\nA park with benches under trees\n");
        var (code, output, err) = CliRunner.Run(_dir, "prompts", "import", "p.txt", "--out", "prompts");
        Assert.True(code == 0, err);
        Assert.Contains("2 prompts added, 1 duplicates dropped", output, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(_dir, "prompts", "augment", "prompts", "--strategy", "template", "--variants", "1");
        Assert.True(code == 0, err);
        Assert.Contains("template, the offline template (default without a model server): 2 prompts added (2 -> 4)", output, StringComparison.Ordinal);
        Assert.Contains("template", File.ReadAllText(Path.Combine(_dir, "prompts", "provenance.csv")), StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(_dir, "prompts", "compare", "prompts");
        Assert.True(code == 0, err);
        Assert.Contains("human\ten\t2", output, StringComparison.Ordinal);
        Assert.Matches(@"template\ten\t2\t.*\t0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]", output); // JSD to the human prompts with its interval

        (code, output, err) = CliRunner.Run(_dir, "images", "generate", "prompts", "--backend", "world", "--variants", "5", "--size", "32", "--limit", "2", "--out", "run");
        Assert.True(code == 0, err);
        Assert.Contains("10 rendered, 0 already done, 0 failed of 10", output, StringComparison.Ordinal);
        var manifest = File.ReadAllLines(Path.Combine(_dir, "run", "manifest.csv"));
        Assert.Equal(11, manifest.Length);
        Assert.EndsWith(",text,language,source", manifest[0], StringComparison.Ordinal);
        Assert.EndsWith("A plaza with a fountain at night,en,human", manifest[^1], StringComparison.Ordinal);

        (code, output, _) = CliRunner.Run(_dir, "images", "generate", "prompts", "--backend", "world", "--variants", "5", "--size", "32", "--limit", "2", "--out", "run");
        Assert.Equal(0, code);
        Assert.Contains("0 rendered, 10 already done", output, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(_dir, "images", "select", "run", "--k", "3", "--embedder", "color-layout", "--random-draws", "20");
        Assert.True(code == 0, err);
        Assert.Matches(@"2 prompts, k = 3, greedy on color-layout/1: Vendi selected \d\.\d{3}, random \d\.\d{3}", output);
        Assert.Equal(7, File.ReadAllLines(Path.Combine(_dir, "run", "selection.csv")).Length);
    }

    [Fact]
    public void Generate_and_select_name_the_bad_option()
    {
        Write("p.txt", "A park\n");
        var (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "dalle-9", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("--backend 'dalle-9'", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "diffusion", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("--model", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "diffusion", "--model", "nope.safetensors", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("nope.safetensors", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "a1111", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("--url", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "comfyui", "--url", "http://127.0.0.1:8188", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("--backend comfyui needs --workflow FILE", err, StringComparison.Ordinal);
        Write("ui.json", "{\"nodes\": [], \"links\": []}");
        (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "comfyui", "--url", "http://127.0.0.1:8188", "--workflow", "ui.json", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("ui.json: this is ComfyUI's UI format", err, StringComparison.Ordinal);
        Write("api.json", "{\"3\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": \"{{seed}}\", \"text\": \"{{prompt}}\"}}, \"9\": {\"class_type\": \"SaveImage\", \"inputs\": {}}}");
        (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "comfyui", "--url", "http://127.0.0.1:8188", "--workflow", "api.json", "--lora", "plaza.safetensors", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("no {{lora_name}} placeholder", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "world", "--workflow", "api.json", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("--workflow and --lora apply to --backend comfyui only", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "generate", "p.txt", "--backend", "world", "--variants", "0", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("--variants 0", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "run")));

        (code, _, err) = CliRunner.Run(_dir, "images", "select", "nowhere", "--k", "4");
        Assert.Equal(1, code);
        Assert.Contains("manifest.csv", err, StringComparison.Ordinal);
        Directory.CreateDirectory(Path.Combine(_dir, "run"));
        File.WriteAllText(Path.Combine(_dir, "run", "manifest.csv"), "prompt,variant\n");
        (code, _, err) = CliRunner.Run(_dir, "images", "select", "run", "--method", "best");
        Assert.Equal(1, code);
        Assert.Contains("--method 'best'", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "select", "run", "--embedder", "world-clip", "--clip-dir", "no-model");
        Assert.Equal(1, code);
        Assert.Contains("model.safetensors", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "images", "select", "run");
        Assert.Equal(1, code);
        Assert.Contains("manifest.csv", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Augment_with_a_language_model_needs_an_endpoint_and_a_set_key_variable()
    {
        Write("p.txt", "A park\n");
        Assert.Equal(0, CliRunner.Run(_dir, "prompts", "import", "p.txt", "--out", "prompts").Code);
        var (code, _, err) = CliRunner.Run(_dir, "prompts", "augment", "prompts", "--strategy", "few-shot");
        Assert.Equal(1, code);
        Assert.Contains("--endpoint", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "prompts", "augment", "prompts", "--strategy", "few-shot", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "PLURALIST_TEST_UNSET_KEY");
        Assert.Equal(1, code);
        Assert.Contains("PLURALIST_TEST_UNSET_KEY", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "prompts", "augment", "prompts", "--strategy", "rewrite");
        Assert.Equal(1, code);
        Assert.Contains("--strategy 'rewrite'", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "prompts", "augment", "elsewhere", "--strategy", "template");
        Assert.Equal(1, code);
        Assert.Contains("prompts.csv", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_model_server_augment_uses_the_offline_template_and_says_so()
    {
        Write("p.txt", "A park with benches under trees\n");
        Assert.Equal(0, CliRunner.Run(_dir, "prompts", "import", "p.txt", "--out", "prompts").Code);
        var (code, output, err) = CliRunner.Run(_dir, "prompts", "augment", "prompts", "--variants", "1");
        Assert.True(code == 0, err);
        Assert.Contains("template, the offline template (default without a model server): 1 prompts added (1 -> 2)", output, StringComparison.Ordinal);
        var (help, helpOut, _) = CliRunner.Run(_dir, "prompts", "augment", "--help");
        Assert.Equal(0, help);
        Assert.Contains("offline template (default without a model server)", helpOut, StringComparison.Ordinal);

        // An endpoint without a strategy, or the template with an endpoint, is refused rather than silently unused.
        (code, _, err) = CliRunner.Run(_dir, "prompts", "augment", "prompts", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m");
        Assert.Equal(1, code);
        Assert.Contains("--strategy", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(_dir, "prompts", "augment", "prompts", "--strategy", "template", "--endpoint", "http://127.0.0.1:9/v1");
        Assert.Equal(1, code);
        Assert.Contains("--endpoint", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Mask_refill_on_a_model_server_adds_llm_3_prompts_with_their_provenance_and_log()
    {
        Write("p.txt", "A park with benches under trees\nA plaza with a fountain at night\n");
        Assert.Equal(0, CliRunner.Run(_dir, "prompts", "import", "p.txt", "--out", "prompts").Code);
        using var server = new Pluralist.Pipeline.Tests.Support.ScriptedHttpServer();
        // The server fills every mask of the template it is shown with "sunny spot"; the first call first answers without JSON.
        server.Enqueue(new Pluralist.Pipeline.Tests.Support.ScriptedResponse(200, Completion("I would rather describe a beach.")));
        server.Fallback = request =>
        {
            using var body = System.Text.Json.JsonDocument.Parse(request.Body);
            var user = body.RootElement.GetProperty("messages")[1].GetProperty("content");
            var text = user.ValueKind == System.Text.Json.JsonValueKind.String ? user.GetString()! : user[0].GetProperty("text").GetString()!;
            var template = text.Split('\n')[1];
            return new Pluralist.Pipeline.Tests.Support.ScriptedResponse(200, Completion(System.Text.Json.JsonSerializer.Serialize(new { prompt = template.Replace("[MASK]", "sunny spot", StringComparison.Ordinal) })));
        };
        var (code, output, err) = CliRunner.Run(_dir, "prompts", "augment", "prompts", "--strategy", "mask-refill", "--endpoint", new Uri(server.BaseUri, "v1").ToString(),
            "--model", "local-model", "--mask-fraction", "1", "--seed", "2");
        Assert.True(code == 0, err);
        Assert.Contains("mask-refill: 2 prompts added of 2 received (2 -> 4); 2 calls, 0 without a valid answer", output, StringComparison.Ordinal);
        var prompts = File.ReadAllLines(Path.Combine(_dir, "prompts", "prompts.csv"));
        Assert.Contains(prompts, l => l.Contains("A sunny spot with sunny spot under sunny spot", StringComparison.Ordinal) && l.Contains(",llm-3,", StringComparison.Ordinal));
        var provenance = File.ReadAllText(Path.Combine(_dir, "prompts", "provenance.csv"));
        Assert.Contains("mask-refill", provenance, StringComparison.Ordinal);
        Assert.Contains("typologies:park->sunny spot", provenance, StringComparison.Ordinal);
        var log = File.ReadAllLines(Path.Combine(_dir, "prompts", "llm-log.jsonl"));
        Assert.Equal(3, log.Length); // the invalid first answer, its retry, the second call
        Assert.Contains("invalid: the answer is not JSON", log[0], StringComparison.Ordinal);
        Assert.All(server.Requests, r => Assert.Contains("\"model\":\"local-model\"", r.Body, StringComparison.Ordinal));
    }

    private static string Completion(string content) => System.Text.Json.JsonSerializer.Serialize(new
    {
        id = "chatcmpl-cli",
        @object = "chat.completion",
        created = 1_700_000_000,
        model = "local-model",
        choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
        usage = new { prompt_tokens = 50, completion_tokens = 12, total_tokens = 62 },
    });
}
