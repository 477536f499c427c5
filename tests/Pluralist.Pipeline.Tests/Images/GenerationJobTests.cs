using System.Text.Json;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Tests.Support;

namespace Pluralist.Pipeline.Tests.Images;

public sealed class GenerationJobTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pl-gen-");

    public void Dispose() => _dir.Delete(true);

    private static readonly GenerationPrompt[] Prompts = [new("p1", "a park with benches"), new("p2", "a plaza at night")];

    private GenerationJobOptions Options(int variants = 4) => new()
    {
        OutputFolder = _dir.FullName,
        Variants = variants,
        GuidanceValues = [5, 9],
        StepValues = [20, 30],
        Width = 64,
        Height = 64,
        Seed = 42,
    };

    private static string PromptOf(RecordedRequest r)
    {
        using var doc = JsonDocument.Parse(r.Body);
        return doc.RootElement.GetProperty("prompt").GetString()!;
    }

    [Fact]
    public void Grid_plan_cycles_guidance_outer_steps_inner_with_distinct_seeds_and_random_plan_is_seeded()
    {
        var job = new GenerationJob(new NeverCalled(), Options());
        Assert.Equal([(5.0, 20), (5.0, 30), (9.0, 20), (9.0, 30), (5.0, 20)], Enumerable.Range(0, 5).Select(v => { var p = job.Plan("p1", v); return (p.Guidance, p.Steps); }));
        var seeds = Enumerable.Range(0, 20).Select(v => job.Plan("p1", v).Seed).Concat(Enumerable.Range(0, 20).Select(v => job.Plan("p2", v).Seed)).ToArray();
        Assert.Equal(40, seeds.Distinct().Count());
        Assert.All(seeds, s => Assert.InRange(s, 0, int.MaxValue));

        var random = new GenerationJob(new NeverCalled(), Options() with { Mode = VariationMode.Random, MinGuidance = 4, MaxGuidance = 8, MinSteps = 10, MaxSteps = 12 });
        var plans = Enumerable.Range(0, 50).Select(v => random.Plan("p1", v)).ToArray();
        Assert.All(plans, p => Assert.InRange(p.Guidance, 4, 8));
        Assert.All(plans, p => Assert.Equal(0, p.Guidance * 2 % 1));
        Assert.Equal([10, 11, 12], plans.Select(p => p.Steps).Distinct().Order());
        Assert.Equal(plans, Enumerable.Range(0, 50).Select(v => random.Plan("p1", v)));
    }

    [Fact]
    public async Task Failures_are_recorded_per_image_and_the_job_goes_on_then_a_rerun_retries_only_them()
    {
        using var server = new ScriptedHttpServer();
        int calls = 0;
        server.Fallback = r => Interlocked.Increment(ref calls) switch
        {
            2 => new ScriptedResponse(500, "{\"error\":\"boom\"}"),
            5 => new ScriptedResponse(200, "{}", TimeSpan.FromSeconds(10)), // answered after the client's timeout
            _ => GeneratorTests.A1111Ok(r),
        };
        using var http = new HttpClient();
        var gen = new A1111Generator(http, new A1111Options { BaseUri = server.BaseUri, Timeout = TimeSpan.FromSeconds(2) }); // generous: the test machine is shared
        var progress = new List<GenerationProgress>();
        var summary = await new GenerationJob(gen, Options()).RunAsync(Prompts, new SyncProgress(progress));

        Assert.Equal((8, 6, 0, 2), (summary.Total, summary.Generated, summary.Skipped, summary.Failed));
        Assert.Equal(8, progress.Count);
        Assert.Equal((6, 2), (progress[^1].Generated, progress[^1].Failed));
        Assert.Equal(["HTTP 500: {\"error\":\"boom\"}", "timed out after 2 s"], summary.Failures.Select(f => f.Error));
        Assert.Equal([("p1", 1), ("p2", 0)], summary.Failures.Select(f => (f.Prompt, f.Variant)));

        var manifest = GenerationJob.ReadManifest(Path.Combine(_dir.FullName, "manifest.csv"));
        Assert.Equal(8, manifest.Count);
        foreach (var row in manifest.Values.Where(r => r.Status == "ok"))
        {
            var bytes = File.ReadAllBytes(Path.Combine(_dir.FullName, row.File));
            Assert.Equal(GenerationJob.Sha256(bytes), row.Sha256);
            Assert.Equal(GeneratorTests.TinyPng(row.Seed), bytes);
            Assert.Equal((2, 2, "a1111"), (row.Width, row.Height, row.Generator));
            Assert.Contains("\"sd_model_name\":\"tiny-test\"", row.Parameters, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(_dir.FullName, "images", "p1", "001.png")));

        // Rerun with a healthy server: only the two failed variants are requested.
        server.Fallback = GeneratorTests.A1111Ok;
        int before = server.Requests.Count;
        var rerun = await new GenerationJob(gen, Options()).RunAsync(Prompts);
        Assert.Equal((2, 6, 0), (rerun.Generated, rerun.Skipped, rerun.Failed));
        Assert.Equal(["a park with benches", "a plaza at night"], server.Requests.Skip(before).Select(PromptOf));
        var lines = File.ReadAllLines(Path.Combine(_dir.FullName, "manifest.csv"));
        Assert.Equal(9, lines.Length); // compacted: header + one row per variant
        Assert.All(lines.Skip(1), l => Assert.Contains(",ok,", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_interrupted_job_resumes_where_it_stopped()
    {
        using var cts = new CancellationTokenSource();
        var first = new CountingGenerator(cancelAfter: 3, cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new GenerationJob(first, Options()).RunAsync(Prompts, null, cts.Token));
        Assert.Equal(3, first.Completed);
        var partial = GenerationJob.ReadManifest(Path.Combine(_dir.FullName, "manifest.csv"));
        Assert.Equal(3, partial.Count);

        // Simulate a crash in the middle of writing a row: a last line without its line end is ignored.
        File.AppendAllText(Path.Combine(_dir.FullName, "manifest.csv"), "p1,3,images/p1/003.png,cou");

        var second = new CountingGenerator(cancelAfter: int.MaxValue, null);
        var summary = await new GenerationJob(second, Options()).RunAsync(Prompts);
        Assert.Equal((5, 3, 0), (summary.Generated, summary.Skipped, summary.Failed));
        Assert.Equal([("p1", 3), ("p2", 0), ("p2", 1), ("p2", 2), ("p2", 3)], second.Requests.Select(r => (r.Prompt == "a park with benches" ? "p1" : "p2", Variant(r))));
        var manifest = GenerationJob.ReadManifest(Path.Combine(_dir.FullName, "manifest.csv"));
        Assert.Equal(8, manifest.Count);
        Assert.All(manifest.Values, r => Assert.Equal("ok", r.Status));

        int Variant(GenerationRequest r) => Enumerable.Range(0, 4).Single(v => new GenerationJob(second, Options()).Plan(r.Prompt == "a park with benches" ? "p1" : "p2", v).Seed == r.Seed);
    }

    [Fact]
    public async Task A_tampered_image_is_rendered_again()
    {
        var gen = new CountingGenerator(int.MaxValue, null);
        await new GenerationJob(gen, Options(2)).RunAsync(Prompts);
        File.WriteAllBytes(Path.Combine(_dir.FullName, "images", "p2", "001.png"), [1, 2, 3]);
        var again = new CountingGenerator(int.MaxValue, null);
        var s = await new GenerationJob(again, Options(2)).RunAsync(Prompts);
        Assert.Equal((1, 3), (s.Generated, s.Skipped));
    }

    [Fact]
    public async Task Bytes_that_are_not_a_png_are_a_failed_variant()
    {
        var s = await new GenerationJob(new NotPng(), Options(1)).RunAsync(Prompts);
        Assert.Equal(2, s.Failed);
        Assert.Equal("not-png returned 4 bytes that are not a PNG", s.Failures[0].Error);
        Assert.Empty(Directory.GetFiles(_dir.FullName, "*.png", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Bad_prompt_ids_are_rejected()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => new GenerationJob(new NeverCalled(), Options()).RunAsync([new("../x", "p")]));
        Assert.Contains("prompt id '../x'", ex.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(List<GenerationProgress> items) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value) => items.Add(value);
    }

    private sealed class NotPng : IImageGenerator
    {
        public string Name => "not-png";

        public Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(new RenderedImage([0xFF, 0xD8, 0xFF, 0xE0], new Dictionary<string, string>()));
    }

    private sealed class NeverCalled : IImageGenerator
    {
        public string Name => "never";

        public Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) => throw new InvalidOperationException();
    }

    private sealed class CountingGenerator(int cancelAfter, CancellationTokenSource? cts) : IImageGenerator
    {
        public List<GenerationRequest> Requests { get; } = [];

        public int Completed { get; private set; }

        public string Name => "counting";

        public Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Requests.Add(request);
            Completed++;
            if (Completed == cancelAfter)
            {
                cts!.Cancel();
            }

            return Task.FromResult(new RenderedImage(GeneratorTests.TinyPng(request.Seed), new Dictionary<string, string>()));
        }
    }
}
