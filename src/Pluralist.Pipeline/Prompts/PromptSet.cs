using System.Globalization;
using System.Text;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Files;

namespace Pluralist.Pipeline.Prompts;

/// <summary>A workshop scenario: the kind of space (typology), its amenities and where it is.</summary>
public sealed record WorkshopScenario(long Id, string Name, string Typology, IReadOnlyList<string> Amenities, string Location)
{
    /// <summary>The Core entity (amenities joined by "; ").</summary>
    public Scenario ToCore(long studyId = 0) => new()
    {
        Id = Id,
        StudyId = studyId,
        Name = Name,
        Typology = Typology,
        Amenities = string.Join("; ", Amenities),
        Location = Location,
    };
}

/// <summary>
/// Where a derived prompt came from: every parent prompt (the examples shown to the language model, or the human
/// prompt a template was filled from), the strategy, the scenario, and the language-model call that produced it.
/// </summary>
public sealed record PromptProvenance(long PromptId, IReadOnlyList<long> Parents, string Strategy, long? ScenarioId, string? CallId, string? Detail);

/// <summary>A prompt dropped as a duplicate of one already in the set.</summary>
public sealed record DuplicatePrompt(string Text, long KeptPromptId, string Origin);

/// <summary>
/// Prompts with bundle-local ids (1..n in the order added), their scenarios and provenance. Adding a prompt whose
/// normalised text (<see cref="PromptText.Normalize"/>) is already present in the same language is refused and
/// recorded in <see cref="Duplicates"/>.
/// </summary>
public sealed class PromptSet
{
    private readonly List<Prompt> _prompts = [];
    private readonly Dictionary<long, Prompt> _byId = [];
    private readonly Dictionary<(string Language, string Key), long> _byKey = [];
    private readonly Dictionary<long, PromptProvenance> _provenance = [];
    private readonly List<WorkshopScenario> _scenarios = [];
    private readonly List<DuplicatePrompt> _duplicates = [];

    public IReadOnlyList<Prompt> Prompts => _prompts;

    public IReadOnlyList<WorkshopScenario> Scenarios => _scenarios;

    public IReadOnlyDictionary<long, PromptProvenance> Provenance => _provenance;

    public IReadOnlyList<DuplicatePrompt> Duplicates => _duplicates;

    /// <summary>The prompt with <paramref name="id"/>.</summary>
    public Prompt this[long id] => _byId.TryGetValue(id, out var p) ? p : throw new KeyNotFoundException($"no prompt {id}");

    /// <summary>Prompts of one source and language.</summary>
    public IReadOnlyList<Prompt> Where(PromptSource source, string? language = null) =>
        _prompts.Where(p => p.Source == source && (language is null || p.Language == language)).ToArray();

    public void AddScenario(WorkshopScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (_scenarios.Any(s => s.Id == scenario.Id))
        {
            throw new ArgumentException($"scenario {scenario.Id} is already in the set", nameof(scenario));
        }

        _scenarios.Add(scenario);
    }

    /// <summary>
    /// Adds a prompt (its Id is assigned here) and returns it, or returns null when its normalised text is already
    /// present in that language. <paramref name="origin"/> says where a duplicate came from (e.g. <c>prompts.csv:7</c>).
    /// </summary>
    public Prompt? Add(string text, string language, PromptSource source, long? scenarioId = null, string? externalId = null, DateTimeOffset? createdAt = null, string? origin = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ArgumentException.ThrowIfNullOrWhiteSpace(language);
        var key = (language, PromptText.Normalize(text));
        if (_byKey.TryGetValue(key, out var kept))
        {
            _duplicates.Add(new DuplicatePrompt(text, kept, origin ?? source.ToToken()));
            return null;
        }

        var p = new Prompt
        {
            Id = _prompts.Count + 1,
            Text = PromptText.Clean(text),
            Language = language,
            Source = source,
            ScenarioId = scenarioId,
            ExternalId = externalId,
            CreatedAt = createdAt ?? DateTimeOffset.UtcNow,
        };
        _prompts.Add(p);
        _byId[p.Id] = p;
        _byKey[key] = p.Id;
        return p;
    }

    /// <summary>
    /// Adds a derived prompt with its provenance; <see cref="Prompt.ParentPromptId"/> is set to the first parent.
    /// Returns null for a duplicate.
    /// </summary>
    public Prompt? AddDerived(string text, string language, PromptSource source, IReadOnlyList<long> parents, string strategy, long? scenarioId = null, string? callId = null, string? detail = null, DateTimeOffset? createdAt = null)
    {
        ArgumentNullException.ThrowIfNull(parents);
        foreach (var parent in parents)
        {
            if (!_byId.ContainsKey(parent))
            {
                throw new ArgumentException($"parent prompt {parent} is not in the set", nameof(parents));
            }
        }

        var p = Add(text, language, source, scenarioId, null, createdAt, strategy);
        if (p is null)
        {
            return null;
        }

        p.ParentPromptId = parents.Count > 0 ? parents[0] : null;
        _provenance[p.Id] = new PromptProvenance(p.Id, parents.ToArray(), strategy, scenarioId, callId, detail);
        return p;
    }

    /// <summary>Writes prompts in the study-bundle <c>prompts.csv</c> layout (docs/formats.md).</summary>
    public void WriteCsv(TextWriter writer)
    {
        var w = new CsvWriter(writer);
        w.WriteRow("prompt", "text", "language", "source", "parent", "scenario", "external_id", "created_at");
        foreach (var p in _prompts)
        {
            w.WriteRow(Str(p.Id), p.Text, p.Language, p.Source.ToToken(), p.ParentPromptId is { } pp ? Str(pp) : null,
                p.ScenarioId is { } s ? Str(s) : null, p.ExternalId, CsvWriter.Format(p.CreatedAt));
        }
    }

    /// <summary>Writes one row per derived prompt: prompt, parents (';'-separated), strategy, scenario, call, detail.</summary>
    public void WriteProvenanceCsv(TextWriter writer)
    {
        var w = new CsvWriter(writer);
        w.WriteRow("prompt", "parents", "strategy", "scenario", "call", "detail");
        foreach (var p in _prompts)
        {
            if (_provenance.TryGetValue(p.Id, out var v))
            {
                w.WriteRow(Str(v.PromptId), string.Join(';', v.Parents.Select(Str)), v.Strategy, v.ScenarioId is { } s ? Str(s) : null, v.CallId, v.Detail);
            }
        }
    }

    /// <summary>Writes scenarios: scenario, name, typology, amenities (';'-separated), location.</summary>
    public void WriteScenariosCsv(TextWriter writer)
    {
        var w = new CsvWriter(writer);
        w.WriteRow("scenario", "name", "typology", "amenities", "location");
        foreach (var s in _scenarios)
        {
            w.WriteRow(Str(s.Id), s.Name, s.Typology, string.Join(';', s.Amenities), s.Location);
        }
    }

    /// <summary>
    /// Writes <c>prompts.csv</c>, <c>provenance.csv</c> and <c>scenarios.csv</c> into <paramref name="folder"/>: all three
    /// are written to temporary files first and renamed only when every one is complete.
    /// </summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new (string Name, Action<TextWriter> Write)[]
        {
            ("prompts.csv", WriteCsv), ("provenance.csv", WriteProvenanceCsv), ("scenarios.csv", WriteScenariosCsv),
        };
        DurableFile.WriteAll(folder, files.Select(f => (f.Name, (Action<Stream>)(s =>
        {
            using var tw = new StreamWriter(s, StrictUtf8.Encoding, leaveOpen: true);
            f.Write(tw);
        }))).ToArray());
    }

    /// <summary>
    /// Reads a folder written by <see cref="Save"/>: <c>scenarios.csv</c> and <c>provenance.csv</c> are optional,
    /// <c>prompts.csv</c> is required with ids 1..n in file order. Every problem is reported (file:line:col (field)) in
    /// one <see cref="PromptImportException"/>.
    /// </summary>
    public static PromptSet Load(string folder)
    {
        var set = new PromptSet();
        var scenarios = Path.Combine(folder, "scenarios.csv");
        if (File.Exists(scenarios))
        {
            PromptImporter.ImportScenariosCsv(set, File.ReadAllBytes(scenarios), "scenarios.csv");
        }

        var errors = new List<CsvError>();
        var table = ReadTable(Path.Combine(folder, "prompts.csv"), "prompts.csv", errors);
        if (table.RequireColumns("prompt", "text", "language", "source", "created_at"))
        {
            long expected = 1;
            foreach (var row in table.Rows)
            {
                var id = table.Long(row, "prompt");
                if (id != expected)
                {
                    table.AddError(row, "prompt", $"expected prompt id {expected} (ids are 1..n in file order)");
                }

                expected++;
                var sourceText = table.String(row, "source");
                if (!Tokens.TryParse(sourceText, out PromptSource source) && sourceText.Length > 0)
                {
                    table.AddError(row, "source", $"'{sourceText}' is not a prompt source; expected one of {string.Join(", ", Tokens.All<PromptSource>())}");
                }

                var parent = table.OptionalLong(row, "parent");
                if (parent is { } pp && (pp < 1 || pp >= id))
                {
                    table.AddError(row, "parent", $"parent {pp} must be an earlier prompt");
                }

                var scenario = table.OptionalLong(row, "scenario");
                if (scenario is { } sc && set.Scenarios.All(x => x.Id != sc))
                {
                    table.AddError(row, "scenario", $"scenario {sc} is not in scenarios.csv");
                }

                var text = table.String(row, "text");
                var language = table.String(row, "language");
                var createdAt = table.DateTime(row, "created_at");
                if (errors.Count == 0)
                {
                    var p = set.Add(text, language, source, scenario, table.OptionalString(row, "external_id"), createdAt, $"prompts.csv:{row.Line}");
                    if (p is null)
                    {
                        table.AddError(row, "text", $"duplicate of prompt {set.Duplicates[^1].KeptPromptId}");
                    }
                    else
                    {
                        p.ParentPromptId = parent;
                    }
                }
            }
        }

        var provenancePath = Path.Combine(folder, "provenance.csv");
        if (errors.Count == 0 && File.Exists(provenancePath))
        {
            var prov = ReadTable(provenancePath, "provenance.csv", errors);
            if (prov.RequireColumns("prompt", "parents", "strategy"))
            {
                foreach (var row in prov.Rows)
                {
                    var id = prov.Long(row, "prompt");
                    var parents = new List<long>();
                    foreach (var part in (prov.OptionalString(row, "parents") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && set._byId.ContainsKey(v))
                        {
                            parents.Add(v);
                        }
                        else
                        {
                            prov.AddError(row, "parents", $"'{part}' is not a prompt id of prompts.csv");
                        }
                    }

                    if (!set._byId.ContainsKey(id))
                    {
                        prov.AddError(row, "prompt", $"prompt {id} is not in prompts.csv");
                        continue;
                    }

                    set._provenance[id] = new PromptProvenance(id, parents, prov.String(row, "strategy"), prov.OptionalLong(row, "scenario"),
                        prov.OptionalString(row, "call"), prov.OptionalString(row, "detail"));
                }
            }
        }

        return errors.Count > 0 ? throw new PromptImportException(errors) : set;
    }

    private static CsvTable ReadTable(string path, string name, List<CsvError> errors)
    {
        var text = StrictUtf8.TryDecode(File.ReadAllBytes(path), name, out var error) ?? throw new PromptImportException([error!]);
        return CsvTable.Parse(new StringReader(text), name, errors);
    }

    private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Prompt text helpers.</summary>
public static class PromptText
{
    /// <summary>
    /// The deduplication key: Unicode NFKC, lower case (invariant), every run of characters that are not letters or
    /// digits replaced by one space, trimmed. "A park, with trees!" and "a park with  trees" have the same key;
    /// accents are kept ("café" differs from "cafe").
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var sb = new StringBuilder(s.Length);
        bool space = false;
        foreach (var ch in s)
        {
            if (char.IsLetterOrDigit(ch))
            {
                if (space && sb.Length > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(ch);
                space = false;
            }
            else
            {
                space = true;
            }
        }

        return sb.ToString();
    }

    /// <summary>Trims and collapses runs of white space (line breaks included) to one space; NFC.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Join(' ', text.Normalize(NormalizationForm.FormC).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
