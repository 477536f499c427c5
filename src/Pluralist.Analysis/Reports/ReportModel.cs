using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pluralist.Analysis.Reports;

/// <summary>A table of a report: a stable file name, a caption, columns and rows (numbers, strings or null).</summary>
public sealed record ReportTable(string Name, string Caption, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<object?>> Rows)
{
    /// <summary>The table as RFC 4180 CSV (invariant culture; undefined numbers as empty cells).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(",", Columns.Select(Csv))).Append("\r\n");
        foreach (var row in Rows)
        {
            sb.Append(string.Join(",", row.Select(c => Csv(Format(c))))).Append("\r\n");
        }

        return sb.ToString();
    }

    /// <summary>The table as a JSON array of objects keyed by column (undefined numbers as null).</summary>
    public JsonArray ToJson()
    {
        var array = new JsonArray();
        foreach (var row in Rows)
        {
            var o = new JsonObject();
            for (var i = 0; i < Columns.Count; i++)
            {
                o[Columns[i]] = Node(row[i]);
            }

            array.Add(o);
        }

        return array;
    }

    /// <summary>A cell as text: numbers with the invariant culture, NaN and null as empty.</summary>
    public static string Format(object? cell) => cell switch
    {
        null => "",
        bool b => b ? "true" : "false",
        double d when !double.IsFinite(d) => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? "",
    };

    /// <summary>A cell as a JSON node (NaN as null: JSON has no NaN).</summary>
    public static JsonNode? Node(object? cell) => cell switch
    {
        null => null,
        double d when !double.IsFinite(d) => null,
        double d => JsonValue.Create(d),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        bool b => JsonValue.Create(b),
        _ => JsonValue.Create(cell.ToString()),
    };

    // Quoted, and neutralised against formula injection, by the one CSV writer.
    private static string Csv(string s) => Pluralist.Core.Text.CsvWriter.Escape(s);
}

/// <summary>A Vega-Lite chart with its data inline and a text summary (the chart's text alternative).</summary>
public sealed record ReportChart(string Id, string Title, string Summary, JsonObject Spec);

/// <summary>A section of a report: a heading, paragraphs, charts and tables.</summary>
public sealed record ReportSection(string Id, string Heading, IReadOnlyList<string> Paragraphs, IReadOnlyList<ReportChart> Charts, IReadOnlyList<ReportTable> Tables);

/// <summary>A study report, ready to render as HTML or write as CSV and JSON tables.</summary>
public sealed record StudyReport(string Title, string StudyKey, DateTimeOffset GeneratedAt, IReadOnlyList<string> Notes, IReadOnlyList<ReportSection> Sections)
{
    public IEnumerable<ReportTable> Tables => Sections.SelectMany(s => s.Tables);

    /// <summary>Time spent building each section (by section id), for progress output and benchmarks.</summary>
    public IReadOnlyDictionary<string, double> SectionSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>Writes each table as <c>name.csv</c> and <c>name.json</c>, and <c>report.json</c> with every table and the notes.</summary>
    public void WriteTables(string directory)
    {
        Directory.CreateDirectory(directory);
        var all = new JsonObject
        {
            ["study"] = StudyKey,
            ["title"] = Title,
            ["generated_at"] = GeneratedAt.ToString("O", CultureInfo.InvariantCulture),
            ["notes"] = new JsonArray(Notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
        };
        var tables = new JsonObject();
        var options = new JsonSerializerOptions { WriteIndented = true };
        foreach (var t in Tables)
        {
            var utf8 = new UTF8Encoding(false);
            File.WriteAllText(Path.Combine(directory, t.Name + ".csv"), t.ToCsv(), utf8);
            var json = t.ToJson();
            File.WriteAllText(Path.Combine(directory, t.Name + ".json"), json.ToJsonString(options), utf8);
            tables[t.Name] = new JsonObject { ["caption"] = t.Caption, ["rows"] = json.DeepClone() };
        }

        all["tables"] = tables;
        File.WriteAllText(Path.Combine(directory, "report.json"), all.ToJsonString(options), new UTF8Encoding(false));
    }
}
