using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Bundles;
using Pluralist.Data.Datasets;
using Pluralist.Data.Imaging;

namespace Pluralist.Data.Imports;

/// <summary>
/// Reads Pick-a-Pic-style Parquet preference pairs (<c>caption</c>, <c>jpg_0</c>, <c>jpg_1</c> as image bytes,
/// <c>label_0</c>; optional <c>user_id</c>, <c>ranking_id</c>, <c>image_0_uid</c>, <c>image_1_uid</c>) into a
/// <see cref="StudyBundle"/> with one criterion, <c>preference</c>. Rows are read one row group at a time through
/// <see cref="PreferenceParquetReader.ReadViewsAsync"/>; each distinct image (by SHA-256) is checked and spooled to a
/// staging folder on disk, so memory holds one row group and the rows' ids, never the images. The answers are not kept:
/// the checking pass keeps per row only two 128-bit keys (rater and pair, ranking id; <see cref="ImportKey"/>), and the
/// files are read again while the answers are written in chunks in the same transaction (<see cref="StudyBundle.Streamed"/>).
/// The staging folder is removed when the returned <see cref="DatasetRead"/> is disposed. Columns: docs/formats.md, "Pick-a-Pic Parquet".
/// </summary>
public static class PickapicReader
{
    public const string DefaultKey = "pickapic-import";
    public const string CriterionKey = "preference";
    public const string Generator = "pickapic";

    public static async Task<DatasetRead> ReadAsync(string path, string? key = null, string language = "en", ImportLimits? limits = null,
        IProgress<int>? progress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        limits = (limits ?? new ImportLimits()).Validated();
        if (PreferenceParquetReader.Files(path).Count == 0)
        {
            throw new BundleException([new CsvError(path, 0, 0, string.Empty, Directory.Exists(path) || File.Exists(path)
                ? "no .parquet files (expected a .parquet file, a folder of them, or data/*.parquet)"
                : "no such file or folder")]);
        }

        var staging = Directory.CreateTempSubdirectory("pluralist-pickapic-").FullName;
        try
        {
            var study = new Study
            {
                Key = key ?? DefaultKey,
                Title = new LocalizedText { [language] = "Pick-a-Pic pairs: " + Path.GetFileName(Path.TrimEndingDirectorySeparator(path)) },
                TaskType = TaskType.Pairwise,
                CriteriaPerPair = 1,
                CreatedAt = DateTimeOffset.UtcNow,
                Criteria =
                [
                    new Criterion
                    {
                        Key = CriterionKey,
                        Name = LocalizedText.Of("Preferred image", "Image préférée"),
                        Definition = LocalizedText.Of("Which image the rater preferred for the caption (Pick-a-Pic's label_0).", "L'image que la personne a préférée pour la légende (label_0 de Pick-a-Pic)."),
                    },
                ],
            };
            var errors = new ImportErrors(limits.MaxReportedErrors);
            var notes = new List<string>();
            // The staged files were written and checked here; only the per-file and pixel limits apply to reading them back.
            var stagedLimits = new ImportLimits { MaxEntryBytes = limits.MaxEntryBytes, MaxImagePixels = limits.MaxImagePixels, MaxTotalBytes = long.MaxValue, MaxReportedErrors = limits.MaxReportedErrors };
            var source = new StagingSource(BundleSource.Open(staging, stagedLimits), staging);
            var bundle = new StudyBundle(study, source);
            try
            {
                var reading = new Reading(new BundleBuilder(bundle, language, study.CreatedAt), staging, limits, errors, notes, progress);
                await reading.RunAsync(path, ct).ConfigureAwait(false);
                if (errors.Count > 0)
                {
                    throw errors.ToException();
                }

                bundle.Streamed = new StreamedAnswers(reading.Answers, reading.ReadAgainAsync);
                return new DatasetRead(bundle, notes);
            }
            catch
            {
                bundle.Dispose();
                throw;
            }
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }
    }

    private sealed class Reading(BundleBuilder build, string staging, ImportLimits limits, ImportErrors errors, List<string> notes, IProgress<int>? progress)
    {
        // Shared with the pass that reads the answers again: each distinct image (by hash) and the 128-bit key of each pair (its two files).
        private Dictionary<string, (string File, ImageFacts? Facts)> _images = new(StringComparer.Ordinal);
        private HashSet<UInt128> _pairs = [];
        // Per row, the checking pass keeps the (rater, pair) and ranking keys (128 bits each) with where they were first seen.
        private readonly Dictionary<UInt128, long> _answered = [];
        private readonly Dictionary<UInt128, long> _rankings = [];
        private readonly List<string> _files = [];
        private bool _again;
        private int _rows;
        private int _sameImage;
        private string _path = string.Empty;

        /// <summary>Answers the checking pass found (one per compared row).</summary>
        public long Answers { get; private set; }

        public async Task RunAsync(string path, CancellationToken ct)
        {
            _path = path;
            try
            {
                await foreach (var row in PreferenceParquetReader.ReadViewsAsync(path, ct: ct).ConfigureAwait(false))
                {
                    if (Row(row) is not null)
                    {
                        Answers++;
                    }

                    errors.Trim();
                }
            }
            catch (InvalidDataException ex)
            {
                errors.Add(new CsvError(path, 0, 0, string.Empty, ex.Message));
            }

            if (_rows == 0 && errors.Count == 0)
            {
                errors.Add(new CsvError(path, 0, 0, string.Empty, "no rows"));
            }

            if (_sameImage > 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{_sameImage} row(s) skipped: jpg_0 and jpg_1 are the same image (Pick-a-Pic's are_different = false), which is no comparison"));
            }

            _answered.Clear();
            _answered.TrimExcess();
            _rankings.Clear();
            _rankings.TrimExcess();
        }

        /// <summary>The answers again, row by row from the Parquet files, with the same checks (a row that now fails means a file changed).</summary>
        public async IAsyncEnumerable<(Assignment Assignment, Annotation? Annotation)> ReadAgainAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
        {
            var problems = new ImportErrors(1);
            var again = new Reading(build, staging, limits, problems, [], null) { _images = _images, _pairs = _pairs, _again = true };
            await foreach (var v in PreferenceParquetReader.ReadViewsAsync(_path, ct: ct).ConfigureAwait(false))
            {
                var sameBefore = again._sameImage;
                var answer = again.Row(v);
                if (answer is null && problems.Count == 0 && again._sameImage > sameBefore)
                {
                    continue; // skipped in the first pass too
                }

                if (problems.Count > 0 || answer is null)
                {
                    var why = problems.Count > 0 ? problems.ToException().Message : "the row gives no answer now";
                    throw new BundleException([new CsvError(v.File, 0, 0, string.Empty, string.Create(CultureInfo.InvariantCulture,
                        $"row {v.Row} changed while the import was running ({why}); nothing was imported"))]);
                }

                yield return answer.Value;
            }
        }

        // A row's place as one number (file index, row), so that the duplicate checks keep no string per row.
        private long Where(ParquetPreferenceView v)
        {
            var index = _files.IndexOf(v.File);
            if (index < 0)
            {
                index = _files.Count;
                _files.Add(v.File);
            }

            return ((long)index << 40) | v.Row;
        }

        private string Describe(long where) =>
            string.Create(CultureInfo.InvariantCulture, $"{_files[(int)(where >> 40)]}: row {where & ((1L << 40) - 1)}");

        private (Assignment, Annotation?)? Row(ParquetPreferenceView v)
        {
            _rows++;
            if (_rows % 1000 == 0)
            {
                progress?.Report(_rows);
            }

            if (!_again && v.RankingId is { Length: > 0 } ranking)
            {
                var key = ImportKey.Of(ranking);
                if (_rankings.TryGetValue(key, out var first))
                {
                    Error(v, "ranking_id", $"ranking {ranking} appears twice (first at {Describe(first)})");
                    return null;
                }

                _rankings[key] = Where(v);
            }

            var image0 = Image(v, v.Jpg0, "jpg_0");
            var image1 = Image(v, v.Jpg1, "jpg_1");
            if (image0 is not { } a || image1 is not { } b || errors.Count > 0)
            {
                return null;
            }

            if (a.File == b.File)
            {
                _sameImage++;
                return null;
            }

            var pairKey = ImportKey.Of(a.File, b.File);
            if (_again && !_pairs.Contains(pairKey))
            {
                Error(v, "jpg_0", "a pair the first pass did not see");
                return null;
            }

            _pairs.Add(pairKey);
            var rater = v.UserId is { } user ? "user " + user.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{v.File}: row {v.Row}");
            if (!_again)
            {
                var key = ImportKey.Of(rater, a.File, b.File);
                if (_answered.TryGetValue(key, out var earlier))
                {
                    Error(v, "jpg_0", $"{rater} compared these two images already ({Describe(earlier)}): a duplicate pair");
                    return null;
                }

                _answered[key] = Where(v);
                return (new Assignment(), null); // the checking pass only counts the answers
            }

            // The second pass makes the prompts, images, pairs and participants as it first meets them (BundleBuilder.PromptId, …).
            var prompt = build.PromptId(v.Caption);
            var img0 = build.ImageId(a.File, prompt, a.Facts, Generator, v.Image0Uid);
            var img1 = build.ImageId(b.File, prompt, b.Facts, Generator, v.Image1Uid);
            var pairId = build.PairId(pairKey, img0, img1, v.PairId?.ToString(CultureInfo.InvariantCulture) ?? v.RankingId);
            var participantId = build.ParticipantId(rater);
            var assignment = new Assignment
            {
                ParticipantId = participantId,
                PairId = pairId,
                CriteriaShown = [CriterionKey],
                Image0OnLeft = true,
                Language = build.Language,
                ServedAt = build.At,
            };
            var annotation = new Annotation
            {
                ParticipantId = participantId,
                PairId = pairId,
                ClientRequestId = string.Create(CultureInfo.InvariantCulture, $"pickapic:{Path.GetFileName(v.File)}:{v.Row}"),
                Language = build.Language,
                SubmittedAt = build.At,
            };

            // label_0 = 1: image_0 (shown on the left) preferred, a slider at -1; 0: +1; 0.5: neutral.
            annotation.Scores.Add(new AnnotationScore { CriterionKey = CriterionKey, Position = 0, Score = 1 - (2 * v.Label0) });
            return (assignment, annotation);
        }

        // Each distinct image is checked once and written to the staging folder under its hash.
        private (string File, ImageFacts Facts)? Image(ParquetPreferenceView v, ReadOnlyMemory<byte> bytes, string column)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
            if (!_images.TryGetValue(hash, out var known))
            {
                if (_again)
                {
                    Error(v, column, "an image the first pass did not see");
                    return null;
                }

                ImageFacts? facts = null;
                var file = "images/" + hash;
                try
                {
                    using var stream = AsStream(bytes);
                    facts = ImageFiles.Inspect(stream, limits.MaxImagePixels);
                    file += facts.Extension();
                    var full = Path.Combine(staging, file);
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                    using var output = new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                    output.Write(bytes.Span);
                }
                catch (ImageFileException ex)
                {
                    Error(v, column, $"the image {ex.Message}");
                }

                known = (file, facts);
                _images[hash] = known;
            }
            else if (known.Facts is null)
            {
                Error(v, column, "the same image bytes as an earlier row, which do not decode");
            }

            return known.Facts is { } f ? (known.File, f) : null;
        }

        private static MemoryStream AsStream(ReadOnlyMemory<byte> bytes) =>
            MemoryMarshal.TryGetArray(bytes, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(bytes.ToArray(), writable: false);

        private void Error(ParquetPreferenceView v, string column, string message) =>
            errors.Add(new CsvError(v.File, 0, 0, string.Empty, string.Create(CultureInfo.InvariantCulture, $"row {v.Row}: column '{column}': {message}")));
    }

    /// <summary>The staging folder as a bundle source; disposing it removes the folder.</summary>
    private sealed class StagingSource(IBundleSource inner, string folder) : IBundleSource
    {
        public string DisplayName => inner.DisplayName;

        public ImportLimits Limits => inner.Limits;

        public bool Exists(string path) => inner.Exists(path);

        public Stream Open(string path) => inner.Open(path);

        public void Dispose()
        {
            inner.Dispose();
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
