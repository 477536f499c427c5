using System.Diagnostics;
using System.Globalization;
using Pluralist.Pipeline.Images;
using Pluralist.World.Imaging;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;

namespace Pluralist.Benchmarks.Pipeline;

/// <summary>
/// The hand-written PNG codec (<see cref="Png"/>, Pluralist.World) against SkiaSharp (<see cref="ImageCodec"/>) on the
/// same images: scenes from the procedural world (what <c>images generate</c>, <c>world render</c> and the demo write)
/// and a noisy gradient (photograph-like, hard to compress), at 256 and 512 pixels. Time per image (mean over the
/// images, after a warm-up) and bytes. JPEG and WebP rows say what the other formats cost for the same pixels.
/// Every decode is checked against the pixels it started from.
/// </summary>
public sealed class ImageCodecBench : IBenchSuite
{
    public string Name => "codec";

    public string Description => "Own PNG encode/decode vs SkiaSharp (PNG, JPEG, WebP) per image at 256 and 512 px, time and bytes (args: [IMAGES per kind, default 8])";

    public Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# codec: {count} images per kind and size, single thread; {Environment.ProcessorCount} logical CPUs, load {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        output.WriteLine();
        output.WriteLine("| images | size | codec | encode ms/image | decode ms/image | bytes/image |");
        output.WriteLine("|---|---:|---|---:|---:|---:|");
        foreach (var size in new[] { 256, 512 })
        {
            foreach (var (kind, images) in new[] { ("world scenes", Scenes(size, count)), ("noisy gradient", Noise(size, count)) })
            {
                cancellationToken.ThrowIfCancellationRequested();
                Row(output, kind, size, "own PNG (adaptive filter, zlib Optimal)", images, i => Png.Encode(i), b => Png.Decode(b), lossless: true);
                Row(output, kind, size, "SkiaSharp PNG (all filters, zlib 6)", images, i => ImageCodec.Encode(i, ImageFormat.Png), b => ImageCodec.Decode(b, "bench"), lossless: true);
                Row(output, kind, size, "SkiaSharp WebP lossless", images, i => ImageCodec.Encode(i, ImageFormat.Webp, 100), b => ImageCodec.Decode(b, "bench"), lossless: true);
                Row(output, kind, size, "SkiaSharp JPEG q90", images, i => ImageCodec.Encode(i, ImageFormat.Jpeg, 90), b => ImageCodec.Decode(b, "bench"), lossless: false);
                Row(output, kind, size, "SkiaSharp WebP q90", images, i => ImageCodec.Encode(i, ImageFormat.Webp, 90), b => ImageCodec.Decode(b, "bench"), lossless: false);
            }
        }

        return Task.CompletedTask;
    }

    private static void Row(TextWriter output, string kind, int size, string codec, RgbaImage[] images, Func<RgbaImage, byte[]> encode, Func<byte[], RgbaImage> decode, bool lossless)
    {
        var encoded = images.Select(encode).ToArray(); // warm-up, and the bytes to decode
        foreach (var (image, bytes) in images.Zip(encoded))
        {
            var back = decode(bytes);
            if (back.Width != image.Width || (lossless && !back.Pixels.AsSpan().SequenceEqual(image.Pixels)))
            {
                throw new InvalidOperationException($"{codec}: the decoded image differs from the encoded one");
            }
        }

        var reps = Math.Max(1, 24 / images.Length);
        var sw = Stopwatch.StartNew();
        for (var r = 0; r < reps; r++)
        {
            foreach (var image in images)
            {
                encode(image);
            }
        }

        var encodeMs = sw.Elapsed.TotalMilliseconds / (reps * images.Length);
        sw.Restart();
        for (var r = 0; r < reps; r++)
        {
            foreach (var bytes in encoded)
            {
                decode(bytes);
            }
        }

        var decodeMs = sw.Elapsed.TotalMilliseconds / (reps * images.Length);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {kind} | {size} | {codec} | {encodeMs:F2} | {decodeMs:F2} | {encoded.Average(b => b.Length):N0} |"));
    }

    private static RgbaImage[] Scenes(int size, int count) =>
        Enumerable.Range(0, count).Select(i => SceneRenderer.Render(WorldGenerator.Generate(new Pluralist.World.Prompts.GenerationRequest(
            "a pedestrian promenade with benches, trees and people, autumn evening", i, Width: 32, Height: 32)).Spec, i, size, size)).ToArray();

    private static RgbaImage[] Noise(int size, int count)
    {
        var rng = new Random(7);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var image = new RgbaImage(size, size);
            var (r0, g0, b0) = (rng.Next(256), rng.Next(256), rng.Next(256));
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    var n = rng.Next(48);
                    image.SetPixel(x, y, (byte)((r0 + x / 4 + n) & 255), (byte)((g0 + y / 4 + n) & 255), (byte)((b0 + (x + y) / 8 + n) & 255));
                }
            }

            return image;
        }).ToArray();
    }

    private static string Load() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
