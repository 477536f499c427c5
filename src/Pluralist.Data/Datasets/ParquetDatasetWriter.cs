using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Parquet;
using Pluralist.Core.Preferences;
using Pluralist.Files;
using S = Pluralist.Data.Datasets.PreferenceParquetSchema;

namespace Pluralist.Data.Datasets;

/// <summary>What to do with a label that prefers neither image (<c>label_0</c> = 0.5).</summary>
public enum TiePolicy
{
    /// <summary>Leave the row out and count it (the default: the reference trainers read 0.5 as "image_0 wins").</summary>
    Drop,

    /// <summary>Keep the row: <c>soft_label</c> holds 0.5, <c>label_0</c> is resolved to 0 or 1 by a seeded coin and <c>tie_resolved</c> is true.</summary>
    KeepSoft,
}

/// <summary>How a Parquet preference dataset is cut into files and row groups.</summary>
public sealed record ParquetDatasetOptions
{
    public TiePolicy Ties { get; init; } = TiePolicy.Drop;

    /// <summary>A row group is closed when its image bytes reach this size (streaming readers hold one row group).</summary>
    public long RowGroupBytes { get; init; } = 64L << 20;

    /// <summary>A row group holds at most this many rows.</summary>
    public int RowGroupRows { get; init; } = 1000;

    /// <summary>A new file of the split is started when the current one reaches this size.</summary>
    public long ShardBytes { get; init; } = 512L << 20;

    /// <summary>Snappy-compress the pages (image bytes are already compressed, so the default is off).</summary>
    public bool Compress { get; init; }
}

/// <summary>
/// Writes a preference dataset as Hugging Face Parquet: <c>data/{split}-NNNNN-of-NNNNN.parquet</c> with
/// Pick-a-Pic v2's columns (image bytes in <c>jpg_0</c> / <c>jpg_1</c>) followed by Pluralist's
/// provenance, and a <c>README.md</c> dataset card whose YAML header <c>datasets</c> reads. Rows are
/// streamed one row group at a time, so memory does not grow with the dataset. Everything is written
/// into a hidden folder beside <c>outDir</c> and moved into place at the end: on error nothing is left.
/// </summary>
public static class ParquetDatasetWriter
{
    private static readonly string[] SplitOrder = ["train", "validation", "test"];

    public static async Task<DatasetResult> WriteAsync(DatasetInput input, string outDir, ParquetDatasetOptions? options = null, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        options ??= new ParquetDatasetOptions();
        if (options.RowGroupRows < 1 || options.RowGroupBytes < 1 || options.ShardBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "row group and shard sizes must be positive");
        }

        var plan = DatasetPlan.Make(input);
        outDir = Path.GetFullPath(outDir);
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
        {
            throw new IOException($"{outDir} exists and is not empty: choose another folder or remove it");
        }

        if (File.Exists(outDir))
        {
            throw new IOException($"{outDir} is a file");
        }

        var parent = Path.GetDirectoryName(outDir) ?? throw new IOException($"{outDir} has no parent folder");
        DurableFile.CreateFolder(parent);
        var staging = Path.Combine(parent, "." + Path.GetFileName(outDir) + ".partial-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(staging, "data"));
        try
        {
            var rows = new List<PlannedRow>();
            var tiesDropped = 0;
            var tiesKept = 0;
            for (var i = 0; i < input.Labels.Count; i++)
            {
                var l = input.Labels[i];
                var tie = l.Label0 == 0.5;
                if (tie && options.Ties == TiePolicy.Drop)
                {
                    tiesDropped++;
                    continue;
                }

                tiesKept += tie ? 1 : 0;
                var label0 = tie ? Coin(input.SplitSeed, l.PairId, i) : l.Label0 > 0.5 ? 1.0 : 0.0;
                rows.Add(new PlannedRow(l, plan.Splits[l.PromptId], label0, tie));
            }

            var uids = new Dictionary<long, string>();
            var perSplit = new Dictionary<string, int>(StringComparer.Ordinal);
            var files = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var written = 0;
            foreach (var split in rows.Select(r => r.Split).Distinct().OrderBy(s => Array.IndexOf(SplitOrder, s) is var k && k < 0 ? int.MaxValue : k).ThenBy(s => s, StringComparer.Ordinal))
            {
                var splitRows = rows.Where(r => r.Split == split).ToList();
                var shards = await WriteSplitAsync(input, plan, options, splitRows, Path.Combine(staging, "data", split), uids, n => progress?.Report(written + n), ct).ConfigureAwait(false);
                written += splitRows.Count;
                perSplit[split] = splitRows.Count;
                var names = new List<string>();
                for (var k = 0; k < shards.Count; k++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"{split}-{k:D5}-of-{shards.Count:D5}.parquet");
                    File.Move(shards[k], Path.Combine(staging, "data", name));
                    names.Add(name);
                }

                files[split] = names;
            }

            var warnings = plan.Warnings;
            if (tiesDropped > 0)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{tiesDropped} tied label(s) (label_0 = 0.5) left out: the reference trainers would read them as 'image_0 preferred'; keep them with --ties soft"));
            }

            var card = DatasetCard(input, files, perSplit, uids.Count, warnings, tiesDropped, tiesKept);
            DurableFile.WriteAllText(Path.Combine(staging, "README.md"), card);
            if (Directory.Exists(outDir))
            {
                Directory.Delete(outDir);
            }

            // The whole folder appears at once: every shard, the card and both folders on disk before the rename.
            DurableFile.PublishFolder(staging, outDir);
            return new DatasetResult(rows.Count, uids.Count, perSplit, warnings) { TiesDropped = tiesDropped, TiesKept = tiesKept };
        }
        catch
        {
            try
            {
                Directory.Delete(staging, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a hidden partial folder is all that can remain.
            }

            throw;
        }
    }

    /// <summary>Writes one split's rows into files <c>{prefix}-N.tmp</c> of whole row groups; returns their paths in order.</summary>
    private static async Task<List<string>> WriteSplitAsync(DatasetInput input, DatasetPlan plan, ParquetDatasetOptions options, List<PlannedRow> rows, string prefix,
        Dictionary<long, string> uids, Action<int> progress, CancellationToken ct)
    {
        var shards = new List<string>();
        ShardWriter? shard = null;
        var group = new RowGroupBuffer();
        var written = 0;
        try
        {
            for (var i = 0; i < rows.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var row = rows[i];
                var jpg0 = await File.ReadAllBytesAsync(input.ImagePaths[row.Label.Image0Id], ct).ConfigureAwait(false);
                var jpg1 = await File.ReadAllBytesAsync(input.ImagePaths[row.Label.Image1Id], ct).ConfigureAwait(false);
                group.Add(row, jpg0, jpg1, Uid(uids, row.Label.Image0Id, jpg0), Uid(uids, row.Label.Image1Id, jpg1), input.Captions[row.Label.PromptId],
                    input.ImageModels.GetValueOrDefault(row.Label.Image0Id), input.ImageModels.GetValueOrDefault(row.Label.Image1Id), plan.SafeGroup(row.Label));
                var last = i == rows.Count - 1;
                if (!last && group.Count < options.RowGroupRows && group.Bytes < options.RowGroupBytes)
                {
                    continue;
                }

                shard ??= await ShardWriter.OpenAsync(string.Create(CultureInfo.InvariantCulture, $"{prefix}-{shards.Count}.tmp"), options, ct).ConfigureAwait(false);
                await shard.WriteAsync(group, ct).ConfigureAwait(false);
                written += group.Count;
                progress(written);
                group = new RowGroupBuffer();
                if (last || shard.Length >= options.ShardBytes)
                {
                    var closing = shard;
                    shard = null;
                    shards.Add(await closing.CloseAsync().ConfigureAwait(false));
                }
            }

            return shards;
        }
        finally
        {
            if (shard is not null)
            {
                await shard.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>0 or 1 from the seed, the pair and the row: the same on every run, no side favoured.</summary>
    private static double Coin(int seed, long pairId, int row)
    {
        var z = unchecked((ulong)pairId * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)row << 32 ^ (uint)seed);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return ((z ^ (z >> 31)) & 1) == 0 ? 0.0 : 1.0;
    }

    private static string Uid(Dictionary<long, string> uids, long imageId, byte[] bytes)
    {
        if (!uids.TryGetValue(imageId, out var uid))
        {
            uid = Convert.ToHexStringLower(SHA256.HashData(bytes));
            uids[imageId] = uid;
        }

        return uid;
    }

    private static string DatasetCard(DatasetInput input, Dictionary<string, List<string>> files, Dictionary<string, int> perSplit, int images, IReadOnlyList<string> warnings, int tiesDropped, int tiesKept)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("---\n");
        var (licence, licenceName) = LicenceId(input.Licence);
        sb.Append(ci, $"license: {licence}\n");
        if (licenceName is not null)
        {
            sb.Append(ci, $"license_name: {Yaml(licenceName)}\n");
        }

        sb.Append(ci, $"pretty_name: {Yaml(input.StudyName)}\n");
        sb.Append("task_categories:\n- text-to-image\ntags:\n- preference\n- diffusion-dpo\n- pluralist\n");
        sb.Append("configs:\n- config_name: default\n  data_files:\n");
        foreach (var split in files.Keys)
        {
            sb.Append(ci, $"  - split: {split}\n    path: data/{split}-*.parquet\n");
        }

        sb.Append("dataset_info:\n  features:\n");
        foreach (var (name, dtype) in S.Features)
        {
            sb.Append(ci, $"  - name: {name}\n");
            sb.Append(dtype.StartsWith("sequence:", StringComparison.Ordinal)
                ? string.Create(ci, $"    sequence: {dtype["sequence:".Length..]}\n")
                : string.Create(ci, $"    dtype: {dtype}\n"));
        }

        sb.Append("  splits:\n");
        foreach (var split in files.Keys)
        {
            sb.Append(ci, $"  - name: {split}\n    num_examples: {perSplit[split]}\n");
        }

        sb.Append("---\n\n");
        var body = DatasetWriter.Datasheet(input, perSplit, images, warnings, string.Create(ci,
            $"""
            `data/{"{split}"}-NNNNN-of-NNNNN.parquet`, one file or more per split, row groups of at most a few dozen MiB. Columns, Pick-a-Pic v2's first:

            - `caption`, `jpg_0`, `jpg_1` (the image files' bytes), `label_0` (1 = image_0 preferred, 0 = image_1; never 0.5), `label_1` = 1 - `label_0`: what the Diffusion-DPO trainers read.
            - `are_different`, `has_label`, `best_image_uid`, `image_0_uid` / `image_1_uid` (SHA-256 of the bytes), `model_0` / `model_1` (the generator of each image), `user_id` (participant id; null for labels that combine several people).
            - Pluralist's provenance: `split`, `pair_id`, `prompt_id`, `image_0_id` / `image_1_id`, `criterion`, `soft_label` (p(image_0 preferred)), `tie_resolved` (the row was a tie and `label_0` was drawn by a seeded coin), `weight`, `group` (consented identity group), `source_answers` (AnnotationScore ids).

            Ties: {tiesDropped} left out, {tiesKept} kept with `tie_resolved` set.
            """));
        sb.Append(body);
        return sb.ToString();
    }

    private static (string Id, string? Name) LicenceId(string licence) => licence.Trim().ToUpperInvariant() switch
    {
        "CC BY 4.0" or "CC-BY-4.0" => ("cc-by-4.0", null),
        "CC BY-SA 4.0" or "CC-BY-SA-4.0" => ("cc-by-sa-4.0", null),
        "CC BY-NC 4.0" or "CC-BY-NC-4.0" => ("cc-by-nc-4.0", null),
        "CC0" or "CC0 1.0" or "CC0-1.0" => ("cc0-1.0", null),
        "MIT" => ("mit", null),
        "APACHE-2.0" or "APACHE 2.0" => ("apache-2.0", null),
        _ => ("other", licence),
    };

    private static string Yaml(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) + "\"";

    private sealed record PlannedRow(PreferenceLabel Label, string Split, double Label0, bool Tie);

    /// <summary>One row group's columns, filled row by row.</summary>
    private sealed class RowGroupBuffer
    {
        public readonly List<bool> AreDifferent = [];
        public readonly List<string?> Best = [];
        public readonly List<string?> Caption = [];
        public readonly List<string?> Uid0 = [];
        public readonly List<string?> Uid1 = [];
        public readonly List<byte[]> Jpg0 = [];
        public readonly List<byte[]> Jpg1 = [];
        public readonly List<double> Label0 = [];
        public readonly List<string?> Model0 = [];
        public readonly List<string?> Model1 = [];
        public readonly List<long?> User = [];
        public readonly List<string?> Split = [];
        public readonly List<long> Pair = [];
        public readonly List<long> Prompt = [];
        public readonly List<long> Image0 = [];
        public readonly List<long> Image1 = [];
        public readonly List<string?> Criterion = [];
        public readonly List<double> Soft = [];
        public readonly List<bool> Tie = [];
        public readonly List<double> Weight = [];
        public readonly List<string?> Group = [];
        public readonly List<long> Sources = [];
        public readonly List<int> SourceRepetitions = [];

        public int Count => Pair.Count;

        public long Bytes { get; private set; }

        public void Add(PlannedRow row, byte[] jpg0, byte[] jpg1, string uid0, string uid1, string caption, string? model0, string? model1, string? group)
        {
            var l = row.Label;
            if (l.SourceAnswers.Count == 0)
            {
                throw new ArgumentException($"label of pair {l.PairId} has no source answers", nameof(row));
            }

            AreDifferent.Add(uid0 != uid1);
            Best.Add(row.Label0 == 1 ? uid0 : uid1);
            Caption.Add(caption);
            Uid0.Add(uid0);
            Uid1.Add(uid1);
            Jpg0.Add(jpg0);
            Jpg1.Add(jpg1);
            Label0.Add(row.Label0);
            Model0.Add(model0);
            Model1.Add(model1);
            User.Add(l.ParticipantId);
            Split.Add(row.Split);
            Pair.Add(l.PairId);
            Prompt.Add(l.PromptId);
            Image0.Add(l.Image0Id);
            Image1.Add(l.Image1Id);
            Criterion.Add(l.Criterion);
            Soft.Add(l.SoftLabel);
            Tie.Add(row.Tie);
            Weight.Add(l.Weight);
            Group.Add(group);
            for (var k = 0; k < l.SourceAnswers.Count; k++)
            {
                Sources.Add(l.SourceAnswers[k]);
                SourceRepetitions.Add(k == 0 ? 0 : 1);
            }

            Bytes += jpg0.Length + jpg1.Length;
        }
    }

    /// <summary>One Parquet file being written.</summary>
    private sealed class ShardWriter : IAsyncDisposable
    {
        private readonly string _path;
        private readonly FileStream _stream;
        private readonly ParquetWriter _writer;

        private ShardWriter(string path, FileStream stream, ParquetWriter writer)
        {
            _path = path;
            _stream = stream;
            _writer = writer;
        }

        public long Length => _stream.Length;

        public static async Task<ShardWriter> OpenAsync(string path, ParquetDatasetOptions options, CancellationToken ct)
        {
            var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20);
            try
            {
                var writer = await ParquetWriter.CreateAsync(S.Schema, stream, new ParquetOptions
                {
                    CompressionMethod = options.Compress ? CompressionMethod.Snappy : CompressionMethod.None,
                }, cancellationToken: ct).ConfigureAwait(false);
                writer.CustomMetadata = new Dictionary<string, string>
                {
                    ["pluralist.format"] = "preference-dataset/1",
                };
                return new ShardWriter(path, stream, writer);
            }
            catch
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async Task WriteAsync(RowGroupBuffer b, CancellationToken ct)
        {
            using var rg = _writer.CreateRowGroup();
            await rg.WriteAsync<bool>(S.AreDifferent, b.AreDifferent.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync(S.BestImageUid, b.Best!).ConfigureAwait(false);
            await rg.WriteAsync(S.Caption, b.Caption!).ConfigureAwait(false);
            await rg.WriteAsync<bool>(S.HasLabel, Enumerable.Repeat(true, b.Count).ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync(S.Image0Uid, b.Uid0!).ConfigureAwait(false);
            await rg.WriteAsync(S.Image1Uid, b.Uid1!).ConfigureAwait(false);
            await rg.WriteAsync(S.Jpg0, b.Jpg0).ConfigureAwait(false);
            await rg.WriteAsync(S.Jpg1, b.Jpg1).ConfigureAwait(false);
            await rg.WriteAsync<double>(S.Label0, b.Label0.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync<double>(S.Label1, b.Label0.Select(x => 1 - x).ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync(S.Model0, b.Model0!).ConfigureAwait(false);
            await rg.WriteAsync(S.Model1, b.Model1!).ConfigureAwait(false);
            await rg.WriteAsync<long>(S.UserId, b.User.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync(S.Split, b.Split!).ConfigureAwait(false);
            await rg.WriteAsync<long>(S.PairId, b.Pair.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync<long>(S.PromptId, b.Prompt.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync<long>(S.Image0Id, b.Image0.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync<long>(S.Image1Id, b.Image1.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync(S.Criterion, b.Criterion!).ConfigureAwait(false);
            await rg.WriteAsync<double>(S.SoftLabel, b.Soft.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync<bool>(S.TieResolved, b.Tie.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync<double>(S.Weight, b.Weight.ToArray(), null, null, ct).ConfigureAwait(false);
            await rg.WriteAsync(S.Group, b.Group!).ConfigureAwait(false);
            // List<long> with required elements: definition level 2 for every element (list present, element present), repetition 0 opens a row.
            await rg.WriteAllPartsAsync<long>(S.SourceAnswer, b.Sources.ToArray(), Enumerable.Repeat(2, b.Sources.Count).ToArray(), b.SourceRepetitions.ToArray(), ct).ConfigureAwait(false);
            rg.CompleteValidate();
        }

        /// <summary>Finishes the file, flushes it to disk and returns its path.</summary>
        public async Task<string> CloseAsync()
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
            _stream.Flush(flushToDisk: true);
            await _stream.DisposeAsync().ConfigureAwait(false);
            return _path;
        }

        public async ValueTask DisposeAsync()
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
