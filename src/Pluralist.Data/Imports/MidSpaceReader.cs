using System.Globalization;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imaging;

namespace Pluralist.Data.Imports;

/// <summary>
/// Reads the LIVS release (MID-Space: <c>preferences.csv</c> with a pair id, the prompt, the two image paths and up to
/// three criteria <c>label1..label3</c> with scores <c>label1_score..label3_score</c> in [-1, 1]) into a
/// <see cref="StudyBundle"/>: one pair per pair id, one anonymous participant per rater (per row when the release has
/// no rater column), one assignment and one annotation per row. The CSV is read one row at a time and every image is
/// checked once; every problem is collected with file, line and field before anything is returned. The bundle holds no
/// rows: the answers are read again from the CSV, in chunks, while they are written (<see cref="StudyBundle.Streamed"/>),
/// and that second pass makes the prompts, images, pairs and participants as it first meets them
/// (<see cref="StudyBundle.FirstMet"/>); per row the checking pass keeps only a 128-bit key of
/// (pair id, rater) for the duplicate check (<see cref="ImportKey"/>). Columns and their
/// meaning: docs/formats.md, "MID-Space (LIVS release)".
/// </summary>
public static class MidSpaceReader
{
    public const string PreferencesCsv = "preferences.csv";
    public const string RaterColumn = "rater_id";
    public const string DefaultKey = "mid-space";
    public const string Generator = "mid-space";

    private static readonly string[] Required = ["pair_id", "prompt", "image1", "image2", "label1", "label1_score"];

    /// <summary>
    /// Reads <paramref name="path"/>: the release folder (or .zip) holding <c>preferences.csv</c>, or the CSV itself (its
    /// folder then holds the images). <paramref name="progress"/> gets the rows read so far.
    /// </summary>
    public static StudyBundle Read(string path, string? key = null, string language = "en", ImportLimits? limits = null, IProgress<int>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var (root, file) = File.Exists(path) && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? (Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path))
            : (path, PreferencesCsv);
        var source = BundleSource.Open(root, limits);
        try
        {
            var study = new Study
            {
                Key = key ?? DefaultKey,
                Title = LocalizedText.Of("MID-Space (LIVS release)", "MID-Space (publication LIVS)"),
                TaskType = TaskType.Pairwise,
                CreatedAt = DateTimeOffset.UtcNow,
            };
            var bundle = new StudyBundle(study, source);
            var errors = new ImportErrors(source.Limits.MaxReportedErrors);
            var reading = new Reading(new BundleBuilder(bundle, language, study.CreatedAt), source, file, errors, progress);
            reading.Run();
            if (errors.Count > 0)
            {
                throw errors.ToException();
            }

            bundle.Streamed = StreamedAnswers.Of(reading.Answers, reading.ReadAgain);
            return bundle;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private sealed class Reading(BundleBuilder build, IBundleSource source, string file, ImportErrors errors, IProgress<int>? progress)
    {
        // Shared by the checking pass and the pass that reads the answers again.
        private Dictionary<string, ImageFacts?> _checked = new(StringComparer.Ordinal);
        // Per pair id (its 128-bit key), the key of its prompt and two images and the line that first gave them.
        private Dictionary<UInt128, (UInt128 Content, int Line)> _pairs = [];
        private Dictionary<string, Criterion> _criteria = new(StringComparer.Ordinal);
        // One 128-bit key per answer (pair id, rater), the only thing kept per row (ImportKey).
        private readonly HashSet<UInt128> _answered = [];
        private readonly Dictionary<UInt128, int> _firstLine = [];
        private readonly Dictionary<string, Criterion> _livs = Defaults.LivsCriteria().ToDictionary(c => c.Key, StringComparer.Ordinal);
        private bool _hasRater;
        private bool _again;
        private int _rows;
        private int _criteriaPerPair = 1;

        /// <summary>Answers the checking pass found (one per row).</summary>
        public long Answers { get; private set; }

        public void Run()
        {
            ImportCsv.Read(source, file, errors, Required, table => _hasRater = table.HasColumn(RaterColumn), r =>
            {
                if (Row(r) is not null)
                {
                    Answers++;
                }
            });
            var study = build.Bundle.Study;
            study.Criteria = [.. _criteria.Values];
            study.CriteriaPerPair = _criteriaPerPair;
            if (_rows == 0 && errors.Count == 0)
            {
                errors.Add(new CsvError(file, 2, 0, string.Empty, "no rows: the file has a header but no comparisons"));
            }

            _answered.Clear();
            _answered.TrimExcess();
            _firstLine.Clear();
            _firstLine.TrimExcess();
        }

        /// <summary>The answers again, row by row, with the same checks (a row that now fails means the file changed).</summary>
        public IEnumerable<(Assignment Assignment, Annotation? Annotation)> ReadAgain()
        {
            var problems = new ImportErrors(1);
            var again = new Reading(build, source, file, problems, null) { _checked = _checked, _pairs = _pairs, _criteria = _criteria, _again = true };
            foreach (var r in ImportCsv.Rows(source, file, problems, Required, table => again._hasRater = table.HasColumn(RaterColumn)))
            {
                var answer = again.Row(r);
                if (problems.Count > 0 || answer is null)
                {
                    var why = problems.Count > 0 ? problems.ToException().Message : string.Create(CultureInfo.InvariantCulture, $"line {r.Line} gives no answer now");
                    throw new BundleException([new CsvError(file, r.Line, 0, string.Empty, $"{file} changed while the import was running ({why}); nothing was imported")]);
                }

                yield return answer.Value;
            }
        }

        private (Assignment, Annotation?)? Row(TableRow r)
        {
            _rows++;
            if (_rows % 1000 == 0)
            {
                progress?.Report(_rows);
            }

            var pairId = r.String("pair_id");
            var prompt = r.String("prompt");
            var path0 = r.String("image1");
            var path1 = r.String("image2");
            var rater = _hasRater ? r.String(RaterColumn) : string.Create(CultureInfo.InvariantCulture, $"row {r.Line}");
            var shown = new List<(Criterion Criterion, double Score)>();
            var before = errors.Count;
            for (var k = 1; k <= 3; k++)
            {
                var labelColumn = string.Create(CultureInfo.InvariantCulture, $"label{k}");
                var scoreColumn = labelColumn + "_score";
                if (!r.HasColumn(labelColumn) && !r.HasColumn(scoreColumn))
                {
                    continue;
                }

                var label = r.OptionalString(labelColumn)?.Trim();
                var score = r.OptionalDouble(scoreColumn);
                if (label is null)
                {
                    if (score is not null)
                    {
                        r.Error(labelColumn, $"{scoreColumn} has a score but {labelColumn} names no criterion");
                    }

                    continue;
                }

                if (score is not { } s)
                {
                    if (r.OptionalString(scoreColumn) is null)
                    {
                        r.Error(scoreColumn, $"{labelColumn} is '{label}' but the score is empty");
                    }

                    continue;
                }

                if (double.IsNaN(s) || s is < -1 or > 1)
                {
                    r.Error(scoreColumn, string.Create(CultureInfo.InvariantCulture, $"{s} is outside [-1, 1]"));
                    continue;
                }

                var criterion = Criterion(label);
                if (shown.Any(x => x.Criterion == criterion))
                {
                    r.Error(labelColumn, $"criterion '{label}' appears twice in this row");
                    continue;
                }

                shown.Add((criterion, s));
            }

            if (shown.Count == 0 && errors.Count == before)
            {
                r.Error("label1", "no criterion with a score: a comparison needs at least label1 and label1_score");
            }

            if (pairId.Length == 0 || prompt.Length == 0 || path0.Length == 0 || path1.Length == 0 || rater.Length == 0)
            {
                return null; // each empty required field was reported
            }

            if (path0 == path1)
            {
                r.Error("image2", $"image2 is the same file as image1 ({path0})");
                return null;
            }

            var pairKey = ImportKey.Of(pairId);
            _firstLine.TryAdd(pairKey, r.Line);
            if (!_again && !_answered.Add(ImportKey.Of(pairId, _hasRater ? rater : string.Empty)))
            {
                r.Error("pair_id", _hasRater
                    ? $"pair {pairId} is answered twice by rater {rater}"
                    : $"pair {pairId} appears twice (line {_firstLine[pairKey].ToString(CultureInfo.InvariantCulture)}); without a {RaterColumn} column each pair id is one comparison");
                return null;
            }

            var facts0 = ImportCsv.Image(source, path0, r, "image1", _checked);
            var facts1 = ImportCsv.Image(source, path1, r, "image2", _checked);
            if (facts0 is null || facts1 is null || errors.Count > 0)
            {
                return null; // once anything is wrong the rest is only checked, not built
            }

            var content = ImportKey.Of(prompt, path0, path1);
            if (_pairs.TryGetValue(pairKey, out var known))
            {
                if (known.Content != content)
                {
                    r.Error("pair_id", $"pair {pairId} is on line {known.Line.ToString(CultureInfo.InvariantCulture)} with other images or another prompt");
                    return null;
                }
            }
            else
            {
                _pairs[pairKey] = (content, r.Line);
            }

            _criteriaPerPair = Math.Max(_criteriaPerPair, shown.Count);
            if (!_again)
            {
                return (new Assignment(), null); // the checking pass only counts the answers
            }

            // The second pass makes the prompts, images, pairs and participants as it first meets them (BundleBuilder.PromptId, …).
            var p = build.PromptId(prompt);
            var image0 = build.ImageId(path0, p, facts0, Generator);
            var image1 = build.ImageId(path1, p, facts1, Generator);
            var pair = build.PairId(pairKey, image0, image1, pairId);
            var participantId = build.ParticipantId(rater);
            var assignment = new Assignment
            {
                ParticipantId = participantId,
                PairId = pair,
                CriteriaShown = [.. shown.Select(x => x.Criterion.Key)],
                Image0OnLeft = true,
                Language = build.Language,
                ServedAt = build.At,
            };
            var annotation = new Annotation
            {
                ParticipantId = participantId,
                PairId = pair,
                ClientRequestId = string.Create(CultureInfo.InvariantCulture, $"mid-space:{pairId}:{rater}"),
                Language = build.Language,
                SubmittedAt = build.At,
            };
            for (var i = 0; i < shown.Count; i++)
            {
                annotation.Scores.Add(new AnnotationScore { CriterionKey = shown[i].Criterion.Key, Position = i, Score = shown[i].Score });
            }

            return (assignment, annotation);
        }

        // A LIVS criterion keeps its texts (EN, FR); any other label becomes a criterion named as written.
        private Criterion Criterion(string label)
        {
            var key = AipithetReader.Slug(label);
            if (key.Length == 0)
            {
                key = "criterion";
            }

            if (!_criteria.TryGetValue(key, out var criterion))
            {
                criterion = _livs.TryGetValue(key, out var livs)
                    ? livs
                    : new Criterion { Key = key, Name = new LocalizedText { ["en"] = label }, Definition = new LocalizedText { ["en"] = label } };
                criterion.Position = _criteria.Count;
                _criteria[key] = criterion;
            }

            return criterion;
        }
    }
}
