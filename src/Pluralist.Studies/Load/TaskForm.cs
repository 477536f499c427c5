using System.Net;

namespace Pluralist.Studies.Load;

/// <summary>
/// The answer form of a task page as the load tool needs it: the form <c>id="answer"</c>'s <c>data-assignment</c> and
/// <c>data-token</c>, and the <c>data-key</c> of each <c>input type="range"</c> inside it, in order. A scan of start tags
/// and their attributes (values HTML-decoded), not an HTML parser: enough for the page the app renders.
/// </summary>
public sealed record TaskForm(string? Assignment, string? Token, IReadOnlyList<string> Criteria)
{
    /// <summary>The answer form of <paramref name="html"/>, or null when the page has none.</summary>
    public static TaskForm? Read(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var at = 0;
        Dictionary<string, string>? form = null;
        while (NextTag(html, ref at, "form", out var attributes))
        {
            if (attributes.TryGetValue("id", out var formId) && formId == "answer")
            {
                form = attributes;
                break;
            }
        }

        if (form is null)
        {
            return null;
        }

        var end = html.IndexOf("</form", at, StringComparison.OrdinalIgnoreCase);
        var body = end < 0 ? html[at..] : html[at..end];
        var criteria = new List<string>();
        var inner = 0;
        while (NextTag(body, ref inner, "input", out var input))
        {
            if (input.TryGetValue("type", out var type) && type.Equals("range", StringComparison.OrdinalIgnoreCase))
            {
                criteria.Add(input.GetValueOrDefault("data-key") ?? "");
            }
        }

        return new TaskForm(form.GetValueOrDefault("data-assignment"), form.GetValueOrDefault("data-token"), criteria);
    }

    // The next start tag named `name` at or after `at`, with its attributes; `at` moves past it.
    private static bool NextTag(string html, ref int at, string name, out Dictionary<string, string> attributes)
    {
        attributes = [];
        while (true)
        {
            var open = html.IndexOf('<', at);
            if (open < 0 || open + 1 + name.Length > html.Length)
            {
                at = html.Length;
                return false;
            }

            at = open + 1;
            if (string.CompareOrdinal(html, open, "<!--", 0, 4) == 0)
            {
                // A comment's text is not markup.
                var close = html.IndexOf("-->", open + 4, StringComparison.Ordinal);
                at = close < 0 ? html.Length : close + 3;
                continue;
            }

            if (RawTextTag(html, open) is { } raw)
            {
                // A script's or style's text is not markup either (a script may well hold "<input").
                var close = html.IndexOf("</" + raw, open + 1, StringComparison.OrdinalIgnoreCase);
                at = close < 0 ? html.Length : close;
                continue;
            }

            if (!IsTag(html, open, name))
            {
                continue;
            }

            at = ReadAttributes(html, open + 1 + name.Length, attributes);
            return true;
        }
    }

    private static string? RawTextTag(string html, int open) =>
        IsTag(html, open, "script") ? "script" : IsTag(html, open, "style") ? "style" : null;

    // Whether a start tag named `name` begins at `open` (its '<').
    private static bool IsTag(string html, int open, string name)
    {
        var after = open + 1 + name.Length;
        return after <= html.Length
            && string.Compare(html, open + 1, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0
            && (after == html.Length || char.IsWhiteSpace(html[after]) || html[after] is '>' or '/');
    }

    // Attributes from `i` to the tag's closing '>' (quoted values may hold '>'); returns the index after it.
    private static int ReadAttributes(string html, int i, Dictionary<string, string> attributes)
    {
        while (i < html.Length)
        {
            while (i < html.Length && (char.IsWhiteSpace(html[i]) || html[i] == '/'))
            {
                i++;
            }

            if (i >= html.Length || html[i] == '>')
            {
                return Math.Min(i + 1, html.Length);
            }

            var start = i;
            while (i < html.Length && !char.IsWhiteSpace(html[i]) && html[i] is not ('=' or '>' or '/'))
            {
                i++;
            }

            var key = html[start..i].ToLowerInvariant();
            while (i < html.Length && char.IsWhiteSpace(html[i]))
            {
                i++;
            }

            var value = "";
            if (i < html.Length && html[i] == '=')
            {
                i++;
                while (i < html.Length && char.IsWhiteSpace(html[i]))
                {
                    i++;
                }

                if (i < html.Length && html[i] is '"' or '\'')
                {
                    var quote = html[i];
                    var close = html.IndexOf(quote, i + 1);
                    close = close < 0 ? html.Length : close;
                    value = html[(i + 1)..close];
                    i = Math.Min(close + 1, html.Length);
                }
                else
                {
                    start = i;
                    while (i < html.Length && !char.IsWhiteSpace(html[i]) && html[i] != '>')
                    {
                        i++;
                    }

                    value = html[start..i];
                }
            }

            attributes.TryAdd(key, WebUtility.HtmlDecode(value));
        }

        return i;
    }
}
