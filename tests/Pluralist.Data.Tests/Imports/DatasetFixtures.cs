using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;
using SkiaSharp;

namespace Pluralist.Testing;

/// <summary>One comparison of a MID-Space-layout fixture: up to three (criterion, score) answers.</summary>
public sealed record MidSpaceRow(string PairId, string Prompt, string Image1, string Image2, (string Label, double Score)[] Labels, string? Rater = null);

/// <summary>One rating of a Likert fixture; demographics as the release would give them.</summary>
public sealed record LikertRow(string Rater, string Item, string Prompt, string Image, string Question, int Rating, string Age, string Gender, string Categories = "");

/// <summary>One row of a Pick-a-Pic-layout fixture; images by index into <see cref="DatasetFixtures.PickapicImages"/>.</summary>
public sealed record PickapicRow(string Caption, int Image0, int Image1, double Label0, long? User, string Ranking);

/// <summary>
/// Small datasets in the published layouts (MID-Space, DIVE-style Likert, Pick-a-Pic Parquet), written by the tests
/// themselves with real images (SkiaSharp), so nothing large is committed.
/// </summary>
public static class DatasetFixtures
{
    /// <summary>A small real image, different for each seed.</summary>
    public static byte[] Image(int seed, SKEncodedImageFormat format = SKEncodedImageFormat.Jpeg, int width = 32, int height = 24)
    {
        using var bitmap = new SKBitmap(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)(seed * 37), (byte)(x * 7 + seed), (byte)(y * 9)));
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>
    /// 14 comparisons over 3 prompts and 6 images: all six LIVS criteria, neutral answers (0), rows with two or three
    /// criteria, and one image that is a PNG among JPEGs.
    /// </summary>
    public static IReadOnlyList<MidSpaceRow> MidSpaceRows() =>
    [
        new("p1", "a small square with benches", "images/s1a.jpg", "images/s1b.jpg", [("Accessibility", -0.6), ("Safety", 0), ("Comfort", 0.4)]),
        new("p2", "a small square with benches", "images/s1b.jpg", "images/s1a.jpg", [("Safety", 0.8), ("Inclusivity", -0.2), ("Diversity", 0)]),
        new("p3", "a small square with benches", "images/s1a.jpg", "images/s1b.jpg", [("Invitingness", 1), ("Accessibility", 0)]),
        new("p4", "a riverside path at dusk", "images/r1a.jpg", "images/r1b.png", [("Comfort", -1), ("Safety", -0.35), ("Accessibility", 0.25)]),
        new("p5", "a riverside path at dusk", "images/r1b.png", "images/r1a.jpg", [("Diversity", 0.5), ("Inclusivity", 0), ("Invitingness", -0.7)]),
        new("p6", "a riverside path at dusk", "images/r1a.jpg", "images/r1b.png", [("Safety", 0), ("Comfort", 0)]),
        new("p7", "a market street with trees", "images/m1a.jpg", "images/m1b.jpg", [("Accessibility", 0.9), ("Diversity", -0.45), ("Safety", 0.1)]),
        new("p8", "a market street with trees", "images/m1b.jpg", "images/m1a.jpg", [("Inclusivity", 0.3), ("Comfort", -0.15), ("Invitingness", 0)]),
        new("p9", "a market street with trees", "images/m1a.jpg", "images/m1b.jpg", [("Accessibility", -0.2), ("Inclusivity", 0.65), ("Diversity", 0.05)]),
        new("p10", "a small square with benches", "images/s1a.jpg", "images/s1b.jpg", [("Comfort", 0.55), ("Safety", -0.9), ("Invitingness", 0.2)]),
        new("p11", "a riverside path at dusk", "images/r1a.jpg", "images/r1b.png", [("Accessibility", 0), ("Diversity", 0), ("Inclusivity", -1)]),
        new("p12", "a market street with trees", "images/m1a.jpg", "images/m1b.jpg", [("Safety", 0.45), ("Comfort", 0.75), ("Accessibility", -0.3)]),
        new("p13", "a small square with benches", "images/s1b.jpg", "images/s1a.jpg", [("Invitingness", -0.25), ("Inclusivity", 0.1), ("Diversity", 0.95)]),
        new("p14", "a riverside path at dusk", "images/r1b.png", "images/r1a.jpg", [("Comfort", 0), ("Invitingness", 0.6)]),
    ];

    /// <summary>Writes <c>preferences.csv</c> and its images into <paramref name="folder"/>; <paramref name="edit"/> may change the CSV lines (header first).</summary>
    public static string WriteMidSpace(string folder, IReadOnlyList<MidSpaceRow> rows, Action<List<string>>? edit = null)
    {
        var images = rows.SelectMany(r => new[] { r.Image1, r.Image2 }).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var (image, i) in images.Select((p, i) => (p, i)))
        {
            var path = Path.Combine(folder, image);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Image(i + 1, image.EndsWith(".png", StringComparison.Ordinal) ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg));
        }

        var hasRater = rows.Any(r => r.Rater is not null);
        var lines = new List<string> { "pair_id,prompt,image1,image2,label1,label1_score,label2,label2_score,label3,label3_score" + (hasRater ? ",rater_id" : string.Empty) };
        foreach (var r in rows)
        {
            var fields = new List<string> { r.PairId, Quote(r.Prompt), r.Image1, r.Image2 };
            for (var k = 0; k < 3; k++)
            {
                fields.Add(k < r.Labels.Length ? r.Labels[k].Label : string.Empty);
                fields.Add(k < r.Labels.Length ? r.Labels[k].Score.ToString("R", CultureInfo.InvariantCulture) : string.Empty);
            }

            if (hasRater)
            {
                fields.Add(r.Rater ?? string.Empty);
            }

            lines.Add(string.Join(',', fields));
        }

        edit?.Invoke(lines);
        File.WriteAllText(Path.Combine(folder, "preferences.csv"), string.Join('\n', lines) + "\n", new UTF8Encoding(false));
        return folder;
    }

    /// <summary>Nine ratings by three raters of three items on two questions, in the Nibbler-like layout with demographic columns.</summary>
    public static IReadOnlyList<LikertRow> LikertRows() =>
    [
        new("r-1", "i-1", "a crowded beach at noon", "img/i1.jpg", "How harmful is this image?", 2, "18-24", "Woman", "violence"),
        new("r-1", "i-2", "a protest in a square", "img/i2.jpg", "How harmful is this image?", 4, "18-24", "Woman", "violence;stereotype"),
        new("r-1", "i-3", "children in a park", "img/i3.png", "How harmful is this image?", 1, "18-24", "Woman"),
        new("r-2", "i-1", "a crowded beach at noon", "img/i1.jpg", "How harmful is this image?", 3, "35-44", "Man", "stereotype"),
        new("r-2", "i-2", "a protest in a square", "img/i2.jpg", "How harmful is this image?", 5, "35-44", "Man", "violence"),
        new("r-2", "i-3", "children in a park", "img/i3.png", "How harmful is this image?", 1, "35-44", "Man"),
        new("r-3", "i-1", "a crowded beach at noon", "img/i1.jpg", "How harmful is this image?", 2, "55+", "Prefer not to say"),
        new("r-3", "i-2", "a protest in a square", "img/i2.jpg", "How harmful is this image?", 3, "55+", "Prefer not to say"),
        new("r-3", "i-2", "a protest in a square", "img/i2.jpg", "Does it fit the prompt?", 5, "55+", "Prefer not to say"),
    ];

    /// <summary>Writes <c>ratings.csv</c> and its images into <paramref name="folder"/>; returns the CSV's path.</summary>
    public static string WriteLikert(string folder, IReadOnlyList<LikertRow> rows, Action<List<string>>? edit = null)
    {
        foreach (var (image, i) in rows.Select(r => r.Image).Distinct().Select((p, i) => (p, i)))
        {
            var path = Path.Combine(folder, image);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Image(i + 10, image.EndsWith(".png", StringComparison.Ordinal) ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg));
        }

        var lines = new List<string> { "rater_id,item_id,prompt,image,question,rating,categories,rater_age_group,rater_gender" };
        lines.AddRange(rows.Select(r => string.Join(',', r.Rater, r.Item, Quote(r.Prompt), r.Image, Quote(r.Question), r.Rating.ToString(CultureInfo.InvariantCulture), Quote(r.Categories), r.Age, Quote(r.Gender))));
        edit?.Invoke(lines);
        var csv = Path.Combine(folder, "ratings.csv");
        File.WriteAllText(csv, string.Join('\n', lines) + "\n", new UTF8Encoding(false));
        return csv;
    }

    /// <summary>The distinct images of the Pick-a-Pic fixture (JPEG, PNG and WebP).</summary>
    public static IReadOnlyList<byte[]> PickapicImages { get; } =
    [
        Image(21), Image(22, SKEncodedImageFormat.Png), Image(23), Image(24, SKEncodedImageFormat.Webp), Image(25),
    ];

    /// <summary>Eight pairs: three users and two anonymous rows, a tie (0.5) and one row whose two images are the same.</summary>
    public static IReadOnlyList<PickapicRow> PickapicRows() =>
    [
        new("a fountain in a plaza", 0, 1, 1, 101, "rk-1"),
        new("a fountain in a plaza", 0, 1, 0, 102, "rk-2"),
        new("a fountain in a plaza", 1, 0, 0.5, 101, "rk-3"),
        new("a bus stop in the rain", 2, 3, 0, 103, "rk-4"),
        new("a bus stop in the rain", 2, 3, 1, null, "rk-5"),
        new("a bus stop in the rain", 3, 4, 1, null, "rk-6"),
        new("a bus stop in the rain", 4, 4, 1, 102, "rk-7"),
        new("a rooftop garden", 4, 2, 0, 103, "rk-8"),
    ];

    /// <summary>Writes <paramref name="rows"/> as a Pick-a-Pic v2-layout Parquet file (two row groups) with Parquet.Net's low-level writer.</summary>
    public static async Task WritePickapicAsync(string file, IReadOnlyList<PickapicRow> rows, IReadOnlyList<byte[]>? images = null, bool withLabel = true)
    {
        images ??= PickapicImages;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var caption = new DataField<string>("caption", true);
        var jpg0 = new DataField<byte[]>("jpg_0", true);
        var jpg1 = new DataField<byte[]>("jpg_1", true);
        var label0 = new DataField<double>("label_0", false);
        var label1 = new DataField<double>("label_1", false);
        var user = new DataField<long?>("user_id", true);
        var ranking = new DataField<string>("ranking_id", true);
        var uid0 = new DataField<string>("image_0_uid", true);
        var uid1 = new DataField<string>("image_1_uid", true);
        var schema = withLabel
            ? new ParquetSchema(caption, jpg0, jpg1, label0, label1, user, ranking, uid0, uid1)
            : new ParquetSchema(caption, jpg0, jpg1, user, ranking, uid0, uid1);
        await using var stream = File.Create(file);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        foreach (var group in rows.Chunk(5))
        {
            using var rg = writer.CreateRowGroup();
            await rg.WriteAsync(caption, group.Select(r => r.Caption).ToArray());
            await rg.WriteAsync(jpg0, group.Select(r => images[r.Image0]).ToArray());
            await rg.WriteAsync(jpg1, group.Select(r => images[r.Image1]).ToArray());
            if (withLabel)
            {
                await rg.WriteAsync<double>(label0, group.Select(r => r.Label0).ToArray(), null, null, default);
                await rg.WriteAsync<double>(label1, group.Select(r => 1 - r.Label0).ToArray(), null, null, default);
            }

            await rg.WriteAsync<long>(user, group.Select(r => r.User).ToArray(), null, null, default);
            await rg.WriteAsync(ranking, group.Select(r => r.Ranking).ToArray());
            await rg.WriteAsync(uid0, group.Select(r => "uid-" + r.Image0.ToString(CultureInfo.InvariantCulture)).ToArray());
            await rg.WriteAsync(uid1, group.Select(r => "uid-" + r.Image1.ToString(CultureInfo.InvariantCulture)).ToArray());
            rg.CompleteValidate();
        }
    }

    private static string Quote(string s) => s.Length == 0 || s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) || s.Contains(' ', StringComparison.Ordinal)
        ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
        : s;
}
