using System.Globalization;
using System.Text.Json;

namespace Pluralist.Data.Bundles;

/// <summary>
/// The line of every value in a JSON document, by JSON path (<c>$.criteria[2].key</c>), so that
/// semantic errors found after parsing can still name the line they come from.
/// </summary>
public sealed class JsonLocations
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    private JsonLocations()
    {
    }

    /// <summary>Indexes <paramref name="utf8"/>; throws <see cref="JsonException"/> (with its line) when the text is not JSON.</summary>
    public static JsonLocations Index(ReadOnlySpan<byte> utf8)
    {
        var result = new JsonLocations();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var containers = new Stack<(string Path, bool IsArray, int Count)>();
        string? property = null;
        var newlines = NewlineOffsets(utf8);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                property = reader.GetString();
                continue;
            }

            if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                containers.Pop();
                continue;
            }

            string path;
            if (containers.Count == 0)
            {
                path = "$";
            }
            else
            {
                var (parent, isArray, count) = containers.Pop();
                path = isArray ? $"{parent}[{count.ToString(CultureInfo.InvariantCulture)}]" : $"{parent}.{property}";
                containers.Push((parent, isArray, count + 1));
            }

            result._lines[path] = LineOf(newlines, reader.TokenStartIndex);
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                containers.Push((path, reader.TokenType == JsonTokenType.StartArray, 0));
            }
        }

        return result;
    }

    /// <summary>The 1-based line of the value at <paramref name="path"/>, else of its nearest indexed parent, else 1.</summary>
    public int LineOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        while (true)
        {
            if (_lines.TryGetValue(path, out var line))
            {
                return line;
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
            {
                return 1;
            }

            path = path[..cut];
        }
    }

    private static List<long> NewlineOffsets(ReadOnlySpan<byte> utf8)
    {
        var list = new List<long>();
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                list.Add(i);
            }
        }

        return list;
    }

    private static int LineOf(List<long> newlines, long offset)
    {
        var i = newlines.BinarySearch(offset);
        return (i >= 0 ? i : ~i) + 1;
    }
}
