using System.Globalization;
using Pluralist.Diffusion;
using Pluralist.World.Imaging;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;

namespace Pluralist.Pipeline.Images;

/// <summary>
/// The procedural world (Pluralist.World) as a generator: the prompt is parsed by the EN/FR lexicon into a scene
/// distribution, the seed draws one scene and renders it at the requested size. Guidance and steps keep the world's
/// own meaning (guidance: how strictly the prompt's constraints are honoured; steps: level of detail), so a grid over
/// them varies the images as it varies a diffusion model's. Deterministic in all inputs; the parameters record the
/// English caption, the unknown words (not drawn) and the honoured constraints.
/// </summary>
public sealed class WorldImageGenerator(string? language = null) : IImageGenerator
{
    public string Name => WorldGenerator.Name;

    public Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        if (request.Width is < SceneRenderer.MinSize or > SceneRenderer.MaxSize || request.Height is < SceneRenderer.MinSize or > SceneRenderer.MaxSize)
        {
            throw new GeneratorException($"size {request.Width}x{request.Height} is outside the world renderer's {SceneRenderer.MinSize}..{SceneRenderer.MaxSize}");
        }

        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw new GeneratorException("the prompt is empty");
        }

        // The world takes a 32-bit seed; the job's seeds are 31-bit, larger ones are folded.
        int seed = (int)(request.Seed ^ (request.Seed >> 32));
        var g = WorldGenerator.Generate(new World.Prompts.GenerationRequest(request.Prompt, seed, request.Guidance, Math.Clamp(request.Steps, 1, 1000), request.Width, request.Height, language));
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["guidance"] = request.Guidance.ToString(CultureInfo.InvariantCulture),
            ["guidance_meaning"] = "share of the prompt's constraints honoured",
            ["steps"] = g.Request.Steps.ToString(CultureInfo.InvariantCulture),
            ["steps_meaning"] = "level of detail",
            ["language"] = g.Prompt.Language,
            ["caption"] = g.CaptionEn,
            ["honoured"] = string.Join("; ", g.Honoured.Select(c => c.ToString())),
            ["unknown_words"] = string.Join(" ", g.Prompt.UnknownWords),
        };
        if (request.NegativePrompt is not null)
        {
            parameters["negative_prompt"] = "not applicable (ignored)";
        }

        return Task.FromResult(new RenderedImage(ImageCodec.Encode(g.Image, ImageFormat.Png), parameters));
    }
}

/// <summary>
/// The embedded diffusion model (Pluralist.Diffusion) as a generator: seed, classifier-free guidance and sampler steps
/// go to <see cref="DiffusionModel.Generate"/> (DDIM by default). The model renders at its own size (32 or 64
/// pixels); a request for another size is upscaled or downscaled bilinearly and the parameters record
/// <c>native_size</c>. One image at a time; the model is not thread-safe, so calls are serialised.
/// </summary>
public sealed class DiffusionImageGenerator : IImageGenerator
{
    private readonly DiffusionModel _model;
    private readonly SamplerKind _sampler;
    private readonly Lock _gate = new();

    public DiffusionImageGenerator(DiffusionModel model, string name = "pluralist-diffusion", SamplerKind sampler = SamplerKind.Ddim)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _sampler = sampler;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Loads a model saved by <see cref="DiffusionModel.Save"/>; a missing or wrong file is a <see cref="GeneratorException"/> naming it.</summary>
    public static DiffusionImageGenerator Load(string path, SamplerKind sampler = SamplerKind.Ddim)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"diffusion model '{path}' not found", path);
        }

        try
        {
            return new DiffusionImageGenerator(DiffusionModel.Load(path), "pluralist-diffusion/" + Path.GetFileNameWithoutExtension(path), sampler);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or ArgumentException or KeyNotFoundException or System.Text.Json.JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    public async Task<RenderedImage> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Steps < 1 || request.Steps > _model.Schedule.TrainSteps)
        {
            throw new GeneratorException($"steps {request.Steps} is outside 1..{_model.Schedule.TrainSteps}");
        }

        if (request.Width < 1 || request.Height < 1 || request.Width > 4096 || request.Height > 4096)
        {
            throw new GeneratorException($"size {request.Width}x{request.Height} is outside 1..4096");
        }

        var images = await Task.Run(() =>
        {
            lock (_gate)
            {
                return _model.Generate(new Diffusion.GenerationRequest
                {
                    Prompts = [request.Prompt],
                    Seed = (ulong)request.Seed,
                    GuidanceScale = (float)request.Guidance,
                    Sampler = new SamplerOptions { Kind = _sampler, Steps = request.Steps },
                });
            }
        }, cancellationToken).ConfigureAwait(false);
        {
            int size = _model.Config.UNet.ImageSize;
            var rgb = DiffusionModel.ToRgbBytes(images, 0);
            // The model's native size to the requested one with Mitchell cubic resampling.
            var image = ImageCodec.Resize(RgbaImage.FromRgb(size, size, rgb), request.Width, request.Height);
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["seed"] = request.Seed.ToString(CultureInfo.InvariantCulture),
                ["guidance"] = request.Guidance.ToString(CultureInfo.InvariantCulture),
                ["steps"] = request.Steps.ToString(CultureInfo.InvariantCulture),
                ["sampler"] = _sampler.ToString().ToLowerInvariant(),
                ["native_size"] = $"{size}x{size}",
            };
            if (request.NegativePrompt is not null)
            {
                parameters["negative_prompt"] = "not applicable (ignored)";
            }

            return new RenderedImage(ImageCodec.Encode(image, ImageFormat.Png), parameters);
        }
    }
}
