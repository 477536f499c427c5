using System.Text.Json;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Core.Text;

namespace Pluralist.Data.Bundles;

/// <summary>
/// The <c>study.json</c> document of a study bundle: settings, identity questions and their coding table, Likert
/// questions and categories, criteria, batches, consent documents, scenarios and quotas (docs/formats.md).
/// </summary>
public static class StudyJsonFormat
{
    /// <summary>Writes <c>study.json</c>: settings, questions, coding table, criteria, batches (bundle ids), consent documents and scenarios.</summary>
    public static byte[] Write(Study study, IReadOnlyList<Scenario> scenarios, IReadOnlyList<IdentityCoding>? codings = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(scenarios);
        codings ??= [];
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", BundleFormat.FormatName);
            w.WriteNumber("formatVersion", BundleFormat.FormatVersion);
            w.WriteString("key", study.Key);
            QuestionsJson.WriteText(w, "title", study.Title);
            QuestionsJson.WriteText(w, "description", study.Description);
            w.WriteString("taskType", study.TaskType.ToToken());
            w.WriteNumber("criteriaPerPair", study.CriteriaPerPair);
            w.WriteNumber("sliderSteps", study.SliderSteps);
            w.WriteBoolean("showPrompt", study.ShowPrompt);
            w.WriteBoolean("requireEmail", study.RequireEmail);
            w.WriteNumber("sessionCap", study.SessionCap);
            w.WriteNumber("breakMinutes", study.BreakMinutes);
            w.WriteNumber("attentionCheckRate", study.AttentionCheckRate);
            w.WriteNumber("goldRate", study.GoldRate);
            w.WriteString("withdrawalPolicy", study.WithdrawalPolicy.ToToken());
            w.WriteNumber("minGroupSize", study.MinGroupSize);
            w.WriteStartArray("identityMarkers");
            foreach (var m in study.IdentityMarkers)
            {
                w.WriteStringValue(m);
            }

            w.WriteEndArray();
            w.WritePropertyName("identityQuestions");
            QuestionsJson.WriteIdentityQuestions(w, study.IdentityQuestions);
            if (codings.Count > 0)
            {
                w.WritePropertyName("identityCodings");
                QuestionsJson.WriteCodings(w, codings);
            }

            w.WritePropertyName("likertQuestions");
            QuestionsJson.WriteLikertItems(w, study.LikertQuestions);
            w.WritePropertyName("likertCategories");
            QuestionsJson.WriteLikertItems(w, study.LikertCategories);
            if (study.GroupQuotas is { } quotas)
            {
                w.WriteStartObject("groupQuotas");
                w.WriteStartArray("dimensions");
                foreach (var d in quotas.Dimensions)
                {
                    w.WriteStartObject();
                    w.WriteString("marker", d.Marker);
                    w.WriteStartArray("values");
                    foreach (var v in d.Values)
                    {
                        w.WriteStringValue(v);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteNumber("perGroup", quotas.PerGroup);
                w.WriteNumber("unstratified", quotas.Unstratified);
                w.WriteEndObject();
            }

            QuestionsJson.WriteText(w, "protocol", study.Protocol);
            w.WriteString("contact", study.Contact);
            if (study.Panel is { } panel)
            {
                w.WritePropertyName("panel");
                PanelJson.Write(w, panel);
            }

            w.WriteString("createdAt", CsvWriter.Format(study.CreatedAt));
            w.WriteStartArray("criteria");
            foreach (var c in study.Criteria.OrderBy(c => c.Position).ThenBy(c => c.Id))
            {
                w.WriteStartObject();
                w.WriteString("key", c.Key);
                QuestionsJson.WriteText(w, "name", c.Name);
                QuestionsJson.WriteText(w, "definition", c.Definition);
                w.WriteNumber("position", c.Position);
                w.WriteBoolean("retired", c.Retired);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("batches");
            foreach (var b in study.Batches)
            {
                w.WriteStartObject();
                w.WriteNumber("id", b.Id);
                w.WriteString("name", b.Name);
                w.WriteString("opensAt", CsvWriter.Format(b.OpensAt));
                w.WriteString("closesAt", CsvWriter.Format(b.ClosesAt));
                w.WriteNumber("quotaPerParticipant", b.QuotaPerParticipant);
                WriteNullable(w, "sessionCap", b.SessionCap);
                WriteNullable(w, "breakMinutes", b.BreakMinutes);
                w.WriteString("distribution", b.Distribution.ToToken());
                w.WriteNumber("overlap", b.Overlap);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("consentDocuments");
            foreach (var d in study.ConsentDocuments)
            {
                w.WriteStartObject();
                w.WriteString("version", d.Version);
                w.WriteString("language", d.Language);
                w.WriteString("text", d.Text);
                w.WriteString("publishedAt", CsvWriter.Format(d.PublishedAt));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("scenarios");
            foreach (var s in scenarios)
            {
                w.WriteStartObject();
                w.WriteNumber("id", s.Id);
                w.WriteString("name", s.Name);
                w.WriteString("typology", s.Typology);
                w.WriteString("amenities", s.Amenities);
                w.WriteString("location", s.Location);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads <c>study.json</c>. Every problem is added to <paramref name="errors"/> as
    /// <c>study.json:line ($.path): message</c>; the result is null when the document cannot be used at all.
    /// </summary>
    public static (Study? Study, List<Scenario> Scenarios, List<IdentityCoding> Codings) Read(byte[] utf8, List<CsvError> errors)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        ArgumentNullException.ThrowIfNull(errors);
        var scenarios = new List<Scenario>();
        var codings = new List<IdentityCoding>();
        if (StrictUtf8.TryDecode(utf8, BundleFormat.StudyJson, out var encodingError) is null)
        {
            errors.Add(encodingError!);
            return (null, scenarios, codings);
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
            errors.Add(new CsvError(BundleFormat.StudyJson, (int)(ex.LineNumber ?? 0) + 1, 0, string.Empty, "not valid JSON: " + ex.Message.Split(" Path:")[0]));
            return (null, scenarios, codings);
        }

        using (doc)
        {
            var r = new JsonFields(where, errors);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                r.Error("$", "the document must be a JSON object");
                return (null, scenarios, codings);
            }

            CheckFormat(r, root);
            var study = ReadSettings(r, root);
            ReadIdentityMarkers(r, root, study);
            study.IdentityQuestions = QuestionsJson.ReadIdentityQuestions(r, root, "$");
            if (!root.TryGetProperty("identityMarkers", out _))
            {
                // A study.json that defines questions but lists no markers asks its questions, in order.
                study.IdentityMarkers = [.. study.IdentityQuestions.Select(x => x.Key).Where(k => k.Length > 0).Distinct()];
            }

            codings.AddRange(QuestionsJson.ReadCodings(r, root, "$", [.. study.IdentityMarkers, .. study.IdentityQuestions.Select(x => x.Key)]));
            study.LikertQuestions = QuestionsJson.ReadLikertItems(r, root, "$", "likertQuestions");
            study.LikertCategories = QuestionsJson.ReadLikertItems(r, root, "$", "likertCategories");
            study.Protocol = r.Text(root, "$", "protocol", required: false);
            study.Contact = r.OptionalString(root, "$", "contact") ?? "";
            r.Check(study.Contact.Length <= 500, "$.contact", "at most 500 characters");
            if (root.TryGetProperty("panel", out var panelJson) && panelJson.ValueKind != JsonValueKind.Null)
            {
                study.Panel = PanelJson.Read(panelJson, "$.panel", r.Error);
            }

            if (root.TryGetProperty("groupQuotas", out var q) && q.ValueKind != JsonValueKind.Null)
            {
                study.GroupQuotas = ReadQuotas(r, q, study);
            }

            ReadCriteria(r, root, study);
            ReadBatches(r, root, study);
            ReadConsentDocuments(r, root, study);
            ReadScenarios(r, root, scenarios);
            return (study, scenarios, codings);
        }
    }

    /// <summary>The format name and version: another format, or a newer version than this reads, is refused.</summary>
    private static void CheckFormat(JsonFields r, JsonElement root)
    {
        if (r.OptionalString(root, "$", "format") is { } format && format != BundleFormat.FormatName)
        {
            r.Error("$.format", $"expected \"{BundleFormat.FormatName}\", found \"{format}\"");
        }

        if (r.OptionalInt(root, "$", "formatVersion") is { } version && version > BundleFormat.FormatVersion)
        {
            r.Error("$.formatVersion", $"format version {version} is newer than this Pluralist reads ({BundleFormat.FormatVersion}); upgrade Pluralist");
        }
    }

    /// <summary>The study's settings at the top level, each checked against its range.</summary>
    private static Study ReadSettings(JsonFields r, JsonElement root)
    {
        var study = new Study
        {
            Key = r.String(root, "$", "key"),
            Title = r.Text(root, "$", "title", required: true),
            Description = r.Text(root, "$", "description", required: false),
            TaskType = r.Token(root, "$", "taskType", TaskType.Pairwise, Tokens.TryParse),
            CriteriaPerPair = r.OptionalInt(root, "$", "criteriaPerPair") ?? 3,
            SliderSteps = r.OptionalInt(root, "$", "sliderSteps") ?? 0,
            ShowPrompt = r.OptionalBool(root, "$", "showPrompt") ?? true,
            RequireEmail = r.OptionalBool(root, "$", "requireEmail") ?? false,
            SessionCap = r.OptionalInt(root, "$", "sessionCap") ?? 90,
            BreakMinutes = r.OptionalInt(root, "$", "breakMinutes") ?? 10,
            AttentionCheckRate = r.OptionalDouble(root, "$", "attentionCheckRate") ?? 0,
            GoldRate = r.OptionalDouble(root, "$", "goldRate") ?? 0,
            WithdrawalPolicy = r.Token(root, "$", "withdrawalPolicy", WithdrawalPolicy.KeepAnnotations, Tokens.TryParse),
            MinGroupSize = r.OptionalInt(root, "$", "minGroupSize") ?? 5,
            CreatedAt = r.OptionalDate(root, "$", "createdAt") ?? DateTimeOffset.UnixEpoch,
        };
        if (study.Key.Length > 0 && StudyKeys.Problem(study.Key) is { } keyProblem)
        {
            r.Error("$.key", keyProblem);
        }

        if (SliderScale.Problem(study.SliderSteps) is { } sliderProblem)
        {
            r.Error("$.sliderSteps", sliderProblem);
        }

        r.Check(study.SessionCap >= 1, "$.sessionCap", "must be at least 1");
        r.Check(study.BreakMinutes >= 0, "$.breakMinutes", "must be 0 or more");
        r.Check(study.AttentionCheckRate is >= 0 and <= 1, "$.attentionCheckRate", "must be between 0 and 1");
        r.Check(study.GoldRate is >= 0 and <= 1, "$.goldRate", "must be between 0 and 1");
        r.Check(study.MinGroupSize >= 1, "$.minGroupSize", "must be at least 1");

        return study;
    }

    /// <summary><c>identityMarkers</c>: non-empty names, each once.</summary>
    private static void ReadIdentityMarkers(JsonFields r, JsonElement root, Study study)
    {
        foreach (var (m, path) in r.Array(root, "$", "identityMarkers", required: false))
        {
            if (m.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(m.GetString()))
            {
                r.Error(path, "must be a non-empty string");
            }
            else if (study.IdentityMarkers.Contains(m.GetString()!))
            {
                r.Error(path, $"identity marker '{m.GetString()}' is listed twice");
            }
            else
            {
                study.IdentityMarkers.Add(m.GetString()!);
            }
        }
    }

    /// <summary><c>groupQuotas</c>: dimensions over the identity markers, values among the groups their questions give, checked as the quota picker needs them.</summary>
    private static GroupQuotas? ReadQuotas(JsonFields r, JsonElement q, Study study)
    {
        const string at = "$.groupQuotas";
        if (q.ValueKind != JsonValueKind.Object)
        {
            r.Error(at, "must be an object with dimensions, perGroup and unstratified");
            return null;
        }

        var quotas = new GroupQuotas
        {
            PerGroup = r.OptionalInt(q, at, "perGroup") ?? Missing<int>(r, at, "perGroup"),
            Unstratified = r.OptionalInt(q, at, "unstratified") ?? 0,
        };
        foreach (var (d, path) in r.Array(q, at, "dimensions", required: true))
        {
            var dimension = new QuotaDimension { Marker = r.String(d, path, "marker") };
            foreach (var (v, vpath) in r.Array(d, path, "values", required: false))
            {
                if (v.ValueKind != JsonValueKind.String)
                {
                    r.Error(vpath, "must be a string");
                    continue;
                }

                dimension.Values.Add(v.GetString()!);
            }

            quotas.Dimensions.Add(dimension);
        }

        foreach (var (field, message) in QuotaPicker.Problems(quotas, study))
        {
            r.Error($"{at}.{field}", message);
        }

        return quotas;
    }

    /// <summary><c>criteria</c>: valid keys, each once, at least one; <c>criteriaPerPair</c> checked against the active ones.</summary>
    private static void ReadCriteria(JsonFields r, JsonElement root, Study study)
    {
        foreach (var (c, path) in r.Array(root, "$", "criteria", required: true))
        {
            var criterion = new Criterion
            {
                Key = r.String(c, path, "key"),
                Name = r.Text(c, path, "name", required: true),
                Definition = r.Text(c, path, "definition", required: false),
                Position = r.OptionalInt(c, path, "position") ?? study.Criteria.Count,
                Retired = r.OptionalBool(c, path, "retired") ?? false,
            };
            if (criterion.Key.Length > 0 && !BundleFormat.IsKey(criterion.Key))
            {
                r.Error(path + ".key", $"'{criterion.Key}' is not a valid key (lower-case letters, digits and '-')");
            }
            else if (study.Criteria.Any(x => x.Key == criterion.Key))
            {
                r.Error(path + ".key", $"criterion '{criterion.Key}' is defined twice");
            }

            study.Criteria.Add(criterion);
        }

        if (root.TryGetProperty("criteria", out var crit) && crit.ValueKind == JsonValueKind.Array && crit.GetArrayLength() == 0)
        {
            r.Error("$.criteria", "a study needs at least one criterion");
        }

        var active = study.Criteria.Count(c => !c.Retired);
        r.Check(study.CriteriaPerPair >= 1 && (active == 0 || study.CriteriaPerPair <= active), "$.criteriaPerPair",
            $"must be between 1 and the number of active criteria ({active})");
    }

    /// <summary><c>batches</c>: bundle ids, each once, with their windows and quotas.</summary>
    private static void ReadBatches(JsonFields r, JsonElement root, Study study)
    {
        foreach (var (b, path) in r.Array(root, "$", "batches", required: false))
        {
            var batch = new Batch
            {
                Id = r.Long(b, path, "id"),
                Name = r.String(b, path, "name"),
                OpensAt = r.OptionalDate(b, path, "opensAt") ?? Missing<DateTimeOffset>(r, path, "opensAt"),
                ClosesAt = r.OptionalDate(b, path, "closesAt") ?? Missing<DateTimeOffset>(r, path, "closesAt"),
                QuotaPerParticipant = r.OptionalInt(b, path, "quotaPerParticipant") ?? 750,
                SessionCap = r.OptionalInt(b, path, "sessionCap"),
                BreakMinutes = r.OptionalInt(b, path, "breakMinutes"),
                Distribution = r.Token(b, path, "distribution", PairDistribution.Random, Tokens.TryParse),
                Overlap = r.OptionalInt(b, path, "overlap") ?? 1,
            };
            r.Check(batch.ClosesAt > batch.OpensAt || batch.OpensAt == default, path + ".closesAt", "must be after opensAt");
            r.Check(batch.QuotaPerParticipant >= 1, path + ".quotaPerParticipant", "must be at least 1");
            r.Check(batch.Overlap >= 1, path + ".overlap", "must be at least 1");
            r.Check(batch.SessionCap is null or >= 1, path + ".sessionCap", "must be at least 1");
            if (study.Batches.Any(x => x.Id == batch.Id))
            {
                r.Error(path + ".id", $"batch id {batch.Id} is used twice");
            }

            study.Batches.Add(batch);
        }
    }

    /// <summary><c>consentDocuments</c>: one per version and language.</summary>
    private static void ReadConsentDocuments(JsonFields r, JsonElement root, Study study)
    {
        foreach (var (d, path) in r.Array(root, "$", "consentDocuments", required: false))
        {
            var document = new ConsentDocument
            {
                Version = r.String(d, path, "version"),
                Language = r.String(d, path, "language"),
                Text = r.String(d, path, "text"),
                PublishedAt = r.OptionalDate(d, path, "publishedAt") ?? Missing<DateTimeOffset>(r, path, "publishedAt"),
            };
            if (study.ConsentDocuments.Any(x => x.Version == document.Version && x.Language == document.Language))
            {
                r.Error(path, $"consent document version '{document.Version}' in '{document.Language}' is given twice");
            }

            study.ConsentDocuments.Add(document);
        }
    }

    /// <summary><c>scenarios</c>: bundle ids, each once.</summary>
    private static void ReadScenarios(JsonFields r, JsonElement root, List<Scenario> scenarios)
    {
        foreach (var (s, path) in r.Array(root, "$", "scenarios", required: false))
        {
            var scenario = new Scenario
            {
                Id = r.Long(s, path, "id"),
                Name = r.String(s, path, "name"),
                Typology = r.OptionalString(s, path, "typology"),
                Amenities = r.OptionalString(s, path, "amenities"),
                Location = r.OptionalString(s, path, "location"),
            };
            if (scenarios.Any(x => x.Id == scenario.Id))
            {
                r.Error(path + ".id", $"scenario id {scenario.Id} is used twice");
            }

            scenarios.Add(scenario);
        }
    }

    private static T Missing<T>(JsonFields r, string path, string name)
        where T : struct
    {
        r.Error($"{path}.{name}", "a value is required");
        return default;
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
