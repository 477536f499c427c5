using System.Diagnostics;
using Pluralist.World.Imaging;
using Pluralist.World.Scenes;

namespace Pluralist.Benchmarks.World;

/// <summary>
/// Render time per image at 64, 256 and 512 pixels for a busy scene, against two references in
/// the same process: a plain fill of the same image, and PNG encoding of the rendered image.
/// </summary>
public sealed class WorldBench : IBenchSuite
{
    public string Name => "world";

    public string Description => "Scene render and PNG encode time per image at 64, 256 and 512 px";

    public Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var spec = new SceneSpec
        {
            Typology = Typology.PedestrianPromenade,
            TimeOfDay = TimeOfDay.Evening,
            Access = StepFreeAccess.RampAndStairs,
            Benches = 2,
            Planters = 2,
            Trees = 4,
            Lights = 2,
            SignLanguages = 2,
            Pedestrians = 4,
            WheelchairUsers = 1,
            SmoothPath = false,
        };
        output.WriteLine($"# world: one busy scene, {Environment.ProcessorCount} logical CPUs (shared with other work), {DateTime.UtcNow:yyyy-MM-dd}");
        output.WriteLine();
        output.WriteLine("| size | plain fill (reference) | render | PNG encode (adaptive) | render + encode | PNG bytes |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (int size in new[] { 64, 256, 512 })
        {
            cancellationToken.ThrowIfCancellationRequested();
            int reps = size switch { 64 => 200, 256 => 30, _ => 10 };
            var img = new RgbaImage(size, size);
            double fill = Time(() => new Canvas(img).Clear(new Rgba(1, 2, 3)), reps);
            RgbaImage rendered = SceneRenderer.Render(spec, 1, size, size);
            double render = Time(() => rendered = SceneRenderer.Render(spec, 1, size, size), reps);
            byte[] png = [];
            double encode = Time(() => png = Png.Encode(rendered), reps);
            output.WriteLine($"| {size} | {fill * 1000:F3} ms | {render * 1000:F2} ms | {encode * 1000:F2} ms | {(render + encode) * 1000:F2} ms | {png.Length:N0} |");
        }

        return Task.CompletedTask;
    }

    private static double Time(Action action, int reps)
    {
        action(); // warm-up past tier-0 JIT
        action();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
        {
            action();
        }

        return sw.Elapsed.TotalSeconds / reps;
    }
}
