using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Pluralist.World.Scenes;

/// <summary>
/// Scene specs as JSON: camelCase attribute names, enum values in kebab-case
/// (<c>"typology": "pedestrian-promenade"</c>). Missing attributes take their defaults; unknown
/// attributes, wrong types and values out of range are errors naming the attribute.
/// </summary>
public static class SceneJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        IgnoreReadOnlyProperties = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public static string Write(SceneSpec spec) => JsonSerializer.Serialize(spec, Options);

    /// <summary>Parses and validates a spec; <paramref name="source"/> (a file name) prefixes error messages.</summary>
    public static SceneSpec Parse(string json, string source = "spec")
    {
        SceneSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<SceneSpec>(json, Options);
        }
        catch (JsonException e)
        {
            string field = FieldOf(e);
            string what = field.Length == 0
                ? "is not a valid scene spec JSON object"
                : e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                    ? $"has an unknown attribute '{field}'; known: {string.Join(", ", SceneAttributes.All.Select(a => a.Name))}"
                    : $"field '{field}' has a value of the wrong type or an unknown name; expected {ExpectedFor(field)}";
            throw new SceneSpecException(field, $"{source}{Line(e)}: {what}.", e);
        }

        if (spec is null)
        {
            throw new SceneSpecException($"{source}: expected a JSON object, got null.");
        }

        try
        {
            spec.Validate();
        }
        catch (SceneSpecException e)
        {
            throw new SceneSpecException(e.Field ?? "", $"{source}: field '{e.Field}': {e.Message}", e);
        }

        return spec;
    }

    internal static string Kebab(string pascal)
    {
        var sb = new StringBuilder();
        foreach (char c in pascal)
        {
            if (char.IsUpper(c) && sb.Length > 0)
            {
                sb.Append('-');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }

    private static string Line(JsonException e) => e.LineNumber is { } l ? $" line {l + 1}" : "";

    private static string ExpectedFor(string field)
    {
        var a = SceneAttributes.All.FirstOrDefault(x => string.Equals(x.Name, field, StringComparison.OrdinalIgnoreCase));
        return a?.RangeText ?? "a value of the attribute's type";
    }

    // System.Text.Json reports "$.benches" or "$['benches']" as the path, or names the member in the message.
    private static string FieldOf(JsonException e)
    {
        string? path = e.Path;
        if (!string.IsNullOrEmpty(path) && path != "$")
        {
            return path.TrimStart('$', '.').Trim('[', ']', '\'');
        }

        const string marker = "'";
        int i = e.Message.IndexOf("member '", StringComparison.Ordinal);
        if (i >= 0)
        {
            int start = i + "member '".Length;
            int end = e.Message.IndexOf(marker, start, StringComparison.Ordinal);
            if (end > start)
            {
                return e.Message[start..end];
            }
        }

        return "";
    }
}
