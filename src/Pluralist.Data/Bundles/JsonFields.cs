using System.Globalization;
using System.Text.Json;
using Pluralist.Core.Model;
using Pluralist.Core.Text;

namespace Pluralist.Data.Bundles;

/// <summary>Typed access to the properties of <c>study.json</c> that records located errors (line and JSON path) instead of throwing.</summary>
internal sealed class JsonFields(JsonLocations where, List<CsvError> errors, string file = BundleFormat.StudyJson)
{
    public delegate bool TryToken<T>(string? token, out T value);

    private readonly HashSet<string> reported = new(StringComparer.Ordinal);

    public void Error(string path, string message)
    {
        reported.Add(path);
        errors.Add(new CsvError(file, where.LineOf(path), 0, path, message));
    }

    /// <summary>Whether a problem was already reported at this path (so a later, broader check can stay quiet).</summary>
    public bool HasError(string path) => reported.Contains(path);

    public void Check(bool ok, string path, string message)
    {
        if (!ok)
        {
            Error(path, message);
        }
    }

    public string String(JsonElement e, string parent, string name)
    {
        var v = OptionalString(e, parent, name);
        if (string.IsNullOrWhiteSpace(v))
        {
            Error($"{parent}.{name}", "a non-empty string is required");
            return string.Empty;
        }

        return v;
    }

    public string? OptionalString(JsonElement e, string parent, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            Error($"{parent}.{name}", $"must be a string, found {Describe(v)}");
            return null;
        }

        return v.GetString();
    }

    public long Long(JsonElement e, string parent, string name)
    {
        if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n))
        {
            return n;
        }

        Error($"{parent}.{name}", e.TryGetProperty(name, out v) ? $"must be an integer, found {Describe(v)}" : "a value is required");
        return 0;
    }

    public int? OptionalInt(JsonElement e, string parent, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n))
        {
            return n;
        }

        Error($"{parent}.{name}", $"must be an integer, found {Describe(v)}");
        return null;
    }

    public double? OptionalDouble(JsonElement e, string parent, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d))
        {
            return d;
        }

        Error($"{parent}.{name}", $"must be a number, found {Describe(v)}");
        return null;
    }

    public bool? OptionalBool(JsonElement e, string parent, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetBoolean();
        }

        Error($"{parent}.{name}", $"must be true or false, found {Describe(v)}");
        return null;
    }

    public DateTimeOffset? OptionalDate(JsonElement e, string parent, string name)
    {
        var s = OptionalString(e, parent, name);
        if (s is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d))
        {
            return d;
        }

        Error($"{parent}.{name}", $"'{s}' is not a date and time (ISO 8601)");
        return null;
    }

    public T Token<T>(JsonElement e, string parent, string name, T fallback, TryToken<T> parse)
        where T : struct, Enum
    {
        var s = OptionalString(e, parent, name);
        if (s is null)
        {
            return fallback;
        }

        if (parse(s, out var value))
        {
            return value;
        }

        Error($"{parent}.{name}", $"'{s}' is not one of {string.Join(", ", Tokens.All<T>())}");
        return fallback;
    }

    public LocalizedText Text(JsonElement e, string parent, string name, bool required)
    {
        var path = $"{parent}.{name}";
        var text = new LocalizedText();
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Error(path, "a text is required, as an object of language to text ({\"en\": \"…\", \"fr\": \"…\"})");
            }

            return text;
        }

        if (v.ValueKind != JsonValueKind.Object)
        {
            Error(path, $"must be an object of language to text, found {Describe(v)}");
            return text;
        }

        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
            {
                Error($"{path}.{p.Name}", $"must be a string, found {Describe(p.Value)}");
            }
            else if (p.Name.Length is < 2 or > 8 || !p.Name.All(char.IsAsciiLetter))
            {
                Error($"{path}.{p.Name}", $"'{p.Name}' is not a language tag (en, fr, …)");
            }
            else
            {
                text[p.Name] = p.Value.GetString()!;
            }
        }

        if (required && text.Languages.Count == 0)
        {
            Error(path, "at least one language is required");
        }

        return text;
    }

    public IEnumerable<(JsonElement Element, string Path)> Array(JsonElement e, string parent, string name, bool required)
    {
        var path = $"{parent}.{name}";
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Error(path, "an array is required");
            }

            yield break;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            Error(path, $"must be an array, found {Describe(v)}");
            yield break;
        }

        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            var itemPath = $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (item.ValueKind != JsonValueKind.Object && name is not ("identityMarkers" or "values"))
            {
                Error(itemPath, $"must be an object, found {Describe(item)}");
            }
            else
            {
                yield return (item, itemPath);
            }

            i++;
        }
    }

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"\"{v.GetString()}\"",
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };
}
