using System.Globalization;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Imports;

namespace Pluralist.Data.Bundles;

/// <summary>
/// Reads the survey export of the LIVS team's labeling platform (a zip or folder with
/// <c>answers.csv</c>, <c>pairs.csv</c>, <c>images.csv</c>, <c>prompts.csv</c>, <c>criteria.csv</c>)
/// into a <see cref="StudyBundle"/>; the mapping is documented in docs/formats.md. Every problem is
/// collected with file, line, column and field before anything is returned.
/// </summary>
public static partial class AipithetReader
{
    public const string AnswersCsv = "answers.csv";
    public const string PairsCsv = "pairs.csv";
    public const string ImagesCsv = "images.csv";
    public const string PromptsCsv = "prompts.csv";
    public const string CriteriaCsv = "criteria.csv";

    private static readonly string[] LabelColumns = ["label1Id", "label2Id", "label3Id"];
    private static readonly string[] LinkColumns = ["nextAnswerId", "prevAnswerId"];

    public static StudyBundle Read(string path, string? key = null, string promptLanguage = "en", ImportLimits? limits = null)
    {
        var source = BundleSource.Open(path, limits);
        try
        {
            return Read(source, key, promptLanguage);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    public static StudyBundle Read(IBundleSource source, string? key, string promptLanguage)
    {
        ArgumentNullException.ThrowIfNull(source);
        var study = new Study
        {
            Title = new LocalizedText(),
            IdentityMarkers = [.. Defaults.IdentityMarkers],
            // The platform ran LIVS's survey: its markers are defined as the LIVS preset asks them.
            IdentityQuestions = [.. IdentityPresets.Livs()],
        };
        var reading = new Reading(source, promptLanguage, new StudyBundle(study, source));
        reading.ReadTables(key);
        if (reading.Errors.Count > 0)
        {
            throw reading.Errors.ToException();
        }

        return reading.Bundle;
    }

    /// <summary>One read of one export: the five tables in dependency order, and what later tables look up in earlier ones.</summary>
    private sealed class Reading
    {
        private readonly IBundleSource source;
        private readonly string promptLanguage;
        private readonly Study study;
        private readonly StudyBundle bundle;
        private readonly Dictionary<string, Criterion> criteria = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Prompt> prompts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Scenario> scenarios = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Image> images = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (Pair Pair, List<string> Criteria, string? Chapter)> pairs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Batch> chapters = new(StringComparer.Ordinal);
        private readonly HashSet<string> answerIds = new(StringComparer.Ordinal);
        private readonly List<(TableRow Row, string Column, string Id)> links = [];
        private readonly Dictionary<string, Participant> participants = new(StringComparer.Ordinal);
        private string? survey;

        public Reading(IBundleSource source, string promptLanguage, StudyBundle bundle)
        {
            this.source = source;
            this.promptLanguage = promptLanguage;
            this.bundle = bundle;
            study = bundle.Study;
            Errors = new ImportErrors(source.Limits.MaxReportedErrors);
        }

        public ImportErrors Errors { get; }

        public StudyBundle Bundle => bundle;

        public void ReadTables(string? key)
        {
            Table(CriteriaCsv, ["lang", "id", "text"], CriterionRow);
            KeyCriteria();
            Table(PromptsCsv, ["id", "prompt", "createdAt"], PromptRow);
            Table(ImagesCsv, ["id", "path", "width", "height", "promptId", "createdAt"], ImageRow);
            Table(PairsCsv, ["id", "image1Id", "image2Id", "label1Id", "createdAt"], PairRow);
            study.CriteriaPerPair = Math.Max(1, pairs.Values.Select(p => p.Criteria.Count(k => k.Length > 0)).DefaultIfEmpty(3).Max());
            Table(AnswersCsv, ["id", "pairId", "surveyId", "userId", "score1", "scoreAnswered1", "timeToAnswerServer", "timeToAnswerClient", "answeredAt", "createdAt"], AnswerRow);
            CheckLinks();
            NameStudy(key);
        }

        private void Table(string file, string[] columns, Action<TableRow> onRow) =>
            BundleTables.Read(source, file, required: true, Errors, columns, onRow);

        // Criterion keys are slugs of the English names, numbered when two names give the same slug.
        private void KeyCriteria()
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in study.Criteria)
            {
                var slug = Slug(c.Name.Get("en"));
                var k = slug.Length == 0 ? "criterion" : slug;
                for (var n = 2; !keys.Add(k); n++)
                {
                    k = $"{slug}-{n.ToString(CultureInfo.InvariantCulture)}";
                }

                c.Key = k;
            }

            if (study.Criteria.Count == 0 && source.Exists(CriteriaCsv))
            {
                Errors.Add(new CsvError(CriteriaCsv, 1, 0, string.Empty, "no criteria: the survey's criteria are needed to read its answers"));
            }
        }

        // nextAnswerId and prevAnswerId name answers of the same export.
        private void CheckLinks()
        {
            foreach (var (r, column, other) in links)
            {
                if (!answerIds.Contains(other))
                {
                    r.Error(column, $"answer {other} is not in answers.csv");
                }
            }
        }

        // The study is named after its survey; its key is --key or one made from the survey id.
        private void NameStudy(string? key)
        {
            survey ??= "survey";
            study.Key = key ?? "aipithet-" + (Slug(survey) is { Length: > 0 } s1 ? s1 : "survey");
            study.Title["en"] = $"Imported survey {survey}";
            study.Title["fr"] = $"Questionnaire importé {survey}";
            study.CreatedAt = bundle.Prompts.Select(p => p.CreatedAt).Concat(bundle.Pairs.Select(p => p.CreatedAt)).DefaultIfEmpty(DateTimeOffset.UnixEpoch).Min();
            if (StudyKeys.Problem(study.Key) is { } keyProblem)
            {
                Errors.Add(new CsvError(AnswersCsv, 0, 0, "surveyId", $"{keyProblem}; give one with --key"));
            }
        }

        // criteria.csv: one row per criterion and language.
        private void CriterionRow(TableRow r)
        {
            var id = r.String("id");
            var lang = r.String("lang").ToLowerInvariant();
            var text = r.String("text");
            if (id.Length == 0 || lang.Length == 0 || text.Length == 0)
            {
                return;
            }

            if (!criteria.TryGetValue(id, out var c))
            {
                c = new Criterion { Key = id, Position = criteria.Count };
                criteria[id] = c;
                study.Criteria.Add(c);
            }

            if (c.Name.Has(lang))
            {
                r.Error("lang", $"criterion {id} has two rows in '{lang}'");
            }

            c.Name[lang] = text;
            if (r.OptionalString("description") is { } d)
            {
                c.Definition[lang] = d;
            }
        }

        // prompts.csv
        private void PromptRow(TableRow r)
        {
            var id = r.String("id");
            var p = new Prompt
            {
                Id = prompts.Count + 1,
                Text = r.String("prompt"),
                Language = promptLanguage,
                Source = PromptMethod(r),
                ExternalId = id,
                CreatedAt = Date(r, "createdAt") ?? default,
            };
            if (r.OptionalString("scenarioId") is { } sc)
            {
                if (!scenarios.TryGetValue(sc, out var scenario))
                {
                    scenario = new Scenario { Id = scenarios.Count + 1, Name = sc };
                    scenarios[sc] = scenario;
                    bundle.Scenarios.Add(scenario);
                }

                p.ScenarioId = scenario.Id;
            }

            if (id.Length > 0 && !prompts.TryAdd(id, p))
            {
                r.Error("id", $"prompt id {id} is used twice");
                return;
            }

            bundle.Prompts.Add(p);
        }

        // images.csv: the file, when the export carries it, else a reference to where it was stored.
        private void ImageRow(TableRow r)
        {
            var id = r.String("id");
            var promptId = r.String("promptId");
            var path = r.String("path");
            var bucket = r.OptionalString("bucket");
            var i = new Image
            {
                Id = images.Count + 1,
                Generator = "aipithet/" + (r.OptionalString("method") ?? "unknown"),
                Width = r.Int("width"),
                Height = r.Int("height"),
                ExternalId = id,
                CreatedAt = Date(r, "createdAt") ?? default,
                Flags = (r.OptionalInt("declaredNotFoundCount") ?? 0) > 0 ? ImageFlags.Broken : ImageFlags.None,
                StoragePath = bucket is null ? path : $"{bucket}/{path}",
            };
            if (id.Length > 0 && !images.TryAdd(id, i))
            {
                r.Error("id", $"image id {id} is used twice");
                return;
            }

            if (promptId.Length > 0)
            {
                if (prompts.TryGetValue(promptId, out var p))
                {
                    i.PromptId = p.Id;
                }
                else
                {
                    r.Error("promptId", $"prompt {promptId} is not in prompts.csv");
                }
            }

            if (i.Width < 0 || i.Height < 0)
            {
                r.Error(i.Width < 0 ? "width" : "height", "must not be negative");
            }

            var file = new[] { path, $"images/{path}", bucket is null ? null : $"{bucket}/{path}" }
                .FirstOrDefault(f => !string.IsNullOrEmpty(f) && source.Exists(f));
            if (file is not null && BundleTables.InspectImage(source, file, r, "path") is { } facts)
            {
                i.ContentHash = facts.Sha256;
                bundle.ImageFiles[i.Id] = file;
                bundle.CheckedImages[i.Id] = facts;
            }

            bundle.Images.Add(i);
        }

        // pairs.csv: image1 -> image_0, image2 -> image_1, labels -> the criteria shown, chapters -> batches.
        private void PairRow(TableRow r)
        {
            var id = r.String("id");
            var p = new Pair
            {
                Id = pairs.Count + 1,
                Kind = PairType(r),
                ExternalId = id,
                CreatedAt = Date(r, "createdAt") ?? default,
            };
            var im1 = r.String("image1Id");
            var im2 = r.String("image2Id");
            Image? i1 = null, i2 = null;
            if (im1.Length > 0 && !images.TryGetValue(im1, out i1))
            {
                r.Error("image1Id", $"image {im1} is not in images.csv");
            }

            if (im2.Length > 0 && !images.TryGetValue(im2, out i2))
            {
                r.Error("image2Id", $"image {im2} is not in images.csv");
            }

            if (i1 is not null && i2 is not null)
            {
                p.Image0Id = i1.Id;
                p.Image1Id = i2.Id;
                if (i1 == i2)
                {
                    r.Error("image2Id", "a pair needs two different images");
                }
                else if (i1.PromptId != i2.PromptId)
                {
                    r.Error("image2Id", $"images {im1} and {im2} belong to different prompts; a pair compares images of one prompt");
                }
            }

            var shown = new List<string>();
            foreach (var column in LabelColumns)
            {
                if (r.OptionalString(column) is not { } label)
                {
                    shown.Add(string.Empty);
                    continue;
                }

                if (!criteria.TryGetValue(label, out var c))
                {
                    r.Error(column, $"criterion {label} is not in criteria.csv");
                    shown.Add(string.Empty);
                }
                else if (shown.Contains(c.Key))
                {
                    r.Error(column, $"criterion {label} is shown twice in this pair");
                    shown.Add(string.Empty);
                }
                else
                {
                    shown.Add(c.Key);
                }
            }

            var chapter = r.OptionalString("chapterId");
            if (id.Length > 0 && !pairs.TryAdd(id, (p, shown, chapter)))
            {
                r.Error("id", $"pair id {id} is used twice");
                return;
            }

            p.BatchId = Chapter(chapter, p.CreatedAt)?.Id;
            bundle.Pairs.Add(p);
        }

        // answers.csv: each answer is an assignment (what was shown) and, once answered, an annotation.
        private void AnswerRow(TableRow r)
        {
            var id = r.String("id");
            if (id.Length > 0 && !answerIds.Add(id))
            {
                r.Error("id", $"answer id {id} is used twice");
                return;
            }

            var surveyId = r.String("surveyId");
            if (survey is null)
            {
                survey = surveyId;
            }
            else if (surveyId.Length > 0 && surveyId != survey)
            {
                r.Error("surveyId", $"answers of two surveys ({survey} and {surveyId}); import one survey at a time");
            }

            foreach (var column in LinkColumns)
            {
                if (r.OptionalString(column) is { } other)
                {
                    links.Add((r, column, other));
                }
            }

            var served = Date(r, "createdAt") ?? default;
            var answered = Date(r, "answeredAt");
            var serverMs = Interval(r, "timeToAnswerServer");
            var clientMs = Interval(r, "timeToAnswerClient");
            var userId = r.String("userId");
            var pairId = r.String("pairId");
            if (!pairs.TryGetValue(pairId, out var pair))
            {
                if (pairId.Length > 0)
                {
                    r.Error("pairId", $"pair {pairId} is not in pairs.csv");
                }

                return;
            }

            if (userId.Length == 0)
            {
                return;
            }

            if (!participants.TryGetValue(userId, out var participant))
            {
                participant = new Participant { Id = participants.Count + 1, Pseudonym = "aip-" + userId, PreferredLanguage = promptLanguage, CreatedAt = served };
                participants[userId] = participant;
                bundle.Participants.Add(participant);
            }
            else if (served < participant.CreatedAt)
            {
                participant.CreatedAt = served;
            }

            var chapter = r.OptionalString("chapterId") ?? pair.Chapter;
            var assignment = new Assignment
            {
                Id = bundle.Assignments.Count + 1,
                ParticipantId = participant.Id,
                PairId = pair.Pair.Id,
                BatchId = Chapter(chapter, served)?.Id,
                CriteriaShown = [.. pair.Criteria.Where(k => k.Length > 0)],
                Image0OnLeft = true,
                Language = promptLanguage,
                ServedAt = served,
            };
            bundle.Assignments.Add(assignment);
            if (answered is not { } submitted)
            {
                return; // served, never answered
            }

            Chapter(chapter, submitted);
            var annotation = new Annotation
            {
                Id = bundle.Annotations.Count + 1,
                AssignmentId = assignment.Id,
                ParticipantId = participant.Id,
                PairId = pair.Pair.Id,
                Comment = r.OptionalString("comment"),
                ClientDurationMs = clientMs,
                ServerDurationMs = serverMs,
                ClientRequestId = "aipithet:" + id,
                Language = promptLanguage,
                SubmittedAt = submitted,
            };
            AddScores(r, pair.Criteria, assignment, annotation);
            bundle.Annotations.Add(annotation);
        }

        // score k answers label k; it is kept only when scoreAnswered k is true (else "shown, not answered").
        private static void AddScores(TableRow r, List<string> labels, Assignment assignment, Annotation annotation)
        {
            for (var k = 0; k < 3; k++)
            {
                var scoreColumn = $"score{k + 1}";
                var answeredColumn = $"scoreAnswered{k + 1}";
                var key = labels[k];
                var score = r.OptionalDouble(scoreColumn);
                var wasAnswered = r.OptionalBool(answeredColumn) ?? false;
                if (key.Length == 0)
                {
                    if (wasAnswered)
                    {
                        r.Error(answeredColumn, $"the pair has no label {k + 1}, so score {k + 1} cannot be answered");
                    }

                    continue;
                }

                if (wasAnswered && score is null)
                {
                    r.Error(scoreColumn, "answered, but the score is empty");
                }
                else if (wasAnswered && score is { } s && s is < -1 or > 1)
                {
                    r.Error(scoreColumn, $"{s} is outside [-1, 1]");
                }

                annotation.Scores.Add(new AnnotationScore { CriterionKey = key, Position = assignment.CriteriaShown.IndexOf(key), Score = wasAnswered ? score : null });
            }
        }

        private Batch? Chapter(string? chapter, DateTimeOffset at)
        {
            if (chapter is null)
            {
                return null;
            }

            if (!chapters.TryGetValue(chapter, out var batch))
            {
                batch = new Batch { Id = chapters.Count + 1, Name = $"Chapter {chapter}", OpensAt = at, ClosesAt = at.AddSeconds(1), Distribution = PairDistribution.Fixed };
                chapters[chapter] = batch;
                study.Batches.Add(batch);
            }

            // The batch spans everything seen in the chapter.
            if (at < batch.OpensAt)
            {
                batch.OpensAt = at;
            }

            if (at >= batch.ClosesAt)
            {
                batch.ClosesAt = at.AddSeconds(1);
            }

            return batch;
        }
    }
}
