using System.Diagnostics;
using System.Globalization;
using Pluralist.Pipeline.Images;
using Pluralist.Studies.Console.Pools;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;

namespace Pluralist.Benchmarks.Pipeline;

/// <summary>
/// Making one console thumbnail (<see cref="Thumbnails.Make(string, int, string)"/>: read the stored file, decode, Mitchell
/// resize, WebP q80 encode) from 512-pixel sources, JPEG and PNG, at each served width; time per image after a warm-up,
/// thumbnail bytes, and the source file's bytes that the browser would otherwise have fetched. One thread.
/// </summary>
public sealed class ThumbnailBench : IBenchSuite
{
    public string Name => "thumbnails";

    public string Description => "console thumbnails from 512-px JPEG/PNG sources: ms per image and bytes at 160/320/640 px (args: [IMAGES, default 16])";

    public Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 16;
        var folder = Directory.CreateTempSubdirectory("pluralist-thumb-bench-").FullName;
        try
        {
            var images = Enumerable.Range(0, count).Select(i => SceneRenderer.Render(WorldGenerator.Generate(new Pluralist.World.Prompts.GenerationRequest(
                "a pedestrian promenade with benches, trees and people, autumn evening", i, Width: 32, Height: 32)).Spec, i, 512, 512)).ToArray();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# thumbnails: {count} world scenes at 512×512, single thread; {Environment.ProcessorCount} logical CPUs, load {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
            output.WriteLine();
            output.WriteLine("| source | width | ms per thumbnail | thumbnail bytes | source bytes |");
            output.WriteLine("|---|---:|---:|---:|---:|");
            foreach (var (name, format) in new[] { ("JPEG q90", ImageFormat.Jpeg), ("PNG", ImageFormat.Png) })
            {
                var files = images.Select((image, i) =>
                {
                    var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{i}{ImageCodec.Extension(format)}"));
                    File.WriteAllBytes(path, ImageCodec.Encode(image, format, 90));
                    return path;
                }).ToArray();
                var sourceBytes = files.Average(f => new FileInfo(f).Length);
                foreach (var width in Thumbnails.Widths)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var bytes = files.Select(f => Thumbnails.Make(f, width, f).Length).Average(); // warm-up
                    var sw = Stopwatch.StartNew();
                    const int reps = 3;
                    for (var r = 0; r < reps; r++)
                    {
                        foreach (var f in files)
                        {
                            Thumbnails.Make(f, width, f);
                        }
                    }

                    var ms = sw.Elapsed.TotalMilliseconds / (reps * files.Length);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| 512 px {name} | {width} | {ms:F1} | {bytes:N0} | {sourceBytes:N0} |"));
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        return Task.CompletedTask;
    }

    private static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";
}
