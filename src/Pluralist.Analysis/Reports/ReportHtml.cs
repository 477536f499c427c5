using System.Globalization;
using System.Net;
using System.Text;

namespace Pluralist.Analysis.Reports;

/// <summary>
/// Renders a <see cref="StudyReport"/> as one self-contained HTML page: the data of every chart
/// and the Vega, Vega-Lite and vega-embed builds are inline (embedded in this assembly at build
/// time from src/Pluralist.Web/node_modules), so the page works offline. Each chart is a figure
/// with a text summary as its caption and accessible name; every table has a caption and header scopes.
/// </summary>
public static class ReportHtml
{
    /// <summary>The script builds embedded in this assembly, in load order.</summary>
    public static readonly IReadOnlyList<string> Scripts = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"];

    /// <summary>Rows of a table rendered in the page; longer tables are cut (the CSV and JSON tables hold every row).</summary>
    public const int MaxHtmlRows = 500;

    /// <summary>The text of an embedded script build.</summary>
    public static string Script(string name)
    {
        var assembly = typeof(ReportHtml).Assembly;
        using var stream = assembly.GetManifestResourceStream("Pluralist.Analysis.Reports." + name)
            ?? throw new InvalidOperationException($"the report script {name} is not embedded in {assembly.GetName().Name}; build after `npm ci` in src/Pluralist.Web");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static string Render(StudyReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder(1 << 20);
        var title = Enc(report.Title);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
          .Append(title).Append("</title>\n<style>\n")
          .Append("body{font-family:system-ui,sans-serif;max-width:72em;margin:1em auto;padding:0 1em;color:#111;line-height:1.45}")
          .Append("table{border-collapse:collapse;margin:1em 0;font-size:.9em}caption{text-align:left;font-weight:600;padding:.3em 0}")
          .Append("td,th{border:1px solid #666;padding:.2em .5em}td.n{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#eee}")
          .Append("figure{margin:1.5em 0}figcaption{font-size:.95em;max-width:60em}.chart{min-height:2em}.note{background:#fff6d5;border-left:4px solid #c90;padding:.4em .8em}")
          .Append("nav ul{columns:2}details{margin:.5em 0}\n</style>\n</head>\n<body>\n<header>\n<h1>").Append(title).Append("</h1>\n")
          .Append("<p>Study <code>").Append(Enc(report.StudyKey)).Append("</code>, generated ")
          .Append(Enc(report.GeneratedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))).Append(".</p>\n");
        foreach (var n in report.Notes)
        {
            sb.Append("<p class=\"note\">").Append(Enc(n)).Append("</p>\n");
        }

        sb.Append("<nav aria-label=\"Sections\"><h2>Contents</h2><ul>\n");
        foreach (var s in report.Sections)
        {
            sb.Append("<li><a href=\"#").Append(Enc(s.Id)).Append("\">").Append(Enc(s.Heading)).Append("</a></li>\n");
        }

        sb.Append("</ul></nav>\n</header>\n<main>\n");
        var charts = new List<ReportChart>();
        foreach (var s in report.Sections)
        {
            sb.Append("<section aria-labelledby=\"h-").Append(Enc(s.Id)).Append("\">\n<h2 id=\"h-").Append(Enc(s.Id)).Append("\">").Append(Enc(s.Heading)).Append("</h2>\n");
            foreach (var p in s.Paragraphs)
            {
                sb.Append("<p>").Append(Enc(p)).Append("</p>\n");
            }

            foreach (var c in s.Charts)
            {
                charts.Add(c);
                sb.Append("<figure aria-labelledby=\"t-").Append(c.Id).Append("\">\n<h3 id=\"t-").Append(c.Id).Append("\">").Append(Enc(c.Title)).Append("</h3>\n")
                  .Append("<div class=\"chart\" id=\"c-").Append(c.Id).Append("\" role=\"img\" aria-label=\"").Append(Enc(c.Summary)).Append("\"></div>\n")
                  .Append("<figcaption>").Append(Enc(c.Summary)).Append("</figcaption>\n</figure>\n");
            }

            foreach (var t in s.Tables)
            {
                Table(sb, t);
            }

            sb.Append("</section>\n");
        }

        sb.Append("</main>\n");
        foreach (var c in charts)
        {
            sb.Append("<script type=\"application/json\" id=\"spec-").Append(c.Id).Append("\">").Append(c.Spec.ToJsonString().Replace("<", "\\u003c", StringComparison.Ordinal)).Append("</script>\n");
        }

        foreach (var name in Scripts)
        {
            sb.Append("<script>/* ").Append(name).Append(" */\n").Append(ScriptSafe(Script(name), name)).Append("\n</script>\n");
        }

        sb.Append("<script>\n(function(){\n")
          .Append("document.querySelectorAll('script[id^=\"spec-\"]').forEach(function(el){\n")
          .Append("  var id = el.id.substring(5);\n")
          .Append("  vegaEmbed('#c-' + id, JSON.parse(el.textContent), {actions: false, renderer: 'svg'}).catch(function(e){\n")
          .Append("    document.getElementById('c-' + id).textContent = 'The chart could not be drawn: ' + e.message;\n  });\n});\n})();\n</script>\n");
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, ReportTable t)
    {
        sb.Append("<table id=\"table-").Append(Enc(t.Name)).Append("\">\n<caption>").Append(Enc(t.Caption));
        if (t.Rows.Count > MaxHtmlRows)
        {
            sb.Append(CultureInfo.InvariantCulture, $" (first {MaxHtmlRows} of {t.Rows.Count} rows; the CSV and JSON tables hold all)");
        }

        sb.Append(" <small>[").Append(Enc(t.Name)).Append("]</small></caption>\n<thead><tr>");
        foreach (var c in t.Columns)
        {
            sb.Append("<th scope=\"col\">").Append(Enc(c)).Append("</th>");
        }

        sb.Append("</tr></thead>\n<tbody>\n");
        if (t.Rows.Count == 0)
        {
            sb.Append("<tr><td colspan=\"").Append(t.Columns.Count.ToString(CultureInfo.InvariantCulture)).Append("\">No rows.</td></tr>\n");
        }

        foreach (var row in t.Rows.Take(MaxHtmlRows))
        {
            sb.Append("<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                var cell = row[i];
                var text = cell is double d ? (double.IsFinite(d) ? d.ToString("0.####", CultureInfo.InvariantCulture) : "–") : ReportTable.Format(cell);
                if (i == 0)
                {
                    sb.Append("<th scope=\"row\">").Append(Enc(text)).Append("</th>");
                }
                else
                {
                    sb.Append(cell is double or int or long ? "<td class=\"n\">" : "<td>").Append(Enc(text)).Append("</td>");
                }
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody>\n</table>\n");
    }

    private static string Enc(string s) => WebUtility.HtmlEncode(s);

    // Inside <script>, "</script" (any case) or "<!--" would end or confuse the element. The
    // builds contain neither (checked here rather than rewritten: rewriting "</" breaks regex literals).
    private static string ScriptSafe(string script, string name) =>
        script.Contains("</script", StringComparison.OrdinalIgnoreCase) || script.Contains("<!--", StringComparison.Ordinal)
            ? throw new InvalidOperationException($"{name} contains </script or <!-- and cannot be inlined")
            : script;
}
