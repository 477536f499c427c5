using System.Text.Json;
using System.Text.Json.Serialization;
using Pluralist.Analysis.Reports;

namespace Pluralist.Studies.Reports;

/// <summary>
/// The whole <see cref="StudyReport"/> (sections, paragraphs, charts, tables) as JSON, so that any app instance can show
/// a report that another one built. Cells come back as long, double, bool, string or null.
/// </summary>
public static class ReportModelJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    public static void Write(StudyReport report, string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(report, Options), new System.Text.UTF8Encoding(false));

    /// <summary>The report written by <see cref="Write"/>; null when the file is missing.</summary>
    public static StudyReport? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var raw = JsonSerializer.Deserialize<StudyReport>(File.ReadAllText(path), Options);
        return raw is null ? null : raw with
        {
            Sections = raw.Sections.Select(s => s with
            {
                Tables = s.Tables.Select(t => t with { Rows = t.Rows.Select(r => (IReadOnlyList<object?>)r.Select(Cell).ToList()).ToList() }).ToList(),
            }).ToList(),
        };
    }

    private static object? Cell(object? cell) => cell is not JsonElement e ? cell : e.ValueKind switch
    {
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.String => e.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => s,
        },
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => e.GetRawText(),
    };
}
