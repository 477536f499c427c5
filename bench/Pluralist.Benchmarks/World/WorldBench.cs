using System.Diagnostics;
using Pluralist.World.Imaging;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;
using Pluralist.World.Simulation;

namespace Pluralist.Benchmarks.World;

/// <summary>
/// Render time per image at 64, 256 and 512 pixels for a scene with every element and for scenes
/// drawn from a prompt, against a plain fill of the same image in the same process; PNG encoding;
/// prompt parsing and scene sampling; simulated answers.
/// </summary>
public sealed class WorldBench : IBenchSuite
{
    private const string Prompt = "a pedestrian promenade in a historic Montreal neighbourhood with green spaces and safe streets, winter evening";

    public string Name => "world";

    public string Description => "Scene render and PNG encode time per image at 64, 256 and 512 px; prompt parse and sample; simulated answers";

    public Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var busy = new SceneSpec
        {
            Typology = Typology.PedestrianPromenade,
            TimeOfDay = TimeOfDay.Evening,
            Season = Season.Autumn,
            Weather = Weather.Rain,
            Detail = 1,
            Access = StepFreeAccess.RampAndStairs,
            KerbCuts = true,
            TactilePaving = true,
            Benches = 3,
            Chairs = 2,
            Canopy = true,
            Trees = 6,
            Planters = 4,
            Lawn = true,
            Fountain = true,
            Lights = 4,
            Signs = 3,
            SignLanguages = 2,
            Bollards = true,
            Cars = 3,
            Litter = 2,
            Graffiti = true,
            PlayArea = true,
            SportArea = true,
            Kiosk = true,
            MarketStalls = 3,
            PublicArt = true,
            Pedestrians = 6,
            Children = 3,
            Seniors = 2,
            WheelchairUsers = 2,
            WalkerUsers = 1,
            Strollers = 2,
            Groups = 2,
            Dogs = 2,
            Birds = 4,
            SmoothPath = false,
        };
        var sampled = Enumerable.Range(0, 16).Select(s => WorldGenerator.Generate(new GenerationRequest(Prompt, s, Width: 32, Height: 32)).Spec).ToArray();
        output.WriteLine($"# world: {Environment.ProcessorCount} logical CPUs (shared with other work), single thread, {DateTime.UtcNow:yyyy-MM-dd}");
        output.WriteLine();
        output.WriteLine("| size | plain fill (reference) | render, every element | render, scenes from the prompt (mean of 16) | PNG encode (adaptive) | PNG bytes (every element) |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (int size in new[] { 64, 256, 512 })
        {
            cancellationToken.ThrowIfCancellationRequested();
            int reps = size switch { 64 => 200, 256 => 30, _ => 10 };
            var img = new RgbaImage(size, size);
            double fill = Time(() => new Canvas(img).Clear(new Rgba(1, 2, 3)), reps);
            RgbaImage rendered = SceneRenderer.Render(busy, 1, size, size);
            double render = Time(() => rendered = SceneRenderer.Render(busy, 1, size, size), reps);
            int k = 0;
            double fromPrompt = Time(() => SceneRenderer.Render(sampled[k++ % sampled.Length], k, size, size), Math.Max(16, reps));
            byte[] png = [];
            double encode = Time(() => png = Png.Encode(rendered), reps);
            output.WriteLine($"| {size} | {fill * 1000:F3} ms | {render * 1000:F2} ms | {fromPrompt * 1000:F2} ms | {encode * 1000:F2} ms | {png.Length:N0} |");
        }

        int seed = 0;
        double parse = Time(() => PromptParser.Parse(Prompt), 2000);
        var distribution = new SceneDistribution(PromptParser.Parse(Prompt));
        var random = new Random(1);
        double sample = Time(() => distribution.Sample(random, 7.5, 30), 2000);
        var sim = new SimulatedParticipant(IdentityProfile.Baseline with { MobilityLimited = true }, Behaviour.Careful, 1);
        double answer = Time(() => sim.Answer(sampled[seed++ % 16], sampled[(seed + 3) % 16], ["accessibility", "safety", "comfort"]), 20000);
        output.WriteLine();
        output.WriteLine("| step | time |");
        output.WriteLine("|---|---:|");
        output.WriteLine($"| parse the example prompt ({Prompt.Split(' ').Length} words) | {parse * 1e6:F1} µs |");
        output.WriteLine($"| sample one scene spec from its distribution | {sample * 1e6:F1} µs |");
        output.WriteLine($"| one simulated answer (3 criteria) | {answer * 1e6:F1} µs |");
        return Task.CompletedTask;
    }

    private static double Time(Action action, int reps)
    {
        for (int i = 0; i < 40; i++)
        {
            action(); // warm-up: past tier-0 JIT (30 calls) and into the tier-1 code
        }

        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
        {
            action();
        }

        return sw.Elapsed.TotalSeconds / reps;
    }
}
