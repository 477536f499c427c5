using System.Text;
using System.Text.Json;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Bundles;

namespace Pluralist.Data;

/// <summary>
/// The JSON of a study's questions, one shape wherever it appears: <c>studies.identity_questions</c>, the
/// <c>identityQuestions</c>, <c>likertQuestions</c>, <c>likertCategories</c> and <c>identityCodings</c> of
/// <c>study.json</c>, and a questions file given to <c>pluralist study questions --file</c> (docs/formats.md).
/// </summary>
public static class QuestionsJson
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The stored form of <c>studies.identity_questions</c>: a compact JSON array.</summary>
    public static string SerializeIdentityQuestions(IReadOnlyList<IdentityQuestion> questions)
    {
        ArgumentNullException.ThrowIfNull(questions);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Compact))
        {
            WriteIdentityQuestions(w, questions);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads <c>studies.identity_questions</c>; a stored value this code cannot read is an error, never an empty list.</summary>
    public static List<IdentityQuestion> DeserializeIdentityQuestions(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json ?? "[]");
        var errors = new List<CsvError>();
        using var doc = JsonDocument.Parse(utf8);
        var r = new JsonFields(JsonLocations.Index(utf8), errors, "studies.identity_questions");
        var list = ReadIdentityQuestionList(r, doc.RootElement, "$");
        if (errors.Count > 0)
        {
            throw new InvalidDataException($"studies.identity_questions cannot be read: {errors[0]}");
        }

        return list;
    }

    /// <summary>Writes the questions as a JSON array (the value of a property the caller named, or a whole document).</summary>
    public static void WriteIdentityQuestions(Utf8JsonWriter w, IReadOnlyList<IdentityQuestion> questions)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(questions);
        w.WriteStartArray();
        foreach (var q in questions)
        {
            w.WriteStartObject();
            w.WriteString("key", q.Key);
            WriteText(w, "text", q.Text);
            w.WriteString("kind", q.Kind.ToToken());
            w.WriteBoolean("preferNotToSay", q.PreferNotToSay);
            WriteText(w, "consent", q.Consent);
            if (q.Options.Count > 0)
            {
                w.WriteStartArray("options");
                foreach (var o in q.Options)
                {
                    w.WriteStartObject();
                    w.WriteString("code", o.Code);
                    WriteText(w, "label", o.Label);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            WriteNumber(w, "min", q.Min);
            WriteNumber(w, "max", q.Max);
            if (q.Bands.Count > 0)
            {
                w.WriteStartArray("bands");
                foreach (var b in q.Bands)
                {
                    w.WriteStartObject();
                    w.WriteString("code", b.Code);
                    WriteNumber(w, "min", b.Min);
                    WriteNumber(w, "max", b.Max);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Writes Likert questions or categories as <c>[{"key": …, "text": {…}}]</c>.</summary>
    public static void WriteLikertItems(Utf8JsonWriter w, IReadOnlyList<LikertItem> items)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(items);
        w.WriteStartArray();
        foreach (var i in items)
        {
            w.WriteStartObject();
            w.WriteString("key", i.Key);
            WriteText(w, "text", i.Text);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Writes coding-table rows as <c>[{"question", "answer", "code", "codedBy" (when known), "codedAt"}]</c>.</summary>
    public static void WriteCodings(Utf8JsonWriter w, IReadOnlyList<IdentityCoding> codings)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(codings);
        w.WriteStartArray();
        foreach (var c in codings)
        {
            w.WriteStartObject();
            w.WriteString("question", c.QuestionKey);
            w.WriteString("answer", c.Answer);
            w.WriteString("code", c.Code);
            if (c.CodedBy.Length > 0)
            {
                w.WriteString("codedBy", c.CodedBy);
            }

            w.WriteString("codedAt", CsvWriter.Format(c.CodedAt));
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// Reads a questions file: a JSON object with any of <c>identityQuestions</c>, <c>likertQuestions</c> and
    /// <c>likertCategories</c> (the shapes of <c>study.json</c>). Problems are added to <paramref name="errors"/> as
    /// <c>FILE:line ($.path): message</c>; a property that is absent is null in the result.
    /// </summary>
    public static QuestionsFile? ReadFile(byte[] utf8, string fileName, List<CsvError> errors)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        ArgumentNullException.ThrowIfNull(errors);
        if (StrictUtf8.TryDecode(utf8, fileName, out var encodingError) is null)
        {
            errors.Add(encodingError!);
            return null;
        }

        JsonLocations where;
        JsonDocument doc;
        try
        {
            where = JsonLocations.Index(utf8);
            doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            errors.Add(new CsvError(fileName, (int)(ex.LineNumber ?? 0) + 1, 0, string.Empty, "not valid JSON: " + ex.Message.Split(" Path:")[0]));
            return null;
        }

        using (doc)
        {
            var r = new JsonFields(where, errors, fileName);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                r.Error("$", "the document must be a JSON object with identityQuestions, likertQuestions or likertCategories");
                return null;
            }

            var known = new HashSet<string>(StringComparer.Ordinal) { "identityQuestions", "likertQuestions", "likertCategories" };
            foreach (var p in root.EnumerateObject().Where(p => !known.Contains(p.Name)))
            {
                r.Error($"$.{p.Name}", "unknown property; expected identityQuestions, likertQuestions or likertCategories");
            }

            if (!root.EnumerateObject().Any(p => known.Contains(p.Name)))
            {
                r.Error("$", "the document names no questions (identityQuestions, likertQuestions or likertCategories)");
            }

            return new QuestionsFile(
                root.TryGetProperty("identityQuestions", out _) ? ReadIdentityQuestions(r, root, "$") : null,
                root.TryGetProperty("likertQuestions", out _) ? ReadLikertItems(r, root, "$", "likertQuestions") : null,
                root.TryGetProperty("likertCategories", out _) ? ReadLikertItems(r, root, "$", "likertCategories") : null);
        }
    }

    /// <summary><c>identityQuestions</c> of <paramref name="parent"/>, each field checked, then the definitions checked together.</summary>
    internal static List<IdentityQuestion> ReadIdentityQuestions(JsonFields r, JsonElement parent, string parentPath)
    {
        if (!parent.TryGetProperty("identityQuestions", out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        return ReadIdentityQuestionList(r, array, $"{parentPath}.identityQuestions");
    }

    /// <summary><c>likertQuestions</c> or <c>likertCategories</c>: keys valid and unique, a text in at least one language.</summary>
    internal static List<LikertItem> ReadLikertItems(JsonFields r, JsonElement parent, string parentPath, string name)
    {
        var items = new List<LikertItem>();
        foreach (var (e, path) in r.Array(parent, parentPath, name, required: false))
        {
            var item = new LikertItem { Key = r.String(e, path, "key"), Text = r.Text(e, path, "text", required: true) };
            if (item.Key.Length > 0 && !IdentityValidation.IsKey(item.Key))
            {
                r.Error(path + ".key", $"'{item.Key}' is not a valid key (lower-case letters, digits and '-')");
            }
            else if (items.Any(x => x.Key == item.Key))
            {
                r.Error(path + ".key", $"'{item.Key}' is listed twice");
            }

            items.Add(item);
        }

        return items;
    }

    /// <summary><c>identityCodings</c>: rows naming one of <paramref name="questionKeys"/>, valid codes, one per question and answer.</summary>
    internal static List<IdentityCoding> ReadCodings(JsonFields r, JsonElement parent, string parentPath, IReadOnlyCollection<string> questionKeys)
    {
        var rows = new List<IdentityCoding>();
        foreach (var (e, path) in r.Array(parent, parentPath, "identityCodings", required: false))
        {
            var row = new IdentityCoding
            {
                QuestionKey = r.String(e, path, "question"),
                Answer = IdentityCodingTable.Normalize(r.String(e, path, "answer")),
                Code = r.String(e, path, "code"),
                CodedBy = r.OptionalString(e, path, "codedBy") ?? "",
                CodedAt = r.OptionalDate(e, path, "codedAt") ?? DateTimeOffset.UnixEpoch,
            };
            if (row.QuestionKey.Length > 0 && !questionKeys.Contains(row.QuestionKey))
            {
                r.Error(path + ".question", $"'{row.QuestionKey}' is not an identity marker of the study ({string.Join(", ", questionKeys)})");
            }

            if (row.Code.Length > 0 && !IdentityValidation.IsCode(row.Code))
            {
                r.Error(path + ".code", $"'{row.Code}' is not a valid code (1 to 64 letters, digits, '-', '_', '+' or '.')");
            }

            if (rows.Any(x => x.QuestionKey == row.QuestionKey && x.Answer == row.Answer))
            {
                r.Error(path + ".answer", $"'{row.Answer}' of '{row.QuestionKey}' is coded twice");
            }

            rows.Add(row);
        }

        return rows;
    }

    private static List<IdentityQuestion> ReadIdentityQuestionList(JsonFields r, JsonElement array, string path)
    {
        var questions = new List<IdentityQuestion>();
        if (array.ValueKind != JsonValueKind.Array)
        {
            r.Error(path, "must be an array of questions");
            return questions;
        }

        var i = 0;
        var paths = new List<string>();
        foreach (var e in array.EnumerateArray())
        {
            var at = $"{path}[{i++}]";
            paths.Add(at);
            if (e.ValueKind != JsonValueKind.Object)
            {
                r.Error(at, "must be an object");
                questions.Add(new IdentityQuestion { Key = "" });
                continue;
            }

            var q = new IdentityQuestion
            {
                Key = r.String(e, at, "key"),
                Text = r.Text(e, at, "text", required: true),
                Kind = r.Token(e, at, "kind", IdentityQuestionKind.FreeText, Tokens.TryParse),
                PreferNotToSay = r.OptionalBool(e, at, "preferNotToSay") ?? true,
                Consent = r.Text(e, at, "consent", required: true),
                Min = r.OptionalDouble(e, at, "min"),
                Max = r.OptionalDouble(e, at, "max"),
            };
            foreach (var (o, opath) in r.Array(e, at, "options", required: false))
            {
                q.Options.Add(new IdentityOption { Code = r.String(o, opath, "code"), Label = r.Text(o, opath, "label", required: true) });
            }

            foreach (var (b, bpath) in r.Array(e, at, "bands", required: false))
            {
                q.Bands.Add(new NumberBand { Code = r.String(b, bpath, "code"), Min = r.OptionalDouble(b, bpath, "min"), Max = r.OptionalDouble(b, bpath, "max") });
            }

            questions.Add(q);
        }

        // Definitions checked together (keys unique, codes valid, bands apart); the empty fields already reported stay quiet.
        foreach (var (p, message) in IdentityValidation.CheckQuestions(questions))
        {
            var close = p.IndexOf(']', StringComparison.Ordinal);
            var index = int.Parse(p.AsSpan(1, close - 1), System.Globalization.CultureInfo.InvariantCulture);
            var located = paths[index] + p[(close + 1)..];
            if (!r.HasError(located))
            {
                r.Error(located, message);
            }
        }

        return questions;
    }

    /// <summary>A localised text as one object of language to text; also how <c>study.json</c> writes its texts.</summary>
    internal static void WriteText(Utf8JsonWriter w, string name, LocalizedText text)
    {
        w.WriteStartObject(name);
        foreach (var (lang, value) in text)
        {
            w.WriteString(lang, value);
        }

        w.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }
}

/// <summary>What a questions file holds; null where it does not name that list.</summary>
public sealed record QuestionsFile(List<IdentityQuestion>? IdentityQuestions, List<LikertItem>? LikertQuestions, List<LikertItem>? LikertCategories);
