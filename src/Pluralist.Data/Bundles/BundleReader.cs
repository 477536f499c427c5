using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Imaging;
using Pluralist.Data.Imports;

namespace Pluralist.Data.Bundles;

/// <summary>
/// Reads and validates a study bundle (folder or .zip). Every problem in every file is collected
/// with its file, line, column and field; if there is any, a <see cref="BundleException"/> lists
/// them all and nothing is returned. Image files are checked against their content hash here, so
/// an import that starts writing has nothing left to discover.
/// </summary>
public static class BundleReader
{
    public static StudyBundle Read(string path, ImportLimits? limits = null)
    {
        var source = BundleSource.Open(path, limits);
        try
        {
            return Read(source);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Reads from an open source; the bundle takes ownership of it.</summary>
    public static StudyBundle Read(IBundleSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var errors = new ImportErrors(source.Limits.MaxReportedErrors);
        if (!source.Exists(BundleFormat.StudyJson))
        {
            throw new BundleException([new CsvError(BundleFormat.StudyJson, 0, 0, string.Empty,
                $"{source.DisplayName} has no study.json: is it a study bundle? (for a labeling-platform export use --format aipithet)")]);
        }

        var (study, scenarios) = ReadAll(source, BundleFormat.StudyJson, errors) is { } json ? BundleFormat.ReadStudyJson(json, errors.List) : (null, []);
        if (study is null)
        {
            throw errors.ToException();
        }

        var bundle = new StudyBundle(study, source);
        bundle.Scenarios.AddRange(scenarios);
        var criteria = study.Criteria.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var batches = study.Batches.Select(b => b.Id).ToHashSet();
        var scenarioIds = scenarios.Select(s => s.Id).ToHashSet();

        // prompts.csv
        var prompts = new Dictionary<long, Prompt>();
        var promptRows = new Dictionary<long, (CsvTable Table, CsvRecord Row)>();
        var promptsRead = ForEachRow(source, BundleFormat.PromptsCsv, required: true, errors, ["prompt", "text", "language", "source", "created_at"], (t, row) =>
        {
            var p = new Prompt
            {
                Id = t.Long(row, "prompt"),
                Text = t.String(row, "text"),
                Language = t.String(row, "language"),
                Source = Token(t, row, "source", PromptSource.Human, Tokens.TryParse),
                ParentPromptId = t.OptionalLong(row, "parent"),
                ScenarioId = t.OptionalLong(row, "scenario"),
                ExternalId = t.OptionalString(row, "external_id"),
                CreatedAt = t.DateTime(row, "created_at"),
            };
            if (!prompts.TryAdd(p.Id, p))
            {
                t.AddError(row, "prompt", $"prompt id {p.Id} is used twice");
                return;
            }

            if (p.ScenarioId is { } sc && !scenarioIds.Contains(sc))
            {
                t.AddError(row, "scenario", $"scenario {sc} is not in study.json");
            }

            promptRows[p.Id] = (t, row);
            bundle.Prompts.Add(p);
        });
        foreach (var p in bundle.Prompts)
        {
            if (p.ParentPromptId is not { } parent)
            {
                continue;
            }

            var (t, row) = promptRows[p.Id];
            if (!prompts.ContainsKey(parent) && promptsRead)
            {
                t.AddError(row, "parent", $"parent prompt {parent} is not in prompts.csv");
                continue;
            }

            // Parents must not loop back to the prompt itself.
            var seen = new HashSet<long> { p.Id };
            for (long? at = parent; at is { } a && prompts.TryGetValue(a, out var up); at = up.ParentPromptId)
            {
                if (!seen.Add(a))
                {
                    t.AddError(row, "parent", $"prompt {p.Id}'s parents form a cycle");
                    break;
                }
            }
        }

        // images.csv, with each file's hash checked.
        var images = new Dictionary<long, Image>();
        var imagesRead = ForEachRow(source, BundleFormat.ImagesCsv, required: true, errors, ["image", "prompt", "generator", "width", "height", "created_at"], (t, row) =>
        {
            var i = new Image
            {
                Id = t.Long(row, "image"),
                PromptId = t.Long(row, "prompt"),
                Generator = t.String(row, "generator"),
                Seed = t.OptionalLong(row, "seed"),
                Guidance = t.OptionalDouble(row, "guidance"),
                Steps = t.OptionalInt(row, "steps"),
                Width = t.Int(row, "width"),
                Height = t.Int(row, "height"),
                ContentHash = t.OptionalString(row, "content_hash")?.ToLowerInvariant(),
                ExternalId = t.OptionalString(row, "external_id"),
                CreatedAt = t.DateTime(row, "created_at"),
            };
            if (!images.TryAdd(i.Id, i))
            {
                t.AddError(row, "image", $"image id {i.Id} is used twice");
                return;
            }

            if (promptsRead && t.Raw(row, "prompt") is { Length: > 0 } && !prompts.ContainsKey(i.PromptId))
            {
                t.AddError(row, "prompt", $"prompt {i.PromptId} is not in prompts.csv");
            }

            if (t.Raw(row, "width") is { Length: > 0 } && (i.Width is < 1 or > 65535))
            {
                t.AddError(row, "width", "must be between 1 and 65535 pixels");
            }

            if (t.Raw(row, "height") is { Length: > 0 } && (i.Height is < 1 or > 65535))
            {
                t.AddError(row, "height", "must be between 1 and 65535 pixels");
            }

            if (!BundleFormat.TryParseFlags(t.Raw(row, "flags"), out var flags))
            {
                t.AddError(row, "flags", $"'{t.Raw(row, "flags")}' is not a ';'-list of broken, distorted, excluded");
            }

            i.Flags = flags;
            if (i.ContentHash is { } h && (h.Length != 64 || !h.All(char.IsAsciiHexDigit)))
            {
                t.AddError(row, "content_hash", "must be a SHA-256 in hex (64 characters)");
            }

            var file = t.OptionalString(row, "file");
            if (file is null)
            {
                i.StoragePath = t.OptionalString(row, "reference") ?? string.Empty;
                if (i.StoragePath.Length == 0)
                {
                    t.AddError(row, "file", "an image needs a file in the bundle or a reference");
                }
            }
            else if (!source.Exists(file))
            {
                t.AddError(row, "file", $"{file} is not in the bundle");
            }
            else if (InspectImage(source, file, t, row, "file") is { } facts)
            {
                if (i.ContentHash is { Length: 64 } expected && expected != facts.Sha256)
                {
                    t.AddError(row, "content_hash", $"{file} has SHA-256 {facts.Sha256}, not the {expected} given here");
                }

                i.ContentHash = facts.Sha256;
                i.StoragePath = file;
                bundle.ImageFiles[i.Id] = file;
                bundle.CheckedImages[i.Id] = facts;
            }

            bundle.Images.Add(i);
        });

        // pairs.csv
        var pairs = new Dictionary<long, Pair>();
        var pairsRead = ForEachRow(source, BundleFormat.PairsCsv, required: true, errors, ["pair", "image_0", "image_1", "kind", "created_at"], (t, row) =>
        {
            var p = new Pair
            {
                Id = t.Long(row, "pair"),
                Image0Id = t.Long(row, "image_0"),
                Image1Id = t.Long(row, "image_1"),
                Kind = Token(t, row, "kind", PairKind.Annotation, Tokens.TryParse),
                BatchId = t.OptionalLong(row, "batch"),
                ExpectedPreference = t.OptionalDouble(row, "expected_preference"),
                ExternalId = t.OptionalString(row, "external_id"),
                CreatedAt = t.DateTime(row, "created_at"),
            };
            if (!pairs.TryAdd(p.Id, p))
            {
                t.AddError(row, "pair", $"pair id {p.Id} is used twice");
                return;
            }

            var ok0 = images.TryGetValue(p.Image0Id, out var i0);
            var ok1 = images.TryGetValue(p.Image1Id, out var i1);
            if (!ok0 && imagesRead && t.Raw(row, "image_0") is { Length: > 0 })
            {
                t.AddError(row, "image_0", $"image {p.Image0Id} is not in images.csv");
            }

            if (!ok1 && imagesRead && t.Raw(row, "image_1") is { Length: > 0 })
            {
                t.AddError(row, "image_1", $"image {p.Image1Id} is not in images.csv");
            }

            if (ok0 && ok1 && p.Image0Id == p.Image1Id)
            {
                t.AddError(row, "image_1", "a pair needs two different images");
            }
            else if (ok0 && ok1 && i0!.PromptId != i1!.PromptId)
            {
                t.AddError(row, "image_1", $"images {p.Image0Id} and {p.Image1Id} belong to different prompts; a pair compares images of one prompt");
            }

            if (p.BatchId is { } b && !batches.Contains(b))
            {
                t.AddError(row, "batch", $"batch {b} is not in study.json");
            }

            if (p.ExpectedPreference is { } e && e is < -1 or > 1)
            {
                t.AddError(row, "expected_preference", $"{e} is outside [-1, 1]");
            }

            bundle.Pairs.Add(p);
        });

        // participants.csv: pseudonyms and the study's identity-marker columns.
        var participants = new Dictionary<string, Participant>(StringComparer.Ordinal);
        var markerRows = new List<(CsvTable Table, CsvRecord Row, Participant Participant, string Marker)>();
        var participantsRead = ForEachRow(source, BundleFormat.ParticipantsCsv, required: false, errors, ["participant", "language", "created_at"], (t, row) =>
        {
            var p = new Participant
            {
                Id = participants.Count + 1,
                Pseudonym = t.String(row, "participant"),
                PreferredLanguage = t.String(row, "language"),
                CreatedAt = t.DateTime(row, "created_at"),
                WithdrawnAt = t.OptionalDateTime(row, "withdrawn_at"),
            };
            if (p.Pseudonym.Length > 0 && !participants.TryAdd(p.Pseudonym, p))
            {
                t.AddError(row, "participant", $"participant {p.Pseudonym} is listed twice");
                return;
            }

            bundle.Participants.Add(p);
            foreach (var marker in study.IdentityMarkers.Where(t.HasColumn))
            {
                var value = t.OptionalString(row, marker);
                if (value is null)
                {
                    continue;
                }

                if (p.WithdrawnAt is not null)
                {
                    t.AddError(row, marker, "a participant who withdrew has no identity markers; leave it empty");
                    continue;
                }

                var pnts = value == BundleFormat.PreferNotToSay;
                bundle.IdentityAnswers.Add(new IdentityAnswer
                {
                    ParticipantId = p.Id,
                    Marker = marker,
                    Value = pnts ? null : value,
                    PreferNotToSay = pnts,
                    AnsweredAt = p.CreatedAt,
                });
                markerRows.Add((t, row, p, marker));
            }
        });
        Participant? FindParticipant(CsvTable t, CsvRecord row, string column)
        {
            var pseudonym = t.String(row, column);
            if (pseudonym.Length == 0)
            {
                return null;
            }

            if (participants.TryGetValue(pseudonym, out var p))
            {
                return p;
            }

            if (participantsRead)
            {
                t.AddError(row, column, $"participant {pseudonym} is not in participants.csv");
            }

            return null;
        }

        // consents.csv: a marker value needs the participant's consent to that marker.
        ForEachRow(source, BundleFormat.ConsentsCsv, required: false, errors, ["participant", "version", "language", "consented_at"], (t, row) =>
        {
            var p = FindParticipant(t, row, "participant");
            var c = new ConsentRecord
            {
                ParticipantId = p?.Id ?? 0,
                DocumentVersion = t.String(row, "version"),
                Language = t.String(row, "language"),
                ConsentedAt = t.DateTime(row, "consented_at"),
                WithdrawnAt = t.OptionalDateTime(row, "withdrawn_at"),
            };
            foreach (var (column, consent) in new[] { ("markers_consented", true), ("markers_declined", false) })
            {
                foreach (var m in BundleFormat.SplitList(t.Raw(row, column)))
                {
                    if (!study.IdentityMarkers.Contains(m))
                    {
                        t.AddError(row, column, $"'{m}' is not an identity marker of the study ({string.Join(", ", study.IdentityMarkers)})");
                    }
                    else if (!c.MarkerConsents.TryAdd(m, consent))
                    {
                        t.AddError(row, column, $"marker '{m}' is listed twice");
                    }
                }
            }

            bundle.Consents.Add(c);
        });
        foreach (var (t, row, p, marker) in markerRows)
        {
            var latest = bundle.Consents.Where(c => c.ParticipantId == p.Id && c.WithdrawnAt is null).MaxBy(c => c.ConsentedAt);
            if (latest is null || !latest.MarkerConsents.TryGetValue(marker, out var ok) || !ok)
            {
                t.AddError(row, marker, $"participant {p.Pseudonym} has not consented to storing '{marker}' (consents.csv); an identity marker is never stored without consent");
            }
        }

        // assignments.csv
        var assignments = new Dictionary<long, Assignment>();
        var assignmentsRead = ForEachRow(source, BundleFormat.AssignmentsCsv, required: false, errors, ["assignment", "participant", "pair", "criteria_shown", "image_0_side", "language", "served_at"], (t, row) =>
        {
            var p = FindParticipant(t, row, "participant");
            var a = new Assignment
            {
                Id = t.Long(row, "assignment"),
                ParticipantId = p?.Id ?? 0,
                PairId = t.Long(row, "pair"),
                BatchId = t.OptionalLong(row, "batch"),
                Image0OnLeft = Side(t, row, "image_0_side") ?? true,
                Language = t.String(row, "language"),
                ServedAt = t.DateTime(row, "served_at"),
            };
            if (!assignments.TryAdd(a.Id, a))
            {
                t.AddError(row, "assignment", $"assignment id {a.Id} is used twice");
                return;
            }

            if (pairsRead && t.Raw(row, "pair") is { Length: > 0 } && !pairs.ContainsKey(a.PairId))
            {
                t.AddError(row, "pair", $"pair {a.PairId} is not in pairs.csv");
            }

            if (a.BatchId is { } b && !batches.Contains(b))
            {
                t.AddError(row, "batch", $"batch {b} is not in study.json");
            }

            foreach (var key in BundleFormat.SplitList(t.Raw(row, "criteria_shown")))
            {
                if (!criteria.Contains(key))
                {
                    t.AddError(row, "criteria_shown", $"unknown criterion '{key}' (the study has {string.Join(", ", criteria)})");
                }
                else if (a.CriteriaShown.Contains(key))
                {
                    t.AddError(row, "criteria_shown", $"criterion '{key}' is shown twice");
                }
                else
                {
                    a.CriteriaShown.Add(key);
                }
            }

            if (a.CriteriaShown.Count == 0 && t.Raw(row, "criteria_shown") is { Length: 0 })
            {
                t.AddError(row, "criteria_shown", "an assignment shows at least one criterion");
            }

            bundle.Assignments.Add(a);
        });

        // annotations.csv, long form: rows of one annotation must agree on the annotation's fields.
        var annotations = new Dictionary<long, Annotation>();
        var requestIds = new HashSet<(long, string)>();
        ForEachRow(source, BundleFormat.AnnotationsCsv, required: false, errors,
            ["annotation", "assignment", "participant", "pair", "criterion", "score", "image_0_side", "client_request_id", "language", "submitted_at"], (t, row) =>
        {
            var id = t.Long(row, "annotation");
            var p = FindParticipant(t, row, "participant");
            var assignmentId = t.Long(row, "assignment");
            var pairId = t.Long(row, "pair");
            var side = Side(t, row, "image_0_side");
            var fields = new Annotation
            {
                Id = id,
                AssignmentId = assignmentId,
                ParticipantId = p?.Id ?? 0,
                PairId = pairId,
                Comment = t.OptionalString(row, "comment"),
                ClientDurationMs = t.OptionalInt(row, "client_duration_ms"),
                ServerDurationMs = t.OptionalInt(row, "server_duration_ms"),
                ClientRequestId = t.String(row, "client_request_id"),
                Language = t.String(row, "language"),
                SubmittedAt = t.DateTime(row, "submitted_at"),
            };
            if (!annotations.TryGetValue(id, out var a))
            {
                a = fields;
                annotations[id] = a;
                bundle.Annotations.Add(a);
                if (!assignments.TryGetValue(assignmentId, out var asg))
                {
                    if (assignmentsRead && t.Raw(row, "assignment") is { Length: > 0 })
                    {
                        t.AddError(row, "assignment", $"assignment {assignmentId} is not in assignments.csv");
                    }
                }
                else
                {
                    if (p is not null && asg.ParticipantId != p.Id)
                    {
                        t.AddError(row, "participant", $"assignment {assignmentId} was served to another participant");
                    }

                    if (asg.PairId != pairId)
                    {
                        t.AddError(row, "pair", $"assignment {assignmentId} is for pair {asg.PairId}, not {pairId}");
                    }
                }

                if (a.ClientRequestId.Length > 0 && !requestIds.Add((a.ParticipantId, a.ClientRequestId)))
                {
                    t.AddError(row, "client_request_id", $"client request id '{a.ClientRequestId}' is used by two annotations of the same participant");
                }
            }
            else
            {
                foreach (var (column, same) in new (string, bool)[]
                {
                    ("assignment", a.AssignmentId == fields.AssignmentId), ("participant", a.ParticipantId == fields.ParticipantId),
                    ("pair", a.PairId == fields.PairId), ("comment", a.Comment == fields.Comment),
                    ("client_duration_ms", a.ClientDurationMs == fields.ClientDurationMs), ("server_duration_ms", a.ServerDurationMs == fields.ServerDurationMs),
                    ("client_request_id", a.ClientRequestId == fields.ClientRequestId), ("language", a.Language == fields.Language),
                    ("submitted_at", a.SubmittedAt == fields.SubmittedAt),
                })
                {
                    if (!same)
                    {
                        t.AddError(row, column, $"differs from the first row of annotation {id}; the rows of one annotation must agree");
                    }
                }
            }

            var key = t.String(row, "criterion");
            var score = t.OptionalDouble(row, "score");
            var shown = assignments.GetValueOrDefault(a.AssignmentId);
            if (score is { } s && s is < -1 or > 1)
            {
                t.AddError(row, "score", $"{s} is outside [-1, 1]");
            }

            if (key.Length > 0 && !criteria.Contains(key))
            {
                t.AddError(row, "criterion", $"unknown criterion '{key}' (the study has {string.Join(", ", criteria)})");
            }
            else if (key.Length > 0 && shown is not null && !shown.CriteriaShown.Contains(key))
            {
                t.AddError(row, "criterion", $"criterion '{key}' was not shown in assignment {shown.Id} ({string.Join(", ", shown.CriteriaShown)})");
            }
            else if (a.Scores.Any(x => x.CriterionKey == key))
            {
                t.AddError(row, "criterion", $"annotation {id} answers '{key}' twice");
            }

            if (shown is not null && side is { } left && left != shown.Image0OnLeft)
            {
                t.AddError(row, "image_0_side", $"assignment {shown.Id} showed image_0 on the {BundleFormat.Side(shown.Image0OnLeft)}");
            }

            if (t.HasColumn("preference") && side is { } l)
            {
                var given = t.OptionalDouble(row, "preference");
                var expected = AnnotationScore.Orient(score, l);
                if (given != expected && !(given is { } g && expected is { } x && Math.Abs(g - x) < 1e-12))
                {
                    t.AddError(row, "preference", $"does not match score {CsvWriter.Format(score)} with image_0 on the {BundleFormat.Side(l)} (expected {CsvWriter.Format(expected)})");
                }
            }

            a.Scores.Add(new AnnotationScore
            {
                CriterionKey = key,
                Position = t.OptionalInt(row, "position") ?? (shown?.CriteriaShown.IndexOf(key) is { } i and >= 0 ? i : a.Scores.Count),
                Score = score,
            });
        });

        // reports.csv and ratings.csv
        ForEachRow(source, BundleFormat.ReportsCsv, required: false, errors, ["image", "participant", "reason", "reported_at"], (t, row) =>
        {
            var r = new ImageReport
            {
                ImageId = t.Long(row, "image"),
                ParticipantId = FindParticipant(t, row, "participant")?.Id ?? 0,
                AssignmentId = t.OptionalLong(row, "assignment"),
                Reason = Token(t, row, "reason", ImageReportReason.Other, Tokens.TryParse),
                Comment = t.OptionalString(row, "comment"),
                ReportedAt = t.DateTime(row, "reported_at"),
            };
            CheckImage(t, row, r.ImageId);
            if (assignmentsRead && r.AssignmentId is { } a && !assignments.ContainsKey(a))
            {
                t.AddError(row, "assignment", $"assignment {a} is not in assignments.csv");
            }

            bundle.Reports.Add(r);
        });
        var ratingRequests = new HashSet<(long, string)>();
        ForEachRow(source, BundleFormat.RatingsCsv, required: false, errors, ["participant", "image", "question", "value", "client_request_id", "language", "served_at", "submitted_at"], (t, row) =>
        {
            var r = new LikertRating
            {
                ParticipantId = FindParticipant(t, row, "participant")?.Id ?? 0,
                ImageId = t.Long(row, "image"),
                QuestionKey = t.String(row, "question"),
                Value = t.Int(row, "value"),
                SelectedCategories = [.. BundleFormat.SplitList(t.Raw(row, "categories"))],
                ClientRequestId = t.String(row, "client_request_id"),
                ClientDurationMs = t.OptionalInt(row, "client_duration_ms"),
                ServerDurationMs = t.OptionalInt(row, "server_duration_ms"),
                Language = t.String(row, "language"),
                ServedAt = t.DateTime(row, "served_at"),
                SubmittedAt = t.DateTime(row, "submitted_at"),
            };
            CheckImage(t, row, r.ImageId);
            if (t.Raw(row, "value") is { Length: > 0 } && r.Value is < 1 or > 5)
            {
                t.AddError(row, "value", $"{r.Value} is not on the 1..5 scale");
            }

            if (r.ClientRequestId.Length > 0 && !ratingRequests.Add((r.ParticipantId, r.ClientRequestId)))
            {
                t.AddError(row, "client_request_id", $"client request id '{r.ClientRequestId}' is used twice by the same participant");
            }

            bundle.Ratings.Add(r);
        });

        if (errors.Count > 0)
        {
            throw errors.ToException();
        }

        return bundle;

        void CheckImage(CsvTable t, CsvRecord row, long image)
        {
            if (imagesRead && t.Raw(row, "image") is { Length: > 0 } && !images.ContainsKey(image))
            {
                t.AddError(row, "image", $"image {image} is not in images.csv");
            }
        }
    }

    /// <summary>Parses one CSV of the bundle and calls <paramref name="onRow"/> per row when its required columns are present.</summary>
    /// <returns>False when the file could not be read at all (absent though required, wrong encoding, bad syntax, missing columns): references to its rows are then not reported again.</returns>
    internal static bool ForEachRow(IBundleSource source, string file, bool required, ImportErrors errors, string[] requiredColumns, Action<CsvTable, CsvRecord> onRow)
    {
        if (!source.Exists(file))
        {
            if (required)
            {
                errors.Add(new CsvError(file, 0, 0, string.Empty, $"{file} is missing from the bundle"));
            }

            return !required;
        }

        if (ReadAll(source, file, errors) is not { } bytes)
        {
            return false;
        }

        var text = StrictUtf8.TryDecode(bytes, file, out var encodingError);
        if (text is null)
        {
            errors.Add(encodingError!);
            return false;
        }

        var before = errors.Count;
        var table = CsvTable.Parse(new StringReader(text), file, errors.List);
        errors.Trim();
        if (!table.RequireColumns(requiredColumns) || (table.Rows.Count == 0 && errors.Count > before))
        {
            return false;
        }

        foreach (var row in table.Rows)
        {
            onRow(table, row);
            errors.Trim();
        }

        return true;
    }

    /// <summary>A whole file of the bundle, or null with the reason in <paramref name="errors"/> (a link, a device, past a limit).</summary>
    internal static byte[]? ReadAll(IBundleSource source, string file, ImportErrors errors)
    {
        try
        {
            return source.ReadAll(file);
        }
        catch (ImportFileException ex)
        {
            errors.Add(new CsvError(file, 0, 0, string.Empty, ex.Message));
            return null;
        }
    }

    /// <summary>Checks an image file of the bundle (regular file, within the limits, a PNG, JPEG or WebP that decodes); null with an error at the row's field otherwise.</summary>
    internal static ImageFacts? InspectImage(IBundleSource source, string file, CsvTable t, CsvRecord row, string column)
    {
        try
        {
            using var stream = source.Open(file);
            return ImageFiles.Inspect(stream, source.Limits.MaxImagePixels);
        }
        catch (ImportFileException ex)
        {
            t.AddError(row, column, ex.Message);
        }
        catch (ImageFileException ex)
        {
            t.AddError(row, column, $"{file} {ex.Message}");
        }
        catch (FileNotFoundException)
        {
            t.AddError(row, column, $"{file} is not in the bundle");
        }

        return null;
    }

    internal delegate bool TryToken<T>(string? token, out T value);

    internal static T Token<T>(CsvTable t, CsvRecord row, string column, T fallback, TryToken<T> parse)
        where T : struct, Enum
    {
        var s = t.OptionalString(row, column);
        if (s is null)
        {
            return fallback;
        }

        if (parse(s, out var v))
        {
            return v;
        }

        t.AddError(row, column, $"'{s}' is not one of {string.Join(", ", Tokens.All<T>())}");
        return fallback;
    }

    private static bool? Side(CsvTable t, CsvRecord row, string column)
    {
        var s = t.String(row, column);
        switch (s.ToUpperInvariant())
        {
            case "LEFT": return true;
            case "RIGHT": return false;
            case "": return null;
            default:
                t.AddError(row, column, $"'{s}' is not left or right");
                return null;
        }
    }
}
