using System.Text.RegularExpressions;
using Pluralist.Core.Model;
using Pluralist.Core.Text;

namespace Pluralist.Pipeline.Prompts;

/// <summary>Thrown when an import finds problems; nothing was added. <see cref="Errors"/> lists every one, located.</summary>
public sealed class PromptImportException(IReadOnlyList<CsvError> errors)
    : Exception(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
{
    public IReadOnlyList<CsvError> Errors { get; } = errors;
}

/// <summary>Defaults for rows or lines that do not say their language or source.</summary>
public sealed record PromptImportOptions
{
    public string Language { get; init; } = "en";

    public PromptSource Source { get; init; } = PromptSource.Human;
}

/// <summary>What an import added and dropped.</summary>
public sealed record PromptImportResult(IReadOnlyList<Prompt> Added, IReadOnlyList<DuplicatePrompt> Duplicates);

/// <summary>
/// Reads prompts and scenarios into a <see cref="PromptSet"/>. Every file is validated completely first; on any error a
/// <see cref="PromptImportException"/> lists all of them (file:line:col (field): message) and the set is unchanged.
/// </summary>
public static partial class PromptImporter
{
    /// <summary>
    /// CSV with a header: <c>text</c> (required), <c>language</c>, <c>source</c> (human, scenario, llm-1, llm-2, llm-3,
    /// template), <c>scenario</c> (a scenario id already in the set), <c>external_id</c>. The study-bundle
    /// <c>prompts.csv</c> is accepted too (its <c>prompt</c> id column becomes the external id when none is given).
    /// </summary>
    public static PromptImportResult ImportCsv(PromptSet set, byte[] bytes, string file, PromptImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(bytes);
        options ??= new PromptImportOptions();
        var errors = new List<CsvError>();
        var text = StrictUtf8.TryDecode(bytes, file, out var encodingError);
        if (text is null)
        {
            throw new PromptImportException([encodingError!]);
        }

        var table = CsvTable.Parse(new StringReader(text), file, errors);
        var rows = new List<(string Text, string Language, PromptSource Source, long? Scenario, string? External, int Line)>();
        if (table.RequireColumns("text"))
        {
            foreach (var row in table.Rows)
            {
                var t = table.String(row, "text");
                if (t.Length > 0 && PromptText.Clean(t).Length == 0)
                {
                    table.AddError(row, "text", "the prompt is blank");
                }

                var language = table.OptionalString(row, "language") ?? options.Language;
                if (!LanguagePattern().IsMatch(language))
                {
                    table.AddError(row, "language", $"'{language}' is not a language tag (e.g. en, fr, fr-CA)");
                }

                var source = options.Source;
                if (table.OptionalString(row, "source") is { } s && !Tokens.TryParse(s, out source))
                {
                    table.AddError(row, "source", $"'{s}' is not a prompt source; expected one of {string.Join(", ", Tokens.All<PromptSource>())}");
                }

                var scenario = table.OptionalLong(row, "scenario");
                if (scenario is { } sc && set.Scenarios.All(x => x.Id != sc))
                {
                    table.AddError(row, "scenario", $"scenario {sc} is not defined (import the scenarios first)");
                }

                rows.Add((t, language, source, scenario, table.OptionalString(row, "external_id") ?? table.OptionalString(row, "prompt"), row.Line));
            }
        }

        if (errors.Count > 0)
        {
            throw new PromptImportException(errors);
        }

        return AddAll(set, rows.Select(r => (r.Text, r.Language, r.Source, r.Scenario, r.External, $"{file}:{r.Line}")));
    }

    /// <summary>
    /// Plain text: one prompt per line, in the language and source of <paramref name="options"/>; blank lines and lines
    /// starting with '#' are skipped.
    /// </summary>
    public static PromptImportResult ImportText(PromptSet set, byte[] bytes, string file, PromptImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(bytes);
        options ??= new PromptImportOptions();
        var text = StrictUtf8.TryDecode(bytes, file, out var encodingError) ?? throw new PromptImportException([encodingError!]);
        if (!LanguagePattern().IsMatch(options.Language))
        {
            throw new PromptImportException([new CsvError(file, 0, 0, "language", $"'{options.Language}' is not a language tag")]);
        }

        var lines = text.Split('\n');
        var items = new List<(string, string, PromptSource, long?, string?, string)>();
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            items.Add((line, options.Language, options.Source, null, null, $"{file}:{i + 1}"));
        }

        return AddAll(set, items);
    }

    /// <summary>Imports a file by extension: <c>.csv</c> as CSV, anything else as text.</summary>
    public static PromptImportResult ImportFile(PromptSet set, string path, PromptImportOptions? options = null)
    {
        var bytes = File.ReadAllBytes(path);
        var name = Path.GetFileName(path);
        return path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ImportCsv(set, bytes, name, options) : ImportText(set, bytes, name, options);
    }

    /// <summary>
    /// Scenarios CSV: <c>scenario</c> (id, required, unique), <c>name</c>, <c>typology</c> and <c>location</c>
    /// (required), <c>amenities</c> (';'-separated).
    /// </summary>
    public static IReadOnlyList<WorkshopScenario> ImportScenariosCsv(PromptSet set, byte[] bytes, string file)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(bytes);
        var errors = new List<CsvError>();
        var text = StrictUtf8.TryDecode(bytes, file, out var encodingError) ?? throw new PromptImportException([encodingError!]);
        var table = CsvTable.Parse(new StringReader(text), file, errors);
        var result = new List<WorkshopScenario>();
        if (table.RequireColumns("scenario", "typology", "location"))
        {
            var seen = new HashSet<long>(set.Scenarios.Select(s => s.Id));
            foreach (var row in table.Rows)
            {
                var id = table.Long(row, "scenario");
                if (table.Raw(row, "scenario") is { Length: > 0 } && !seen.Add(id))
                {
                    table.AddError(row, "scenario", $"scenario {id} is defined twice");
                }

                var typology = table.String(row, "typology");
                var location = table.String(row, "location");
                var amenities = (table.OptionalString(row, "amenities") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                result.Add(new WorkshopScenario(id, table.OptionalString(row, "name") ?? $"{typology}, {location}", typology, amenities, location));
            }
        }

        if (errors.Count > 0)
        {
            throw new PromptImportException(errors);
        }

        foreach (var s in result)
        {
            set.AddScenario(s);
        }

        return result;
    }

    private static PromptImportResult AddAll(PromptSet set, IEnumerable<(string Text, string Language, PromptSource Source, long? Scenario, string? External, string Origin)> items)
    {
        int before = set.Duplicates.Count;
        var added = new List<Prompt>();
        foreach (var (t, language, source, scenario, external, origin) in items)
        {
            if (set.Add(t, language, source, scenario, external, origin: origin) is { } p)
            {
                added.Add(p);
            }
        }

        return new PromptImportResult(added, set.Duplicates.Skip(before).ToArray());
    }

    [GeneratedRegex("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex LanguagePattern();
}
