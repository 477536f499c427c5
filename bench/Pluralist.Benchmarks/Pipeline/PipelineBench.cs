using System.Diagnostics;
using System.Globalization;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Embedders;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Selection;
using Pluralist.World.Prompts;
using PipelineRequest = Pluralist.Pipeline.Images.GenerationRequest;

namespace Pluralist.Benchmarks.Pipeline;

/// <summary>
/// Generation per image with the world and diffusion backends against the bare generator call in the same run (the
/// backend's own cost: PNG encoding, resizing, parameters); a generation job plus greedy selection over a folder; one
/// world-clip training step and world-clip image embedding.
/// </summary>
public sealed class PipelineBench : IBenchSuite
{
    private const string Prompt = "a park with benches under tall trees and a fountain, summer evening";

    public string Name => "pipeline";

    public string Description => "World and diffusion backends per image vs the bare generator; generate + select a folder; world-clip training step and embedding";

    public async Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("| measurement | reference (same run) | time per unit | reference per unit |");
        output.WriteLine("|---|---|---:|---:|");

        // World backend vs WorldGenerator.Generate (no PNG) at 64 and 256 px.
        var world = new WorldImageGenerator();
        foreach (int size in new[] { 64, 256 })
        {
            int n = size == 64 ? 40 : 10;
            await world.GenerateAsync(new PipelineRequest(Prompt, 0, 7.5, 30, size, size), cancellationToken);
            var backend = await TimeAsync(n, i => world.GenerateAsync(new PipelineRequest(Prompt, i, 7.5, 30, size, size), cancellationToken));
            var bare = await TimeAsync(n, i => Task.FromResult(WorldGenerator.Generate(new Pluralist.World.Prompts.GenerationRequest(Prompt, i, 7.5, 30, size, size))));
            Row(output, $"world backend, {size} px (render + PNG)", "WorldGenerator.Generate (render only)", backend, bare, "image");
        }

        // Diffusion backend (the untrained Default32 model; speed does not depend on the weights) vs DiffusionModel.Generate.
        var model = new DiffusionModel(DiffusionModelConfig.Default32);
        var diffusion = new DiffusionImageGenerator(model);
        await diffusion.GenerateAsync(new PipelineRequest(Prompt, 0, 7.5, 5, 32, 32), cancellationToken);
        var d = await TimeAsync(3, i => diffusion.GenerateAsync(new PipelineRequest(Prompt, i, 7.5, 20, 32, 32), cancellationToken));
        var dBare = await TimeAsync(3, i => Task.FromResult(model.Generate(new Pluralist.Diffusion.GenerationRequest { Prompts = [Prompt], Seed = (ulong)i, GuidanceScale = 7.5f, Sampler = new SamplerOptions { Steps = 20 } })));
        Row(output, $"diffusion backend, Default32 ({model.ParameterCount() / 1e6:0.0} M parameters), 20 DDIM steps, guidance 7.5, 32 px", "DiffusionModel.Generate", d, dBare, "image");
        var dBig = await TimeAsync(3, i => diffusion.GenerateAsync(new PipelineRequest(Prompt, i, 7.5, 20, 256, 256), cancellationToken));
        Row(output, "the same, upscaled to 256 px", "32 px", dBig, d, "image");

        // A generation job (4 prompts x 20 variants, 64 px) and greedy selection over its folder.
        var folder = Directory.CreateTempSubdirectory("pl-bench-pipeline-").FullName;
        try
        {
            var prompts = Enumerable.Range(1, 4).Select(i => new GenerationPrompt(i.ToString(CultureInfo.InvariantCulture), Prompt + " " + i)).ToList();
            var job = Stopwatch.StartNew();
            await new GenerationJob(world, new GenerationJobOptions { OutputFolder = folder, Variants = 20, Width = 64, Height = 64 }).RunAsync(prompts, null, cancellationToken);
            job.Stop();
            var sel = Stopwatch.StartNew();
            var report = FolderSelection.Run(folder, new ColorLayoutEmbedder(), new SelectionOptions { K = 4, RandomDraws = 100 });
            sel.Stop();
            Row(output, "generation job, world, 4 prompts × 20 variants, 64 px (manifest, files, hashes)", "world backend alone (above, 64 px)", job.Elapsed.TotalMilliseconds / 80, double.NaN, "image");
            Row(output, "select k = 4 of 20, color-layout, 100 random draws, over the folder", "-", sel.Elapsed.TotalMilliseconds / 4, double.NaN, "prompt");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nVendi on this folder: selected {report.MeanVendiSelected:0.000}, random {report.MeanVendiRandom:0.000}\n"));

            var shipped = Path.Combine(AppContext.BaseDirectory, "models", "world-clip");
            if (File.Exists(Path.Combine(shipped, "model.safetensors")))
            {
                var clip = WorldClip.Load(shipped);
                var sel2 = Stopwatch.StartNew();
                FolderSelection.Run(folder, clip.ImageEmbedder(), new SelectionOptions { K = 4, RandomDraws = 100 });
                sel2.Stop();
                Row(output, "select k = 4 of 20, world-clip, over the folder", "color-layout (above)", sel2.Elapsed.TotalMilliseconds / 4, sel.Elapsed.TotalMilliseconds / 4, "prompt");
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }

        // One world-clip training step (default sizes, batch 64), and world-clip embedding against color-layout.
        var train = Path.Combine(Path.GetTempPath(), "pl-bench-clip-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = ClipTrainer.Train(train, new ClipTrainOptions { Steps = 6, Examples = 128, WarmupSteps = 1, CheckpointEvery = 100 }, null, cancellationToken);
            Row(output, "world-clip training step (batch 64, 32 px, mean of 6 incl. the first)", "-", r.MeanStepSeconds * 1000, double.NaN, "step");
            var clip = WorldClip.Load(train);
            var images = WorldCaptions.Render(64, WorldCaptions.HeldOutSeed, 32).Select(x => x.Image).ToList();
            clip.ImageEmbedder().Embed(images);
            var emb = Stopwatch.StartNew();
            clip.ImageEmbedder().Embed(images);
            emb.Stop();
            var cl = Stopwatch.StartNew();
            new ColorLayoutEmbedder().Embed(images);
            cl.Stop();
            Row(output, "world-clip image embedding, batch 32", "color-layout", emb.Elapsed.TotalMilliseconds / 64, cl.Elapsed.TotalMilliseconds / 64, "image");
        }
        finally
        {
            if (Directory.Exists(train))
            {
                Directory.Delete(train, true);
            }
        }
    }

    private static async Task<double> TimeAsync<T>(int n, Func<int, Task<T>> f)
    {
        var w = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            await f(i + 1);
        }

        return w.Elapsed.TotalMilliseconds / n;
    }

    private static void Row(TextWriter output, string what, string reference, double ms, double refMs, string unit) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {reference} | {ms:0.00} ms per {unit} | {(double.IsNaN(refMs) ? "-" : $"{refMs:0.00} ms")} |"));
}
