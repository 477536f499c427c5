using Pluralist.World.Imaging;
using Pluralist.World.Scenes;
using Pluralist.World.Truth;

namespace Pluralist.World.Prompts;

/// <summary>What to generate: the parameters a text-to-image generator takes.</summary>
/// <param name="Prompt">Free text in English or French.</param>
/// <param name="Seed">Seed for both the scene draw and the render.</param>
/// <param name="Guidance">How strictly the prompt is honoured, &gt;= 0 (see <see cref="SceneDistribution.HonourProbability"/>).</param>
/// <param name="Steps">Level of detail, 1..1000 (see <see cref="SceneDistribution.DetailFromSteps"/>).</param>
/// <param name="Width">Image width in pixels, 32..1024.</param>
/// <param name="Height">Image height in pixels, 32..1024.</param>
/// <param name="Language"><c>en</c> or <c>fr</c>; null detects it from the prompt.</param>
public sealed record GenerationRequest(string Prompt, int Seed, double Guidance = 7.5, int Steps = 30, int Width = 256, int Height = 256, string? Language = null);

/// <summary>A generated image with the scene it shows, the prompt as understood, captions and ground-truth utilities.</summary>
public sealed record GeneratedScene(
    GenerationRequest Request,
    ParsedPrompt Prompt,
    SceneSpec Spec,
    IReadOnlyList<SceneConstraint> Honoured,
    RgbaImage Image,
    string CaptionEn,
    string CaptionFr,
    IReadOnlyDictionary<string, double> Utilities);

/// <summary>
/// The procedural world as a text-to-image generator: prompt -&gt; lexicon parse -&gt; scene
/// distribution -&gt; one spec drawn with the seed -&gt; render. Deterministic in all its inputs.
/// </summary>
public static class WorldGenerator
{
    /// <summary>Name recorded as the images' generator.</summary>
    public const string Name = "pluralist-world/1";

    public static GeneratedScene Generate(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw new ArgumentException("The prompt is empty.", nameof(request));
        }

        var parsed = PromptParser.Parse(request.Prompt, request.Language);
        var random = new Random(request.Seed);
        var (spec, honoured) = new SceneDistribution(parsed).Sample(random, request.Guidance, request.Steps);
        return FromSpec(request, parsed, spec, honoured);
    }

    /// <summary>Renders a given spec (no prompt sampling) with the request's seed and size.</summary>
    public static GeneratedScene FromSpec(GenerationRequest request, ParsedPrompt parsed, SceneSpec spec, IReadOnlyList<SceneConstraint> honoured)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(spec);
        var image = SceneRenderer.Render(spec, request.Seed, request.Width, request.Height);
        return new GeneratedScene(request, parsed, spec, honoured, image, SceneCaption.Describe(spec, "en"), SceneCaption.Describe(spec, "fr"), GroundTruth.Utilities(spec));
    }
}
