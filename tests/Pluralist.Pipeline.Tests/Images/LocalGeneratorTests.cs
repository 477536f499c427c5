using System.Text.Json;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Images;
using Pluralist.World.Imaging;
using GenerationRequest = Pluralist.Pipeline.Images.GenerationRequest;

namespace Pluralist.Pipeline.Tests.Images;

public sealed class LocalGeneratorTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pl-local-gen-");

    public void Dispose() => _dir.Delete(true);

    /// <summary>A tiny untrained diffusion model (8x8 images), saved and loaded as a file would be.</summary>
    internal static string TinyDiffusionFile(string folder)
    {
        var model = new DiffusionModel(new DiffusionModelConfig
        {
            UNet = new UNetConfig { ImageSize = 8, BaseChannels = 8, ChannelMultipliers = [1, 2], AttentionResolutions = [4], Heads = 2, GroupNormGroups = 4, ContextDim = 16 },
            TextEncoder = new TextEncoderConfig { Width = 16, Layers = 1, Heads = 2, MaxLength = 8, MlpRatio = 2 },
            InitSeed = 3,
        }, new WordTokenizer(["park", "plaza", "night", "trees"]));
        var path = Path.Combine(folder, "tiny-diffusion.safetensors");
        model.Save(path);
        return path;
    }

    [Fact]
    public async Task World_backend_is_deterministic_in_the_seed_renders_the_requested_size_and_records_its_parameters()
    {
        var gen = new WorldImageGenerator();
        var a = await gen.GenerateAsync(new GenerationRequest("a park with benches under trees", 11, 7.5, 30, 48, 40));
        var again = await gen.GenerateAsync(new GenerationRequest("a park with benches under trees", 11, 7.5, 30, 48, 40));
        var other = await gen.GenerateAsync(new GenerationRequest("a park with benches under trees", 12, 7.5, 30, 48, 40));
        Assert.Equal(a.Png, again.Png);
        Assert.NotEqual(a.Png, other.Png);
        Assert.True(Png.TryReadSize(a.Png, out var w, out var h));
        Assert.Equal((48, 40), (w, h));
        Assert.Equal("11", a.Parameters["seed"]);
        Assert.Equal("7.5", a.Parameters["guidance"]);
        Assert.Equal("30", a.Parameters["steps"]);
        Assert.Equal("en", a.Parameters["language"]);
        Assert.Contains("park", a.Parameters["caption"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(WorldGenerator().Name, gen.Name);

        // Guidance 0 ignores the prompt: some seed then draws a scene that is not a park at all.
        var loose = await gen.GenerateAsync(new GenerationRequest("a park with benches under trees", 11, 0, 30, 48, 40));
        Assert.NotEqual(a.Png, loose.Png);
    }

    private static WorldImageGenerator WorldGenerator() => new();

    [Fact]
    public async Task World_backend_rejects_sizes_outside_the_renderer_and_empty_prompts_as_failed_images()
    {
        var gen = new WorldImageGenerator();
        var ex = await Assert.ThrowsAsync<GeneratorException>(() => gen.GenerateAsync(new GenerationRequest("a park", 1, 7.5, 30, 16, 64)));
        Assert.Contains("16x64", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<GeneratorException>(() => gen.GenerateAsync(new GenerationRequest("  ", 1, 7.5, 30, 64, 64)));
    }

    [Fact]
    public async Task Diffusion_backend_is_deterministic_in_the_seed_and_records_guidance_steps_and_native_size()
    {
        var gen = DiffusionImageGenerator.Load(TinyDiffusionFile(_dir.FullName));
        Assert.Equal("pluralist-diffusion/tiny-diffusion", gen.Name);
        var a = await gen.GenerateAsync(new GenerationRequest("a park at night", 5, 3, 4, 8, 8));
        var again = await gen.GenerateAsync(new GenerationRequest("a park at night", 5, 3, 4, 8, 8));
        var otherSeed = await gen.GenerateAsync(new GenerationRequest("a park at night", 6, 3, 4, 8, 8));
        var otherGuidance = await gen.GenerateAsync(new GenerationRequest("a park at night", 5, 7, 4, 8, 8));
        Assert.Equal(a.Png, again.Png);
        Assert.NotEqual(a.Png, otherSeed.Png);
        Assert.NotEqual(a.Png, otherGuidance.Png);
        Assert.Equal("5", a.Parameters["seed"]);
        Assert.Equal("3", a.Parameters["guidance"]);
        Assert.Equal("4", a.Parameters["steps"]);
        Assert.Equal("ddim", a.Parameters["sampler"]);
        Assert.Equal("8x8", a.Parameters["native_size"]);

        // The pixels are the model's own output: decoded, they equal ToRgbBytes of a direct Generate call.
        var model = DiffusionModel.Load(Path.Combine(_dir.FullName, "tiny-diffusion.safetensors"));
        var direct = DiffusionModel.ToRgbBytes(model.Generate(new Pluralist.Diffusion.GenerationRequest { Prompts = ["a park at night"], Seed = 5, GuidanceScale = 3, Sampler = new SamplerOptions { Steps = 4 } }), 0);
        var decoded = Png.Decode(a.Png);
        for (int p = 0; p < 64; p++)
        {
            Assert.Equal(direct[(p * 3)..((p * 3) + 3)], decoded.Pixels[(p * 4)..((p * 4) + 3)]);
        }

        var big = await gen.GenerateAsync(new GenerationRequest("a park at night", 5, 3, 4, 32, 24));
        Assert.True(Png.TryReadSize(big.Png, out var w, out var h));
        Assert.Equal((32, 24), (w, h));
        // A requested size other than the native one is the model's output resized with Mitchell cubic resampling.
        Assert.Equal(ImageCodec.Resize(RgbaImage.FromRgb(8, 8, direct), 32, 24).Pixels, Png.Decode(big.Png).Pixels);
    }

    [Fact]
    public async Task Diffusion_backend_names_a_missing_or_foreign_file_and_fails_an_image_with_impossible_steps()
    {
        var missing = Path.Combine(_dir.FullName, "nope.safetensors");
        Assert.Contains("nope.safetensors", Assert.Throws<FileNotFoundException>(() => DiffusionImageGenerator.Load(missing)).Message, StringComparison.Ordinal);
        var foreign = Path.Combine(_dir.FullName, "foreign.safetensors");
        Pluralist.Tensors.Safetensors.Save(foreign, new Dictionary<string, Pluralist.Tensors.Tensor> { ["x"] = new([1f], 1) });
        Assert.Contains("foreign.safetensors", Assert.Throws<InvalidDataException>(() => DiffusionImageGenerator.Load(foreign)).Message, StringComparison.Ordinal);

        var gen = DiffusionImageGenerator.Load(TinyDiffusionFile(_dir.FullName));
        var ex = await Assert.ThrowsAsync<GeneratorException>(() => gen.GenerateAsync(new GenerationRequest("a park", 1, 3, 5000, 8, 8)));
        Assert.Contains("steps 5000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_world_generation_job_records_prompt_texts_and_resumes_without_rendering_again()
    {
        var options = new GenerationJobOptions { OutputFolder = _dir.FullName, Variants = 3, Width = 40, Height = 40, Seed = 9 };
        var prompts = new[] { new GenerationPrompt("p1", "a plaza with a fountain"), new GenerationPrompt("p2", "une rue sombre la nuit") };
        var first = await new GenerationJob(new WorldImageGenerator(), options).RunAsync(prompts);
        Assert.Equal((6, 0, 0), (first.Generated, first.Skipped, first.Failed));
        var rows = GenerationJob.ReadManifest(Path.Combine(_dir.FullName, "manifest.csv"));
        Assert.Equal("une rue sombre la nuit", rows[("p2", 1)].Text);
        Assert.Equal("pluralist-world/1", rows[("p1", 0)].Generator);
        using (var doc = JsonDocument.Parse(rows[("p2", 0)].Parameters!))
        {
            Assert.Equal("fr", doc.RootElement.GetProperty("language").GetString());
        }

        var second = await new GenerationJob(new WorldImageGenerator(), options).RunAsync(prompts);
        Assert.Equal((0, 6), (second.Generated, second.Skipped));
    }

    [Fact]
    public async Task A_manifest_without_the_text_column_is_read_and_upgraded_on_resume()
    {
        var options = new GenerationJobOptions { OutputFolder = _dir.FullName, Variants = 2, Width = 32, Height = 32, Seed = 9 };
        var prompts = new[] { new GenerationPrompt("p1", "a plaza with a fountain") };
        await new GenerationJob(new WorldImageGenerator(), options with { Variants = 1 }).RunAsync(prompts);
        var path = Path.Combine(_dir.FullName, "manifest.csv");
        // Drop the text, language and source columns, as an older manifest had it (the prompt text has no comma).
        var old = File.ReadAllLines(path).Select(l => string.Join(',', l.Split(',')[..^3])).ToArray();
        File.WriteAllLines(path, old);
        Assert.Null(GenerationJob.ReadManifest(path)[("p1", 0)].Text);

        var run = await new GenerationJob(new WorldImageGenerator(), options).RunAsync(prompts);
        Assert.Equal((1, 1), (run.Generated, run.Skipped));
        Assert.EndsWith(",text,language,source", File.ReadLines(path).First(), StringComparison.Ordinal);
        Assert.Equal(("en", "human"), (GenerationJob.ReadManifest(path)[("p1", 1)].Language, GenerationJob.ReadManifest(path)[("p1", 1)].Source));
        Assert.Equal("a plaza with a fountain", GenerationJob.ReadManifest(path)[("p1", 1)].Text);
    }
}
