using System.Runtime.InteropServices;
using Pluralist.Data.Datasets;
using Pluralist.Testing;

namespace Pluralist.Data.Tests.Datasets;

/// <summary>
/// <see cref="PreferenceParquetReader.ReadViewsAsync"/>: an uncompressed dataset's images come out of one buffer the reader
/// reuses for every row group (no array per image), byte for byte what was written; a compressed one, read by
/// Parquet.Net, gives the same bytes.
/// </summary>
public sealed class ParquetReadViewTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Views_give_the_written_bytes_from_one_reused_buffer_when_uncompressed(bool compress)
    {
        var dir = Directory.CreateTempSubdirectory("pluralist-pqview-").FullName;
        var images = Enumerable.Range(0, 6).Select(i => DatasetFixtures.Image(i + 1, i % 2 == 0 ? SkiaSharp.SKEncodedImageFormat.Jpeg : SkiaSharp.SKEncodedImageFormat.Png, 40 + i, 30)).ToList();
        var paths = new Dictionary<long, string>();
        for (var i = 0; i < images.Count; i++)
        {
            paths[i] = Path.Combine(dir, $"{i}.img");
            await File.WriteAllBytesAsync(paths[i], images[i]);
        }

        var labels = Enumerable.Range(0, 23).Select(i => new Core.Preferences.PreferenceLabel(i + 1, i % 3, i % 6, (i + 1) % 6, null, i % 2, i % 2, 1, null, null, [i + 1])).ToList();
        var input = new DatasetInput
        {
            StudyName = "views",
            Criteria = ["safety"],
            Protocol = "livs",
            Labels = labels,
            Captions = Enumerable.Range(0, 3).ToDictionary(p => (long)p, p => $"caption {p}"),
            ImagePaths = paths,
            SplitSeed = 3,
        };
        var outDir = Path.Combine(dir, "out");
        await ParquetDatasetWriter.WriteAsync(input, outDir, new ParquetDatasetOptions { RowGroupRows = 4, Compress = compress });

        var buffers = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        var rows = 0;
        await foreach (var v in PreferenceParquetReader.ReadViewsAsync(outDir))
        {
            var label = labels[(int)v.PairId!.Value - 1];
            Assert.Equal(images[(int)label.Image0Id], v.Jpg0.ToArray());
            Assert.Equal(images[(int)label.Image1Id], v.Jpg1.ToArray());
            Assert.True(MemoryMarshal.TryGetArray(v.Jpg0, out var segment));
            buffers.Add(segment.Array!);
            rows++;
        }

        Assert.Equal(labels.Count, rows);
        var groups = 0;
        foreach (var file in PreferenceParquetReader.Files(outDir))
        {
            await using var stream = File.OpenRead(file);
            await using var reader = await Parquet.ParquetReader.CreateAsync(stream);
            groups += reader.RowGroupCount;
        }

        if (!compress)
        {
            // One buffer per image column, replaced only when a larger chunk comes: fewer buffers than row groups.
            Assert.True(buffers.Count < groups, $"{buffers.Count} buffers for {groups} row groups");
        }
        else
        {
            Assert.True(buffers.Count >= groups); // Parquet.Net's buffers, new for each row group
        }

        Directory.Delete(dir, recursive: true);
    }
}
