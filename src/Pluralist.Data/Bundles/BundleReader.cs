using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Imports;

namespace Pluralist.Data.Bundles;

/// <summary>
/// Reads and validates a study bundle (folder or .zip). Every problem in every file is collected
/// with its file, line, column and field; if there is any, a <see cref="BundleException"/> lists
/// them (the first <see cref="ImportLimits.MaxReportedErrors"/>, and how many more) and nothing is
/// returned. Each table has its own reader below, all going through <see cref="BundleTables"/>.
/// Image files are checked here (regular file, within the limits, an image that decodes, its
/// content hash), so an import that starts writing has nothing left to discover.
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

        var (study, scenarios, codings) = BundleTables.ReadAll(source, BundleFormat.StudyJson, errors) is { } json ? StudyJsonFormat.Read(json, errors.List) : (null, [], []);
        if (study is null)
        {
            throw errors.ToException();
        }

        var bundle = new StudyBundle(study, source);
        bundle.IdentityCodings.AddRange(codings);
        var reading = new Reading(source, errors, bundle, scenarios);
        reading.ReadTables();
        if (errors.Count > 0)
        {
            throw errors.ToException();
        }

        return reading.Bundle;
    }

    /// <summary>One read of one bundle: the tables in dependency order, and what later tables look up in earlier ones.</summary>
    private sealed class Reading
    {
        private readonly IBundleSource source;
        private readonly ImportErrors errors;
        private readonly StudyBundle bundle;
        private readonly Study study;
        private readonly HashSet<string> criteria;
        private readonly HashSet<long> batches;
        private readonly HashSet<long> scenarioIds;
        private readonly Dictionary<long, Prompt> prompts = [];
        private readonly Dictionary<long, TableRow> promptRows = [];
        private readonly Dictionary<long, Image> images = [];
        private readonly Dictionary<long, Pair> pairs = [];
        private readonly Dictionary<string, Participant> participants = new(StringComparer.Ordinal);
        private readonly List<(TableRow Row, Participant Participant, string Marker)> markerRows = [];
        private readonly Dictionary<long, Assignment> assignments = [];
        private readonly Dictionary<long, Annotation> annotations = [];
        private readonly HashSet<(long, string)> requestIds = [];
        private readonly HashSet<(long, string)> ratingRequests = [];

        // False when a table could not be read at all: references to its rows are then not reported again.
        private bool promptsRead, imagesRead, pairsRead, participantsRead, assignmentsRead;

        public Reading(IBundleSource source, ImportErrors errors, StudyBundle bundle, List<Scenario> scenarios)
        {
            this.source = source;
            this.errors = errors;
            this.bundle = bundle;
            study = bundle.Study;
            bundle.Scenarios.AddRange(scenarios);
            criteria = study.Criteria.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
            batches = study.Batches.Select(b => b.Id).ToHashSet();
            scenarioIds = scenarios.Select(s => s.Id).ToHashSet();
        }

        public StudyBundle Bundle => bundle;

        public void ReadTables()
        {
            promptsRead = Table(BundleFormat.PromptsCsv, required: true, ["prompt", "text", "language", "source", "created_at"], PromptRow);
            CheckParents();
            imagesRead = Table(BundleFormat.ImagesCsv, required: true, ["image", "prompt", "generator", "width", "height", "created_at"], ImageRow);
            pairsRead = Table(BundleFormat.PairsCsv, required: true, ["pair", "image_0", "image_1", "kind", "created_at"], PairRow);
            participantsRead = Table(BundleFormat.ParticipantsCsv, required: false, ["participant", "language", "created_at"], ParticipantRow);
            Table(BundleFormat.ConsentsCsv, required: false, ["participant", "version", "language", "consented_at"], ConsentRow);
            CheckMarkerConsents();
            assignmentsRead = Table(BundleFormat.AssignmentsCsv, required: false, ["assignment", "participant", "pair", "criteria_shown", "image_0_side", "language", "served_at"], AssignmentRow);
            Table(BundleFormat.AnnotationsCsv, required: false,
                ["annotation", "assignment", "participant", "pair", "criterion", "score", "image_0_side", "client_request_id", "language", "submitted_at"], AnnotationRow);
            Table(BundleFormat.ReportsCsv, required: false, ["image", "participant", "reason", "reported_at"], ReportRow);
            Table(BundleFormat.RatingsCsv, required: false, ["participant", "image", "question", "value", "client_request_id", "language", "served_at", "submitted_at"], RatingRow);
        }

        private bool Table(string file, bool required, string[] columns, Action<TableRow> onRow) =>
            BundleTables.Read(source, file, required, errors, columns, onRow);

        // prompts.csv
        private void PromptRow(TableRow r)
        {
            var p = new Prompt
            {
                Id = r.Long("prompt"),
                Text = r.String("text"),
                Language = r.String("language"),
                Source = r.Token("source", PromptSource.Human, Tokens.TryParse),
                ParentPromptId = r.OptionalLong("parent"),
                ScenarioId = r.OptionalLong("scenario"),
                ExternalId = r.OptionalString("external_id"),
                CreatedAt = r.DateTime("created_at"),
            };
            if (!prompts.TryAdd(p.Id, p))
            {
                r.Error("prompt", $"prompt id {p.Id} is used twice");
                return;
            }

            if (p.ScenarioId is { } sc && !scenarioIds.Contains(sc))
            {
                r.Error("scenario", $"scenario {sc} is not in study.json");
            }

            promptRows[p.Id] = r;
            bundle.Prompts.Add(p);
        }

        private void CheckParents()
        {
            foreach (var p in bundle.Prompts)
            {
                if (p.ParentPromptId is not { } parent)
                {
                    continue;
                }

                var r = promptRows[p.Id];
                if (!prompts.ContainsKey(parent) && promptsRead)
                {
                    r.Error("parent", $"parent prompt {parent} is not in prompts.csv");
                    continue;
                }

                // Parents must not loop back to the prompt itself.
                var seen = new HashSet<long> { p.Id };
                for (long? at = parent; at is { } a && prompts.TryGetValue(a, out var up); at = up.ParentPromptId)
                {
                    if (!seen.Add(a))
                    {
                        r.Error("parent", $"prompt {p.Id}'s parents form a cycle");
                        break;
                    }
                }
            }
        }

        // images.csv, with each file checked.
        private void ImageRow(TableRow r)
        {
            var i = new Image
            {
                Id = r.Long("image"),
                PromptId = r.Long("prompt"),
                Generator = r.String("generator"),
                Seed = r.OptionalLong("seed"),
                Guidance = r.OptionalDouble("guidance"),
                Steps = r.OptionalInt("steps"),
                Parameters = r.OptionalString("parameters"),
                Width = r.Int("width"),
                Height = r.Int("height"),
                ContentHash = r.OptionalString("content_hash")?.ToLowerInvariant(),
                ExternalId = r.OptionalString("external_id"),
                CreatedAt = r.DateTime("created_at"),
            };
            if (!images.TryAdd(i.Id, i))
            {
                r.Error("image", $"image id {i.Id} is used twice");
                return;
            }

            if (promptsRead && r.Raw("prompt") is { Length: > 0 } && !prompts.ContainsKey(i.PromptId))
            {
                r.Error("prompt", $"prompt {i.PromptId} is not in prompts.csv");
            }

            if (r.Raw("width") is { Length: > 0 } && (i.Width is < 1 or > 65535))
            {
                r.Error("width", "must be between 1 and 65535 pixels");
            }

            if (r.Raw("height") is { Length: > 0 } && (i.Height is < 1 or > 65535))
            {
                r.Error("height", "must be between 1 and 65535 pixels");
            }

            if (!BundleFormat.TryParseFlags(r.Raw("flags"), out var flags))
            {
                r.Error("flags", $"'{r.Raw("flags")}' is not a ';'-list of broken, distorted, excluded");
            }

            i.Flags = flags;
            if (i.ContentHash is { } h && (h.Length != 64 || !h.All(char.IsAsciiHexDigit)))
            {
                r.Error("content_hash", "must be a SHA-256 in hex (64 characters)");
            }

            var file = r.OptionalString("file");
            if (file is null)
            {
                i.StoragePath = r.OptionalString("reference") ?? string.Empty;
                if (i.StoragePath.Length == 0)
                {
                    r.Error("file", "an image needs a file in the bundle or a reference");
                }
            }
            else if (!source.Exists(file))
            {
                r.Error("file", $"{file} is not in the bundle");
            }
            else if (BundleTables.InspectImage(source, file, r, "file") is { } facts)
            {
                if (i.ContentHash is { Length: 64 } expected && expected != facts.Sha256)
                {
                    r.Error("content_hash", $"{file} has SHA-256 {facts.Sha256}, not the {expected} given here");
                }

                i.ContentHash = facts.Sha256;
                i.StoragePath = file;
                bundle.ImageFiles[i.Id] = file;
                bundle.CheckedImages[i.Id] = facts;
            }

            bundle.Images.Add(i);
        }

        // pairs.csv
        private void PairRow(TableRow r)
        {
            var p = new Pair
            {
                Id = r.Long("pair"),
                Image0Id = r.Long("image_0"),
                Image1Id = r.Long("image_1"),
                Kind = r.Token("kind", PairKind.Annotation, Tokens.TryParse),
                BatchId = r.OptionalLong("batch"),
                ExpectedPreference = r.OptionalDouble("expected_preference"),
                ExternalId = r.OptionalString("external_id"),
                CreatedAt = r.DateTime("created_at"),
            };
            if (!pairs.TryAdd(p.Id, p))
            {
                r.Error("pair", $"pair id {p.Id} is used twice");
                return;
            }

            var ok0 = images.TryGetValue(p.Image0Id, out var i0);
            var ok1 = images.TryGetValue(p.Image1Id, out var i1);
            if (!ok0 && imagesRead && r.Raw("image_0") is { Length: > 0 })
            {
                r.Error("image_0", $"image {p.Image0Id} is not in images.csv");
            }

            if (!ok1 && imagesRead && r.Raw("image_1") is { Length: > 0 })
            {
                r.Error("image_1", $"image {p.Image1Id} is not in images.csv");
            }

            if (ok0 && ok1 && p.Image0Id == p.Image1Id)
            {
                r.Error("image_1", "a pair needs two different images");
            }
            else if (ok0 && ok1 && i0!.PromptId != i1!.PromptId)
            {
                r.Error("image_1", $"images {p.Image0Id} and {p.Image1Id} belong to different prompts; a pair compares images of one prompt");
            }

            if (p.BatchId is { } b && !batches.Contains(b))
            {
                r.Error("batch", $"batch {b} is not in study.json");
            }

            if (p.ExpectedPreference is { } e && e is < -1 or > 1)
            {
                r.Error("expected_preference", $"{e} is outside [-1, 1]");
            }

            bundle.Pairs.Add(p);
        }

        // participants.csv: pseudonyms and the study's identity-marker columns.
        private void ParticipantRow(TableRow r)
        {
            var p = new Participant
            {
                Id = participants.Count + 1,
                Pseudonym = r.String("participant"),
                PreferredLanguage = r.String("language"),
                CreatedAt = r.DateTime("created_at"),
                WithdrawnAt = r.OptionalDateTime("withdrawn_at"),
            };
            if (p.Pseudonym.Length > 0 && !participants.TryAdd(p.Pseudonym, p))
            {
                r.Error("participant", $"participant {p.Pseudonym} is listed twice");
                return;
            }

            bundle.Participants.Add(p);
            foreach (var marker in study.IdentityMarkers.Where(r.HasColumn))
            {
                var value = r.OptionalString(marker);
                if (value is null)
                {
                    continue;
                }

                if (p.WithdrawnAt is not null)
                {
                    r.Error(marker, "a participant who withdrew has no identity markers; leave it empty");
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
                markerRows.Add((r, p, marker));
            }
        }

        private Participant? FindParticipant(TableRow r, string column)
        {
            var pseudonym = r.String(column);
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
                r.Error(column, $"participant {pseudonym} is not in participants.csv");
            }

            return null;
        }

        // consents.csv: a marker value needs the participant's consent to that marker.
        private void ConsentRow(TableRow r)
        {
            var p = FindParticipant(r, "participant");
            var c = new ConsentRecord
            {
                ParticipantId = p?.Id ?? 0,
                DocumentVersion = r.String("version"),
                Language = r.String("language"),
                ConsentedAt = r.DateTime("consented_at"),
                WithdrawnAt = r.OptionalDateTime("withdrawn_at"),
            };
            foreach (var (column, consent) in new[] { ("markers_consented", true), ("markers_declined", false) })
            {
                foreach (var m in BundleFormat.SplitList(r.Raw(column)))
                {
                    if (!study.IdentityMarkers.Contains(m))
                    {
                        r.Error(column, $"'{m}' is not an identity marker of the study ({string.Join(", ", study.IdentityMarkers)})");
                    }
                    else if (!c.MarkerConsents.TryAdd(m, consent))
                    {
                        r.Error(column, $"marker '{m}' is listed twice");
                    }
                }
            }

            bundle.Consents.Add(c);
        }

        private void CheckMarkerConsents()
        {
            foreach (var (r, p, marker) in markerRows)
            {
                var latest = bundle.Consents.Where(c => c.ParticipantId == p.Id && c.WithdrawnAt is null).MaxBy(c => c.ConsentedAt);
                if (latest is null || !latest.MarkerConsents.TryGetValue(marker, out var ok) || !ok)
                {
                    r.Error(marker, $"participant {p.Pseudonym} has not consented to storing '{marker}' (consents.csv); an identity marker is never stored without consent");
                }
            }
        }

        // assignments.csv
        private void AssignmentRow(TableRow r)
        {
            var p = FindParticipant(r, "participant");
            var a = new Assignment
            {
                Id = r.Long("assignment"),
                ParticipantId = p?.Id ?? 0,
                PairId = r.Long("pair"),
                BatchId = r.OptionalLong("batch"),
                Image0OnLeft = r.Side("image_0_side") ?? true,
                Language = r.String("language"),
                ServedAt = r.DateTime("served_at"),
            };
            if (!assignments.TryAdd(a.Id, a))
            {
                r.Error("assignment", $"assignment id {a.Id} is used twice");
                return;
            }

            if (pairsRead && r.Raw("pair") is { Length: > 0 } && !pairs.ContainsKey(a.PairId))
            {
                r.Error("pair", $"pair {a.PairId} is not in pairs.csv");
            }

            if (a.BatchId is { } b && !batches.Contains(b))
            {
                r.Error("batch", $"batch {b} is not in study.json");
            }

            foreach (var key in BundleFormat.SplitList(r.Raw("criteria_shown")))
            {
                if (!criteria.Contains(key))
                {
                    r.Error("criteria_shown", $"unknown criterion '{key}' (the study has {string.Join(", ", criteria)})");
                }
                else if (a.CriteriaShown.Contains(key))
                {
                    r.Error("criteria_shown", $"criterion '{key}' is shown twice");
                }
                else
                {
                    a.CriteriaShown.Add(key);
                }
            }

            if (a.CriteriaShown.Count == 0 && r.Raw("criteria_shown") is { Length: 0 })
            {
                r.Error("criteria_shown", "an assignment shows at least one criterion");
            }

            bundle.Assignments.Add(a);
        }

        // annotations.csv, long form: rows of one annotation must agree on the annotation's fields.
        private void AnnotationRow(TableRow r)
        {
            var id = r.Long("annotation");
            var p = FindParticipant(r, "participant");
            var assignmentId = r.Long("assignment");
            var pairId = r.Long("pair");
            var side = r.Side("image_0_side");
            var fields = new Annotation
            {
                Id = id,
                AssignmentId = assignmentId,
                ParticipantId = p?.Id ?? 0,
                PairId = pairId,
                Comment = r.OptionalString("comment"),
                ClientDurationMs = r.OptionalInt("client_duration_ms"),
                ServerDurationMs = r.OptionalInt("server_duration_ms"),
                ClientRequestId = r.String("client_request_id"),
                Language = r.String("language"),
                SubmittedAt = r.DateTime("submitted_at"),
                SliderSteps = r.OptionalInt("slider_steps"),
            };
            if (fields.SliderSteps is { } steps && SliderScale.Problem(steps) is { } problem)
            {
                r.Error("slider_steps", problem);
            }

            var a = FirstRowOrSame(r, fields, p);
            AddScore(r, a, side);
        }

        // The first row of an annotation makes it; later rows must repeat its fields.
        private Annotation FirstRowOrSame(TableRow r, Annotation fields, Participant? p)
        {
            if (!annotations.TryGetValue(fields.Id, out var a))
            {
                a = fields;
                annotations[fields.Id] = a;
                bundle.Annotations.Add(a);
                if (!assignments.TryGetValue(fields.AssignmentId, out var asg))
                {
                    if (assignmentsRead && r.Raw("assignment") is { Length: > 0 })
                    {
                        r.Error("assignment", $"assignment {fields.AssignmentId} is not in assignments.csv");
                    }
                }
                else
                {
                    if (p is not null && asg.ParticipantId != p.Id)
                    {
                        r.Error("participant", $"assignment {fields.AssignmentId} was served to another participant");
                    }

                    if (asg.PairId != fields.PairId)
                    {
                        r.Error("pair", $"assignment {fields.AssignmentId} is for pair {asg.PairId}, not {fields.PairId}");
                    }
                }

                if (a.ClientRequestId.Length > 0 && !requestIds.Add((a.ParticipantId, a.ClientRequestId)))
                {
                    r.Error("client_request_id", $"client request id '{a.ClientRequestId}' is used by two annotations of the same participant");
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
                    ("submitted_at", a.SubmittedAt == fields.SubmittedAt), ("slider_steps", a.SliderSteps == fields.SliderSteps),
                })
                {
                    if (!same)
                    {
                        r.Error(column, $"differs from the first row of annotation {fields.Id}; the rows of one annotation must agree");
                    }
                }
            }

            return a;
        }

        // The row's criterion answer: known, shown in the assignment, once; side and preference consistent.
        private void AddScore(TableRow r, Annotation a, bool? side)
        {
            var key = r.String("criterion");
            var score = r.OptionalDouble("score");
            var shown = assignments.GetValueOrDefault(a.AssignmentId);
            if (score is { } s && s is < -1 or > 1)
            {
                r.Error("score", $"{s} is outside [-1, 1]");
            }
            else if (score is { } onScale && a.SliderSteps is { } steps && !SliderScale.IsOnScale(onScale, steps))
            {
                r.Error("score", $"{CsvWriter.Format(onScale)} is not a position of a slider with {SliderScale.Describe(steps)} (slider_steps {steps})");
            }

            if (key.Length > 0 && !criteria.Contains(key))
            {
                r.Error("criterion", $"unknown criterion '{key}' (the study has {string.Join(", ", criteria)})");
            }
            else if (key.Length > 0 && shown is not null && !shown.CriteriaShown.Contains(key))
            {
                r.Error("criterion", $"criterion '{key}' was not shown in assignment {shown.Id} ({string.Join(", ", shown.CriteriaShown)})");
            }
            else if (a.Scores.Any(x => x.CriterionKey == key))
            {
                r.Error("criterion", $"annotation {a.Id} answers '{key}' twice");
            }

            if (shown is not null && side is { } left && left != shown.Image0OnLeft)
            {
                r.Error("image_0_side", $"assignment {shown.Id} showed image_0 on the {BundleFormat.Side(shown.Image0OnLeft)}");
            }

            if (r.HasColumn("preference") && side is { } l)
            {
                var given = r.OptionalDouble("preference");
                var expected = AnnotationScore.Orient(score, l);
                if (given != expected && !(given is { } g && expected is { } x && Math.Abs(g - x) < 1e-12))
                {
                    r.Error("preference", $"does not match score {CsvWriter.Format(score)} with image_0 on the {BundleFormat.Side(l)} (expected {CsvWriter.Format(expected)})");
                }
            }

            a.Scores.Add(new AnnotationScore
            {
                CriterionKey = key,
                Position = r.OptionalInt("position") ?? (shown?.CriteriaShown.IndexOf(key) is { } i and >= 0 ? i : a.Scores.Count),
                Score = score,
            });
        }

        // reports.csv
        private void ReportRow(TableRow r)
        {
            var report = new ImageReport
            {
                ImageId = r.Long("image"),
                ParticipantId = FindParticipant(r, "participant")?.Id ?? 0,
                AssignmentId = r.OptionalLong("assignment"),
                Reason = r.Token("reason", ImageReportReason.Other, Tokens.TryParse),
                Comment = r.OptionalString("comment"),
                ReportedAt = r.DateTime("reported_at"),
            };
            CheckImage(r, report.ImageId);
            if (assignmentsRead && report.AssignmentId is { } a && !assignments.ContainsKey(a))
            {
                r.Error("assignment", $"assignment {a} is not in assignments.csv");
            }

            bundle.Reports.Add(report);
        }

        // ratings.csv
        private void RatingRow(TableRow r)
        {
            var rating = new LikertRating
            {
                ParticipantId = FindParticipant(r, "participant")?.Id ?? 0,
                ImageId = r.Long("image"),
                QuestionKey = r.String("question"),
                Value = r.Int("value"),
                SelectedCategories = [.. BundleFormat.SplitList(r.Raw("categories"))],
                ClientRequestId = r.String("client_request_id"),
                ClientDurationMs = r.OptionalInt("client_duration_ms"),
                ServerDurationMs = r.OptionalInt("server_duration_ms"),
                Language = r.String("language"),
                ServedAt = r.DateTime("served_at"),
                SubmittedAt = r.DateTime("submitted_at"),
            };
            CheckImage(r, rating.ImageId);
            if (r.Raw("value") is { Length: > 0 } && rating.Value is < 1 or > 5)
            {
                r.Error("value", $"{rating.Value} is not on the 1..5 scale");
            }

            if (rating.ClientRequestId.Length > 0 && !ratingRequests.Add((rating.ParticipantId, rating.ClientRequestId)))
            {
                r.Error("client_request_id", $"client request id '{rating.ClientRequestId}' is used twice by the same participant");
            }

            bundle.Ratings.Add(rating);
        }

        private void CheckImage(TableRow r, long image)
        {
            if (imagesRead && r.Raw("image") is { Length: > 0 } && !images.ContainsKey(image))
            {
                r.Error("image", $"image {image} is not in images.csv");
            }
        }
    }
}
