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
/// those markers. The CSV is read twice: a checking pass collects every problem with file, line and field and keeps
/// 128-bit keys only (per item, per rater and marker with its value, and per row two for the duplicate checks;
/// <see cref="ImportKey"/>); the ratings are read again while they are written, in chunks, in the same transaction
/// (<see cref="StudyBundle.StreamedRatings"/>), and that pass makes the prompts, images and participants (with their
/// consent records and identity answers) as it first meets them (<see cref="StudyBundle.FirstMet"/>). Columns:
/// docs/formats.md, "Likert ratings (DIVE, Adversarial Nibbler)".
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
    /// The key of a question: a default DIVE question's key when the text is one of its texts (any language, case and
    /// surrounding space ignored), so the study report's harm-to-self versus harm-to-others difference applies; else
    /// the text's slug.
    /// </summary>
    public static string QuestionKey(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        foreach (var q in Defaults.LikertQuestions)
        {
            if (q.Text.Any(t => string.Equals(t.Value.Trim(), trimmed, StringComparison.OrdinalIgnoreCase)))
            {
                return q.Key;
            }
        }

        return AipithetReader.Slug(trimmed) is { Length: > 0 } slug ? slug : "question";
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

            bundle.StreamedRatings = StreamedRatings.Of(reading.Ratings, reading.ReadAgain);
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
        // Shared with the pass that reads the ratings again.
        private Dictionary<string, ImageFacts?> _checked = new(StringComparer.Ordinal);
        // Per item id (its 128-bit key), the key of its prompt and image and the line that first gave them.
        private Dictionary<UInt128, (UInt128 Content, int Line)> _items = [];
        private Dictionary<string, LikertItem> _questions = new(StringComparer.Ordinal);
        private Dictionary<string, LikertItem> _categories = new(StringComparer.Ordinal);
        // Per rater (128-bit key) and marker, the value the first pass found and its line.
        private readonly Dictionary<(UInt128 Rater, string Marker), (string? Value, int Line)> _markers = [];
        private int _identityAnswers;
        // Per row, the checking pass keeps (rater, item, question) and (rater, image, question) as 128-bit keys with their line.
        private readonly Dictionary<UInt128, int> _rated = [];
        private readonly Dictionary<UInt128, int> _ratedImage = [];
        private bool _again;
        private List<(string Column, string Marker)> _demographics = [];
        private int _rows;

        public List<string> Notes { get; } = [];

        /// <summary>Ratings the checking pass found (one per row).</summary>
        public long Ratings { get; private set; }

        private string[] RequiredColumns => fixedQuestion is null ? [.. Required, "question"] : Required;

        public void Run()
        {
            ImportCsv.Read(source, file, errors, RequiredColumns, Header, r =>
            {
                if (Row(r) is not null)
                {
                    Ratings++;
                }
            });
            _rated.Clear();
            _rated.TrimExcess();
            _ratedImage.Clear();
            _ratedImage.TrimExcess();
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
                Notes.Add($"{_identityAnswers} identity answer(s) from {_demographics.Count} demographic column(s), each rater's consent recorded as version '{ConsentVersion}'");
            }
        }

        /// <summary>The ratings again, row by row, with the same checks (a row that now fails means the file changed).</summary>
        public IEnumerable<LikertRating> ReadAgain()
        {
            var problems = new ImportErrors(1);
            var again = new Reading(build, source, file, problems, markersConsented, fixedQuestion, null)
            {
                _checked = _checked,
                _items = _items,
                _questions = _questions,
                _categories = _categories,
                _again = true,
            };
            foreach (var r in ImportCsv.Rows(source, file, problems, RequiredColumns, again.Header))
            {
                var rating = again.Row(r);
                if (problems.Count > 0 || rating is null)
                {
                    var why = problems.Count > 0 ? problems.ToException().Message : string.Create(CultureInfo.InvariantCulture, $"line {r.Line} gives no rating now");
                    throw new BundleException([new CsvError(file, r.Line, 0, string.Empty, $"{file} changed while the import was running ({why}); nothing was imported")]);
                }

                yield return rating;
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

        private LikertRating? Row(TableRow r)
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
            var durationMs = r.HasColumn("duration_ms") ? r.OptionalInt("duration_ms") : null;
            if (durationMs < 0)
            {
                r.Error("duration_ms", string.Create(CultureInfo.InvariantCulture, $"{durationMs} is negative: the time the rater took, in milliseconds"));
            }
            if (rater.Length == 0 || item.Length == 0 || prompt.Length == 0 || image.Length == 0 || questionText.Length == 0)
            {
                return null;
            }

            var itemKey = ImportKey.Of(item);
            var content = ImportKey.Of(prompt, image);
            if (_items.TryGetValue(itemKey, out var known))
            {
                if (known.Content != content)
                {
                    r.Error("item_id", $"item {item} is on line {known.Line.ToString(CultureInfo.InvariantCulture)} with another prompt or image");
                }
            }
            else
            {
                _items[itemKey] = (content, r.Line);
            }

            var questionKey = QuestionKey(questionText);
            if (!_again)
            {
                // The second pass reads rows the first found unique.
                var ratedKey = ImportKey.Of(rater, item, questionKey);
                var imageKey = ImportKey.Of(rater, image, questionKey);
                if (_rated.TryGetValue(ratedKey, out var first))
                {
                    r.Error("item_id", $"rater {rater} rated item {item} on '{questionText}' twice (first on line {first.ToString(CultureInfo.InvariantCulture)})");
                    return null;
                }

                // Two items may show the same file; the store keeps one value per participant, image and question.
                if (_ratedImage.TryGetValue(imageKey, out var earlier))
                {
                    r.Error("image", $"rater {rater} rated {image} on '{questionText}' already on line {earlier.ToString(CultureInfo.InvariantCulture)} (through another item); a study keeps one value per rater, image and question");
                    return null;
                }

                _rated[ratedKey] = r.Line;
                _ratedImage[imageKey] = r.Line;
            }
            var facts = ImportCsv.Image(source, image, r, "image", _checked);
            var categories = r.HasColumn("categories") && r.OptionalString("categories") is { } cats
                ? cats.Split([';', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [];
            if (markersConsented && !_again)
            {
                Demographics(r, ImportKey.Of(rater)); // checked by the first pass; the second writes a rater's answers from their first row
            }

            if (facts is null || errors.Count > 0)
            {
                return null;
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

            if (!_again)
            {
                return new LikertRating(); // the checking pass only counts the ratings
            }

            // The second pass makes the prompts, images and participants (with consent and identity answers) as it first meets them.
            var participantId = build.ParticipantId(rater, out var isNew);
            if (isNew && markersConsented && _demographics.Count > 0)
            {
                build.Met.Consents.Add(new ConsentRecord
                {
                    ParticipantId = participantId,
                    DocumentVersion = ConsentVersion,
                    Language = build.Language,
                    ConsentedAt = build.At,
                    MarkerConsents = _demographics.ToDictionary(d => d.Marker, _ => true),
                });
                foreach (var (marker, raw, value) in Markers(r))
                {
                    if (raw is not null)
                    {
                        build.Met.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = participantId, Marker = marker, Value = value, PreferNotToSay = value is null, AnsweredAt = build.At });
                    }
                }
            }

            var p = build.PromptId(prompt, item);
            var img = build.ImageId(image, p, facts, Generator, item);
            return new LikertRating
            {
                ParticipantId = participantId,
                ImageId = img,
                QuestionKey = questionKey,
                Value = rating,
                SelectedCategories = selected,
                ClientDurationMs = durationMs,
                ClientRequestId = string.Create(CultureInfo.InvariantCulture, $"likert:{file}:{r.Line}"),
                Language = build.Language,
                ServedAt = submitted ?? build.At,
                SubmittedAt = submitted ?? build.At,
            };
        }

        // A rater's demographics are given on each of their rows; they must agree.
        private void Demographics(TableRow r, UInt128 rater)
        {
            foreach (var ((column, marker), (_, raw, value)) in _demographics.Zip(Markers(r)))
            {
                if (_markers.TryGetValue((rater, marker), out var known))
                {
                    if (known.Value != value)
                    {
                        r.Error(column, $"'{raw}' differs from '{known.Value}' given for the same rater on line {known.Line.ToString(CultureInfo.InvariantCulture)}");
                    }

                    continue;
                }

                _markers[(rater, marker)] = (value, r.Line);
                if (raw is not null)
                {
                    _identityAnswers++; // not asked or left empty: no answer
                }
            }
        }

        // Each demographic column of the row: its marker, the text as written (null when empty) and the value (null also for "prefer not to say").
        private IEnumerable<(string Marker, string? Raw, string? Value)> Markers(TableRow r) => _demographics.Select(d =>
        {
            var raw = r.OptionalString(d.Column)?.Trim();
            return (d.Marker, raw, raw is null || PreferNotToSay.Contains(raw.ToLowerInvariant()) ? null : raw);
        });
    }
}
