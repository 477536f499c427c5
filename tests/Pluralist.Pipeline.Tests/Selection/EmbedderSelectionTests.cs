using Pluralist.Pipeline.Embedders;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Selection;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Tests.Selection;

public sealed class EmbedderSelectionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pl-sel-");

    public void Dispose() => _dir.Delete(true);

    /// <summary>A 16 x 16 image: the left half one colour, the right half another, plus a little seeded noise.</summary>
    private static RgbaImage Split((byte R, byte G, byte B) left, (byte R, byte G, byte B) right, int noiseSeed)
    {
        var rng = new Random(noiseSeed);
        var px = new byte[16 * 16 * 4];
        for (int y = 0; y < 16; y++)
        {
            for (int x = 0; x < 16; x++)
            {
                var c = x < 8 ? left : right;
                int o = (y * 16 + x) * 4;
                px[o] = (byte)Math.Clamp(c.R + rng.Next(-6, 7), 0, 255);
                px[o + 1] = (byte)Math.Clamp(c.G + rng.Next(-6, 7), 0, 255);
                px[o + 2] = (byte)Math.Clamp(c.B + rng.Next(-6, 7), 0, 255);
                px[o + 3] = 255;
            }
        }

        return new RgbaImage(16, 16, px);
    }

    private static double Cos(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [Fact]
    public void Color_layout_embedding_separates_palette_and_layout()
    {
        var e = new ColorLayoutEmbedder();
        (byte, byte, byte) red = (220, 40, 40), blue = (40, 40, 220), green = (40, 200, 60);
        var v = e.Embed([Split(red, blue, 1), Split(red, blue, 2), Split(blue, red, 3), Split(green, green, 4)]);
        Assert.All(v, x => Assert.Equal(e.Dimension, x.Length));
        Assert.All(v, x => Assert.Equal(1, Math.Sqrt(x.Sum(y => (double)y * y)), 5));
        Assert.True(Cos(v[0], v[1]) > 0.97, $"same picture, other noise: {Cos(v[0], v[1])}");
        double mirrored = Cos(v[0], v[2]), other = Cos(v[0], v[3]);
        Assert.True(mirrored < 0.9 && mirrored > other, $"mirrored {mirrored}, other palette {other}"); // same palette, other layout
        Assert.True(other < 0.5, $"other palette {other}");
    }

    [Fact]
    public void Folder_selection_keeps_one_image_per_look_and_records_vendi_against_random()
    {
        // Generation output for one prompt: 6 variants, three near-copies of one look, two of another, one unique.
        (byte, byte, byte) red = (220, 40, 40), blue = (40, 40, 220), green = (40, 200, 60), grey = (128, 128, 128);
        RgbaImage[] looks = [Split(red, blue, 1), Split(red, blue, 2), Split(red, blue, 3), Split(green, grey, 4), Split(green, grey, 5), Split(grey, blue, 6)];
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "images", "p1"));
        var lines = new List<string> { "prompt,variant,file,generator,seed,guidance,steps,width,height,sha256,status,error,parameters,created_at" };
        for (int v = 0; v < looks.Length; v++)
        {
            var png = Png.Encode(looks[v]);
            var file = $"images/p1/{v:D3}.png";
            File.WriteAllBytes(Path.Combine(_dir.FullName, file), png);
            lines.Add($"p1,{v},{file},test,{v},7.5,30,16,16,{GenerationJob.Sha256(png)},ok,,,2025-01-01T00:00:00Z");
        }

        lines.Add("p1,6,images/p1/006.png,test,6,7.5,30,16,16,,failed,HTTP 500,,2025-01-01T00:00:00Z"); // failed rows are not candidates
        File.WriteAllLines(Path.Combine(_dir.FullName, "manifest.csv"), lines);

        var report = FolderSelection.Run(_dir.FullName, new ColorLayoutEmbedder(), new SelectionOptions { K = 3, RandomDraws = 200 });

        var r = Assert.Single(report.Results);
        Assert.Equal(6, r.Candidates);
        var variants = r.Selected.Select(f => int.Parse(f[^7..^4], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Single(variants, v => v <= 2);
        Assert.Single(variants, v => v is 3 or 4);
        Assert.Contains(5, variants);
        Assert.True(r.VendiSelected > r.VendiRandomMean, $"{r.VendiSelected} vs {r.VendiRandomMean}");

        var selection = File.ReadAllLines(Path.Combine(_dir.FullName, "selection.csv"));
        Assert.Equal("prompt,variant,file,sha256,rank,embedder,method", selection[0]);
        Assert.Equal(4, selection.Length);
        Assert.All(selection.Skip(1), l => Assert.EndsWith(",color-layout/1,greedy", l, StringComparison.Ordinal));
        Assert.StartsWith("prompt,candidates,method,k,selected,vendi_selected", File.ReadAllLines(Path.Combine(_dir.FullName, "selection-report.csv"))[0], StringComparison.Ordinal);

        // The unique look (variant 5) is reported broken: with quality 0 the weighted method never keeps it.
        var weighted = FolderSelection.Run(_dir.FullName, new ColorLayoutEmbedder(), new SelectionOptions { K = 3, Method = SelectionMethod.QualityWeighted },
            quality: row => row.Variant == 5 ? 0 : 1);
        Assert.DoesNotContain("images/p1/005.png", weighted.Results[0].Selected);
        Assert.EndsWith(",color-layout/1,quality-weighted", File.ReadAllLines(Path.Combine(_dir.FullName, "selection.csv"))[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Folder_selection_with_a_broken_file_names_it_and_writes_nothing()
    {
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "images", "p1"));
        File.WriteAllBytes(Path.Combine(_dir.FullName, "images", "p1", "000.png"), Png.Encode(Split((1, 2, 3), (4, 5, 6), 1)));
        File.WriteAllBytes(Path.Combine(_dir.FullName, "images", "p1", "001.png"), [0, 1, 2]);
        File.WriteAllLines(Path.Combine(_dir.FullName, "manifest.csv"),
        [
            "prompt,variant,file,generator,seed,guidance,steps,width,height,sha256,status,error,parameters,created_at",
            "p1,0,images/p1/000.png,test,0,7.5,30,16,16,,ok,,,2025-01-01T00:00:00Z",
            "p1,1,images/p1/001.png,test,1,7.5,30,16,16,,ok,,,2025-01-01T00:00:00Z",
        ]);
        var ex = Assert.Throws<InvalidDataException>(() => FolderSelection.Run(_dir.FullName, new ColorLayoutEmbedder(), new SelectionOptions { K = 1 }));
        Assert.StartsWith($"{Path.Combine(_dir.FullName, "images/p1/001.png")}: is not a PNG, JPEG or WebP image", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "selection.csv")));
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "selection-report.csv")));
    }

    [Fact]
    public void A_broken_image_file_is_named()
    {
        var path = Path.Combine(_dir.FullName, "broken.png");
        File.WriteAllBytes(path, [1, 2, 3]);
        var ex = Assert.Throws<InvalidDataException>(() => new ColorLayoutEmbedder().EmbedImageFiles([path]));
        Assert.StartsWith($"{path}: is not a PNG, JPEG or WebP image", ex.Message, StringComparison.Ordinal);
    }
}
