using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Pluralist.Diffusion;
using Pluralist.World.Imaging;

namespace Pluralist.Cli;

/// <summary><c>pluralist generate</c>: images from the embedded diffusion model, optionally with LoRA adapters.</summary>
public static class GenerateCommand
{
    internal const string CsvHeader = "file,prompt_index,prompt,seed,guidance,steps,sampler,eta,adapter,model,sha256";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (safetensors).", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "LoRA adapter file (from `train dpo --lora`)." };
        var use = new Option<string?>("--use") { Description = "Adapter to use from the file (default: the only one)." };
        var mix = new Option<string?>("--mix") { Description = "Exact mixture of adapters, e.g. a=0.5,b=0.5." };
        var prompt = new Option<string[]>("--prompt") { Description = "One prompt; its words may follow unquoted.", AllowMultipleArgumentsPerToken = true };
        var promptFile = new Option<string?>("--prompts") { Description = "Text file with one prompt per line (instead of --prompt)." };
        var seeds = new Option<string>("--seeds", "--seed") { Description = "Seeds: one (5), a list (1,2,5) or a range (1-8).", DefaultValueFactory = _ => "1" };
        var guidance = new Option<float>("--guidance") { Description = "Classifier-free guidance scale w (1 = conditional only).", DefaultValueFactory = _ => 3f };
        var steps = new Option<int>("--steps") { Description = "Sampler steps.", DefaultValueFactory = _ => 50 };
        var sampler = new Option<string>("--sampler") { Description = "ddpm (smooth images from a small model), ddim or euler (deterministic).", DefaultValueFactory = _ => "ddpm" };
        var eta = new Option<float>("--eta") { Description = "DDIM eta (0 = deterministic).", DefaultValueFactory = _ => 0f };
        var output = new Option<string>("--out") { Description = "Output folder: PNGs and generations.csv.", Required = true };
        var cmd = new Command("generate", "Generate images with the embedded diffusion model; resumable (files already written and verified are skipped).")
        {
            model, adapter, use, mix, prompt, promptFile, seeds, guidance, steps, sampler, eta, output,
        };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var words = parse.GetValue(prompt) ?? [];
            var file = parse.GetValue(promptFile);
            CommandHelpers.Require((words.Length == 0) != (file is null), "--prompt", "give either --prompt WORDS or --prompts FILE");
            if (file is not null && !File.Exists(file))
            {
                throw new CliInputException($"--prompts: file not found: {file}");
            }

            string[] prompts = file is null ? [string.Join(' ', words)] : [.. File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0)];
            CommandHelpers.Require(prompts.Length > 0, "--prompts", $"{file} holds no prompt");
            var seedList = CommandHelpers.ParseSeeds(parse.GetValue(seeds)!);
            float w = parse.GetValue(guidance);
            CommandHelpers.Require(float.IsFinite(w) && w >= 0, "--guidance", "must be a number >= 0");
            int n = parse.GetValue(steps);
            CommandHelpers.Require(n is >= 1 and <= 1000, "--steps", "must be in 1..1000");
            var kind = ParseSampler(parse.GetValue(sampler)!);
            float e = parse.GetValue(eta);
            CommandHelpers.Require(e is >= 0 and <= 1, "--eta", "must be in [0, 1]");
            var modelPath = parse.GetValue(model)!;
            var m = CommandHelpers.LoadModel(modelPath, "--model");
            CommandHelpers.Require(n <= m.Schedule.TrainSteps, "--steps", $"must be at most the model's {m.Schedule.TrainSteps} training steps");
            var adapterLabel = ApplyAdapters(m, parse.GetValue(adapter), parse.GetValue(use), parse.GetValue(mix));
            var folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder);
            var csvPath = Path.Combine(folder, "generations.csv");
            var previous = ReadCsv(csvPath);
            var rows = new List<string>();
            var jobs = new List<(int Prompt, int Seed, string File, string Row)>();
            string modelName = Path.GetFileName(modelPath);
            for (int i = 0; i < prompts.Length; i++)
            {
                foreach (int s in seedList)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"p{i:D3}-s{s}.png");
                    var row = string.Create(CultureInfo.InvariantCulture, $"{name},{i},{Csv(prompts[i])},{s},{w:R},{n},{kind.ToString().ToLowerInvariant()},{e:R},{Csv(adapterLabel)},{Csv(modelName)}");
                    jobs.Add((i, s, name, row));
                }
            }

            var jobFiles = jobs.Select(j => j.File).ToHashSet(StringComparer.Ordinal);
            rows.AddRange(previous.Where(kv => !jobFiles.Contains(kv.Key)).Select(kv => kv.Value)); // other runs' rows stay
            int skipped = 0;
            var todo = new List<(int Prompt, int Seed, string File, string Row)>();
            foreach (var job in jobs)
            {
                if (previous.TryGetValue(job.File, out var prev) && prev.StartsWith(job.Row + ",", StringComparison.Ordinal) && Verified(Path.Combine(folder, job.File), prev[(job.Row.Length + 1)..], m.Config.UNet.ImageSize))
                {
                    rows.Add(prev);
                    skipped++;
                }
                else
                {
                    todo.Add(job);
                }
            }

            if (skipped > 0)
            {
                Console.WriteLine($"{skipped} images already written and verified, skipped");
            }

            var options = new SamplerOptions { Kind = kind, Steps = n, Eta = e };
            var sw = System.Diagnostics.Stopwatch.StartNew();
            int k = 0;
            bool stopped = CommandHelpers.RunWithProgress($"generate -> {folder}", 0, todo.Count, report =>
            {
                var job = todo[k];
                var x = m.Generate(new GenerationRequest { Prompts = [prompts[job.Prompt]], Seed = (ulong)job.Seed, GuidanceScale = w, Sampler = options });
                var png = Pipeline.Images.ImageCodec.Encode(RgbaImage.FromRgb(m.Config.UNet.ImageSize, m.Config.UNet.ImageSize, DiffusionModel.ToRgbBytes(x, 0)), Pipeline.Images.ImageFormat.Png);
                TrainCommands.SaveAtomic(Path.Combine(folder, job.File), p => File.WriteAllBytes(p, png));
                rows.Add(job.Row + "," + Convert.ToHexStringLower(SHA256.HashData(png)));
                TrainCommands.SaveAtomic(csvPath, p => File.WriteAllLines(p, [CsvHeader, .. rows.OrderBy(r => r, StringComparer.Ordinal)]));
                k++;
                report(k, job.File);
                return k;
            }, ct);
            if (todo.Count > 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k} images in {sw.Elapsed.TotalSeconds:F1} s ({sw.Elapsed.TotalSeconds / Math.Max(1, k):F2} s/image), {skipped} skipped -> {folder}"));
            }

            await Task.CompletedTask;
            return stopped ? 130 : 0;
        }));
        return cmd;
    }

    /// <summary>Attaches the adapters of <paramref name="file"/> and activates one or a mixture; returns how they were applied.</summary>
    internal static string ApplyAdapters(DiffusionModel model, string? file, string? use, string? mix)
    {
        if (file is null)
        {
            CommandHelpers.Require(use is null && mix is null, use is null ? "--mix" : "--use", "needs --adapter");
            return string.Empty;
        }

        CommandHelpers.Require(use is null || mix is null, "--use", "give either --use or --mix, not both");
        if (!File.Exists(file))
        {
            throw new CliInputException($"--adapter: file not found: {file}");
        }

        LoraAdapterBank bank;
        try
        {
            bank = LoraAdapterBank.AttachFromFile(model.UNet, file);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or KeyNotFoundException or ArgumentException)
        {
            throw new CliInputException($"--adapter {file}: {e.Message}");
        }

        if (mix is not null)
        {
            var weights = CommandHelpers.ParseWeights(mix, "--mix")!;
            foreach (var name in weights.Keys.Where(k => !bank.Names.Contains(k)))
            {
                throw new CliInputException($"--mix: no adapter named '{name}' in {file} (has: {string.Join(", ", bank.Names)})");
            }

            bank.Mix(weights);
            return "mix:" + mix;
        }

        var chosen = use ?? (bank.Names.Count == 1 ? bank.Names.First() : throw new CliInputException($"--use: {file} holds {bank.Names.Count} adapters ({string.Join(", ", bank.Names)}); name one"));
        if (!bank.Names.Contains(chosen))
        {
            throw new CliInputException($"--use {chosen}: no such adapter in {file} (has: {string.Join(", ", bank.Names)})");
        }

        bank.Activate(chosen);
        return chosen;
    }

    internal static SamplerKind ParseSampler(string text) => text switch
    {
        "ddim" => SamplerKind.Ddim,
        "ddpm" => SamplerKind.Ddpm,
        "euler" => SamplerKind.Euler,
        _ => throw new CliInputException($"--sampler {text}: expected ddim, ddpm or euler"),
    };

    private static bool Verified(string path, string sha, int size)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        var bytes = File.ReadAllBytes(path);
        return Convert.ToHexStringLower(SHA256.HashData(bytes)) == sha && Png.TryReadSize(bytes, out int w, out int h) && w == size && h == size;
    }

    private static Dictionary<string, string> ReadCsv(string path)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return d;
        }

        foreach (var line in File.ReadLines(path).Skip(1))
        {
            int comma = line.IndexOf(',', StringComparison.Ordinal);
            if (comma > 0)
            {
                d[line[..comma]] = line;
            }
        }

        return d;
    }

    // Quoted, and neutralised against formula injection, by the one CSV writer.
    private static string Csv(string s) => Pluralist.Core.Text.CsvWriter.Escape(s);
}
