using System.Globalization;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imaging;

namespace Pluralist.Data.Imports;

/// <summary>
/// Reads DIVE-style Likert ratings with rater demographics (one row per rater, image and question; the Adversarial
/// Nibbler validation files are one such layout) into a Likert <see cref="StudyBundle"/>. Demographic columns
/// (<c>rater_*</c>) become identity answers only when the caller states that the release's raters consented to their
/// publication (<c>markersConsented</c> of <see cref="Read"/>); each rater then gets a consent record naming
/// those markers. Columns: docs/formats.md, "Likert ratings (DIVE, Adversarial Nibbler)".
/// </summary>
public static class LikertCsvReader
{
    public const string DefaultKey = "likert-import";
    public const string ConsentVersion = "import";
    public const string Generator = "likert-import";

    private static readonly string[] Required = ["rater_id", "item_id", "prompt", "image", "rating"];
    private static readonly string[] PreferNotToSay = ["prefer not to say", "prefer-not-to-say", "prefer_not_to_say", "decline to state", "declined"];

    /// <summary>The identity marker a demographic column maps to (<c>rater_age_group</c> → <c>age-band</c>); null for a column that is not demographic.</summary>
    public static string? MarkerOf(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (!column.StartsWith("rater_", StringComparison.Ordinal) || column == "rater_id")
        {
            return null;
        }

        var rest = column["rater_".Length..];
        return rest switch
        {
            _ when rest.StartsWith("age", StringComparison.Ordinal) => "age-band",
            _ when rest.StartsWith("gender", StringComparison.Ordinal) => "gender",
            _ when rest.StartsWith("race", StringComparison.Ordinal) || rest.StartsWith("ethnic", StringComparison.Ordinal) => "ethnicity",
            _ when rest.StartsWith("disab", StringComparison.Ordinal) => "disability",
            _ when rest.StartsWith("language", StringComparison.Ordinal) => "languages",
            _ => AipithetReader.Slug(rest) is { Length: > 0 } slug ? slug : null,
        };
    }

    /// <summary>
    /// Reads <paramref name="path"/> (a CSV file whose folder holds the images, or a folder or .zip with <c>ratings.csv</c>).
    /// <paramref name="question"/> names the question for a file without a <c>question</c> column.
    /// </summary>
    public static DatasetRead Read(string path, string? key = null, string language = "en", bool markersConsented = false, string? question = null,
        ImportLimits? limits = null, IProgress<int>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var (root, file) = File.Exists(path) && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? (Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path))
            : (path, "ratings.csv");
        var source = BundleSource.Open(root, limits);
        try
        {
            var study = new Study
            {
                Key = key ?? DefaultKey,
                Title = new LocalizedText { [language] = "Likert ratings: " + Path.GetFileNameWithoutExtension(file) },
                TaskType = TaskType.Likert,
                CreatedAt = DateTimeOffset.UtcNow,
            };
            var bundle = new StudyBundle(study, source);
            var errors = new ImportErrors(source.Limits.MaxReportedErrors);
            var reading = new Reading(new BundleBuilder(bundle, language, study.CreatedAt), source, file, errors, markersConsented, question, progress);
            reading.Run();
            if (errors.Count > 0)
            {
                throw errors.ToException();
            }

            return new DatasetRead(bundle, reading.Notes);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private sealed class Reading(BundleBuilder build, IBundleSource source, string file, ImportErrors errors, bool markersConsented, string? fixedQuestion, IProgress<int>? progress)
    {
        private readonly Dictionary<string, ImageFacts?> _checked = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string Prompt, string Image, int Line)> _items = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Rater, string Item, string Question), int> _rated = [];
        private readonly Dictionary<string, LikertItem> _questions = new(StringComparer.Ordinal);
        private readonly Dictionary<string, LikertItem> _categories = new(StringComparer.Ordinal);
        private readonly Dictionary<(long Participant, string Marker), (string? Value, int Line)> _markers = [];
        private List<(string Column, string Marker)> _demographics = [];
        private int _rows;

        public List<string> Notes { get; } = [];

        public void Run()
        {
            var required = fixedQuestion is null ? [.. Required, "question"] : Required;
            ImportCsv.Read(source, file, errors, required, Header, Row);
            var study = build.Bundle.Study;
            study.LikertQuestions = [.. _questions.Values];
            study.LikertCategories = [.. _categories.Values];
            if (_rows == 0 && errors.Count == 0)
            {
                errors.Add(new CsvError(file, 2, 0, string.Empty, "no rows: the file has a header but no ratings"));
            }

            if (_demographics.Count > 0 && !markersConsented)
            {
                Notes.Add($"{_demographics.Count} demographic column(s) left out ({string.Join(", ", _demographics.Select(d => d.Column))}): import them as identity markers only if the release's raters consented to their publication (--markers-consented)");
            }
            else if (markersConsented && errors.Count == 0)
            {
                study.IdentityMarkers = [.. _demographics.Select(d => d.Marker).Distinct()];
                study.ConsentDocuments.Add(new ConsentDocument
                {
                    Version = ConsentVersion,
                    Language = build.Language,
                    Text = $"Imported from {file}. The importer stated that the raters of this release consented to the publication of these fields: {string.Join(", ", _demographics.Select(d => d.Column))}.",
                    PublishedAt = build.At,
                });
                Notes.Add($"{build.Bundle.IdentityAnswers.Count} identity answer(s) from {_demographics.Count} demographic column(s), each rater's consent recorded as version '{ConsentVersion}'");
            }
        }

        private void Header(CsvTable table)
        {
            _demographics = [.. table.Columns.Select(c => (Column: c, Marker: MarkerOf(c))).Where(c => c.Marker is not null).Select(c => (c.Column, c.Marker!))];
            foreach (var clash in _demographics.GroupBy(d => d.Marker).Where(g => g.Count() > 1))
            {
                errors.Add(new CsvError(file, 1, 0, clash.First().Column, $"columns {string.Join(" and ", clash.Select(c => c.Column))} both map to the identity marker '{clash.Key}'; keep one"));
            }
        }

        private void Row(TableRow r)
        {
            _rows++;
            if (_rows % 1000 == 0)
            {
                progress?.Report(_rows);
            }

            var rater = r.String("rater_id");
            var item = r.String("item_id");
            var prompt = r.String("prompt");
            var image = r.String("image");
            var questionText = fixedQuestion ?? r.String("question");
            var rating = r.Int("rating");
            if (int.TryParse(r.OptionalString("rating"), System.Globalization.NumberStyles.Integer, CultureInfo.InvariantCulture, out _) && rating is < 1 or > 5)
            {
                r.Error("rating", string.Create(CultureInfo.InvariantCulture, $"{rating} is not on the 1..5 scale"));
            }

            var submitted = r.HasColumn("submitted_at") ? r.OptionalDateTime("submitted_at") : null;
            if (rater.Length == 0 || item.Length == 0 || prompt.Length == 0 || image.Length == 0 || questionText.Length == 0)
            {
                return;
            }

            if (_items.TryGetValue(item, out var known))
            {
                if (known.Prompt != prompt || known.Image != image)
                {
                    r.Error("item_id", $"item {item} is on line {known.Line.ToString(CultureInfo.InvariantCulture)} with another prompt or image");
                }
            }
            else
            {
                _items[item] = (prompt, image, r.Line);
            }

            var questionKey = AipithetReader.Slug(questionText) is { Length: > 0 } q ? q : "question";
            if (_rated.TryGetValue((rater, item, questionKey), out var first))
            {
                r.Error("item_id", $"rater {rater} rated item {item} on '{questionText}' twice (first on line {first.ToString(CultureInfo.InvariantCulture)})");
                return;
            }

            _rated[(rater, item, questionKey)] = r.Line;
            var facts = ImportCsv.Image(source, image, r, "image", _checked);
            var categories = r.HasColumn("categories") && r.OptionalString("categories") is { } cats
                ? cats.Split([';', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [];
            var participant = build.Participant(rater, out var isNew);
            if (isNew && markersConsented && _demographics.Count > 0)
            {
                build.Bundle.Consents.Add(new ConsentRecord
                {
                    Id = build.Bundle.Consents.Count + 1,
                    ParticipantId = participant.Id,
                    DocumentVersion = ConsentVersion,
                    Language = build.Language,
                    ConsentedAt = build.At,
                    MarkerConsents = _demographics.ToDictionary(d => d.Marker, _ => true),
                });
            }

            if (markersConsented)
            {
                Demographics(r, participant);
            }

            if (facts is null || errors.Count > 0)
            {
                return;
            }

            if (!_questions.ContainsKey(questionKey))
            {
                _questions[questionKey] = new LikertItem { Key = questionKey, Text = new LocalizedText { [build.Language] = questionText } };
            }

            var selected = new List<string>();
            foreach (var c in categories)
            {
                var ck = AipithetReader.Slug(c) is { Length: > 0 } k ? k : "category";
                _categories.TryAdd(ck, new LikertItem { Key = ck, Text = new LocalizedText { [build.Language] = c } });
                if (!selected.Contains(ck))
                {
                    selected.Add(ck);
                }
            }

            var p = build.Prompt(prompt, item);
            var img = build.Image(image, p, facts, Generator, item);
            build.Bundle.Ratings.Add(new LikertRating
            {
                Id = build.Bundle.Ratings.Count + 1,
                ParticipantId = participant.Id,
                ImageId = img.Id,
                QuestionKey = questionKey,
                Value = rating,
                SelectedCategories = selected,
                ClientRequestId = string.Create(CultureInfo.InvariantCulture, $"likert:{file}:{r.Line}"),
                Language = build.Language,
                ServedAt = submitted ?? build.At,
                SubmittedAt = submitted ?? build.At,
            });
        }

        // A rater's demographics are given on each of their rows; they must agree.
        private void Demographics(TableRow r, Participant participant)
        {
            foreach (var (column, marker) in _demographics)
            {
                var raw = r.OptionalString(column)?.Trim();
                var value = raw is null || PreferNotToSay.Contains(raw.ToLowerInvariant()) ? null : raw;
                if (_markers.TryGetValue((participant.Id, marker), out var known))
                {
                    if (known.Value != value)
                    {
                        r.Error(column, $"'{raw}' differs from '{known.Value}' given for the same rater on line {known.Line.ToString(CultureInfo.InvariantCulture)}");
                    }

                    continue;
                }

                _markers[(participant.Id, marker)] = (value, r.Line);

                if (raw is null)
                {
                    continue; // not asked or left empty: no answer
                }

                build.Bundle.IdentityAnswers.Add(new IdentityAnswer
                {
                    Id = build.Bundle.IdentityAnswers.Count + 1,
                    ParticipantId = participant.Id,
                    Marker = marker,
                    Value = value,
                    PreferNotToSay = value is null,
                    AnsweredAt = build.At,
                });
            }
        }
    }
}
