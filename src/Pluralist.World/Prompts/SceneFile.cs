using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pluralist.World.Scenes;

namespace Pluralist.World.Prompts;

/// <summary>
/// The JSON file written beside a generated image (<c>x.json</c> for <c>x.png</c>): the request, the
/// prompt as understood (unknown words, honoured constraints), EN and FR captions, ground-truth
/// utilities per criterion and the scene spec itself.
/// </summary>
public static class SceneFile
{
    /// <summary>Indented, with accents and comparison signs written as they are.</summary>
    public static JsonSerializerOptions Options { get; } = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Where the spec file of an image lives: beside it, <c>.json</c> for <c>.png</c>.</summary>
    public static string SpecPath(string imagePath) => Path.ChangeExtension(imagePath, ".json");

    public static string Write(GeneratedScene g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var doc = new JsonObject
        {
            ["generator"] = WorldGenerator.Name,
            ["prompt"] = g.Request.Prompt,
            ["language"] = g.Prompt.Language,
            ["seed"] = g.Request.Seed,
            ["guidance"] = g.Request.Guidance,
            ["steps"] = g.Request.Steps,
            ["width"] = g.Image.Width,
            ["height"] = g.Image.Height,
            ["unknownWords"] = new JsonArray([.. g.Prompt.UnknownWords.Select(w => (JsonNode)w)]),
            ["honoured"] = new JsonArray([.. g.Honoured.Select(c => (JsonNode)c.ToString())]),
            ["captionEn"] = g.CaptionEn,
            ["captionFr"] = g.CaptionFr,
            ["utilities"] = new JsonObject([.. g.Utilities.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
            ["spec"] = JsonNode.Parse(SceneJson.Write(g.Spec)),
        };
        return doc.ToJsonString(Options);
    }

    /// <summary>Reads the scene spec from a spec file, or from a bare spec JSON object; errors name the file and field.</summary>
    public static SceneSpec ReadSpec(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var text = File.ReadAllText(file);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new SceneSpecException($"{file}: not valid JSON ({e.Message}).");
        }

        if (node is JsonObject obj && obj.ContainsKey("generator"))
        {
            var spec = obj["spec"] ?? throw new SceneSpecException("spec", $"{file}: field 'spec' is missing.");
            return SceneJson.Parse(spec.ToJsonString(), file);
        }

        return SceneJson.Parse(text, file);
    }
}
