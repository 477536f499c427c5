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

        return Task.FromResult(new RenderedImage(Png.Encode(g.Image), parameters));
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
            var image = Resize(rgb, size, size, request.Width, request.Height);
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

            return new RenderedImage(Png.Encode(image), parameters);
        }
    }

    /// <summary>Interleaved RGB (h, w, 3) to an RGBA image of the target size, bilinear with edge clamping (a copy when the sizes agree).</summary>
    internal static RgbaImage Resize(byte[] rgb, int width, int height, int targetWidth, int targetHeight)
    {
        var output = new RgbaImage(targetWidth, targetHeight);
        double sx = (double)width / targetWidth, sy = (double)height / targetHeight;
        for (int y = 0; y < targetHeight; y++)
        {
            double fy = Math.Clamp((y + 0.5) * sy - 0.5, 0, height - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, height - 1);
            double wy = fy - y0;
            for (int x = 0; x < targetWidth; x++)
            {
                double fx = Math.Clamp((x + 0.5) * sx - 0.5, 0, width - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, width - 1);
                double wx = fx - x0;
                int o = (y * targetWidth + x) * 4;
                for (int c = 0; c < 3; c++)
                {
                    double top = rgb[(y0 * width + x0) * 3 + c] * (1 - wx) + rgb[(y0 * width + x1) * 3 + c] * wx;
                    double bottom = rgb[(y1 * width + x0) * 3 + c] * (1 - wx) + rgb[(y1 * width + x1) * 3 + c] * wx;
                    output.Pixels[o + c] = (byte)Math.Clamp(Math.Round(top * (1 - wy) + bottom * wy), 0, 255);
                }

                output.Pixels[o + 3] = 255;
            }
        }

        return output;
    }
}
