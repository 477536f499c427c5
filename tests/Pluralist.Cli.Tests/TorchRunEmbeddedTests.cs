using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Pluralist.Diffusion;

namespace Pluralist.Cli.Tests;

/// <summary>Whether Debian's python3-torch is installed (<c>/usr/bin/python3 -c "import torch"</c>).</summary>
internal static class DebianTorch
{
    public const string Python = "/usr/bin/python3";

    public const string Why = "Debian's python3-torch is not installed (/usr/bin/python3 cannot import torch): apt-get install -y python3-torch";

    private static readonly Lazy<bool> Present = new(() =>
    {
        if (!File.Exists(Python))
        {
            return false;
        }

        var psi = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import torch, torch.distributed");
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0;
    });

    public static bool Installed => Present.Value;
}

/// <summary>A fact that skips, saying why, when /usr/bin/python3 has no torch.</summary>
public sealed class DebianTorchFactAttribute : FactAttribute
{
    public DebianTorchFactAttribute()
    {
        if (!DebianTorch.Installed)
        {
            Skip = DebianTorch.Why;
        }
    }
}

/// <summary>
/// The embedded model's run folder on a real engine: <c>launch.sh</c> runs <c>torchrun --nproc_per_node 2</c> (gloo, CPU)
/// on Debian's python3-torch, and its per-step Diffusion-DPO loss is compared with Pluralist's own trainer on the same
/// data, seed, pair order, timesteps and noise; the weights it writes load back into Pluralist and generate.
/// </summary>
public sealed class TorchRunEmbeddedTests
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static List<double> Losses(string csv) => File.ReadAllLines(csv).Skip(1).Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToList();

    [DebianTorchFact]
    public async Task Torchrun_with_two_processes_matches_pluralists_trainer_and_its_weights_load_back_and_generate()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "train", "base", "--out", "m.safetensors", "--config", AlignmentCommandTests.TinyConfig(dir), "--steps", "2", "--batch", "2", "--scenes", "4", "--warmup", "1");
        Assert.True(code == 0, err);
        await TorchRunCommandTests.ParquetDataset(dir);
        string[] settings = ["--steps", "4", "--batch", "4", "--lr", "2e-4", "--beta", "50", "--warmup", "0.5", "--seed", "7"];

        (code, _, err) = CliRunner.Run(dir, ["train", "dpo", "--dataset", "pq", "--base", "m.safetensors", "--out", "own.safetensors", "--checkpoint-every", "1", .. settings]);
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(dir, ["train", "dpo", "--engine", "torch", "--model", "embedded", "--dataset", "pq", "--base", "m.safetensors", "--out", "run", "--gpus", "2", .. settings]);
        Assert.True(code == 0, err);
        var run = Path.Combine(dir, "run");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")))!;
        Assert.Equal("embedded", (string)manifest["model"]!);
        Assert.Equal(6, (int)manifest["prepared"]!["pairs"]!);
        Assert.Equal(4, (int)manifest["prepared"]!["recorded_steps"]!);
        Assert.Equal(2, (int)manifest["settings"]!["gradient_accumulation_steps"]!);
        (code, _, err) = CliRunner.Run(dir, "runs", "check", "run");
        Assert.True(code == 0, err);

        var psi = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(run, "launch.sh"));
        psi.Environment["PYTHON"] = DebianTorch.Python;
        psi.Environment["MAIN_PORT"] = FreePort().ToString(CultureInfo.InvariantCulture);
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using (var p = Process.Start(psi)!)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(10)), "torchrun did not finish in 10 minutes");
            Assert.True(p.ExitCode == 0, $"launch.sh exited {p.ExitCode}: {await stdout}\n{await stderr}");
        }

        var own = Losses(Path.Combine(dir, "own.log.csv"));
        var torch = Losses(Path.Combine(run, "output", "log.csv"));
        Assert.Equal(4, own.Count);
        Assert.Equal(4, torch.Count);
        Assert.Equal(own[0], torch[0], 1e-6); // model = reference at the first step: the same terms on both engines
        // later steps moved the model away from the reference: the comparison is not trivial
        var mse = File.ReadAllLines(Path.Combine(dir, "own.log.csv")).Skip(2).Select(l => l.Split(',')).Select(c => Math.Abs(double.Parse(c[3], CultureInfo.InvariantCulture) - double.Parse(c[4], CultureInfo.InvariantCulture)));
        Assert.Contains(mse, d => d > 1e-4);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(Math.Abs(own[i] - torch[i]) <= 1e-4, $"step {i + 1}: Pluralist {own[i]:R}, torchrun {torch[i]:R}");
        }

        // The weights load back (strict: every tensor present, none unexpected), differ from the base, and generate.
        var trained = DiffusionModel.Load(Path.Combine(run, "output", "model.safetensors"));
        var baseModel = DiffusionModel.Load(Path.Combine(dir, "m.safetensors"));
        var mine = DiffusionModel.Load(Path.Combine(dir, "own.safetensors"));
        var tState = trained.UNet.StateDict();
        var bState = baseModel.UNet.StateDict();
        var oState = mine.UNet.StateDict();
        double moved = 0, apart = 0;
        foreach (var (k, v) in tState)
        {
            for (int i = 0; i < v.Numel; i++)
            {
                moved = Math.Max(moved, Math.Abs(v.Data[i] - bState[k].Data[i]));
                apart = Math.Max(apart, Math.Abs(v.Data[i] - oState[k].Data[i]));
            }
        }

        Assert.True(moved > 1e-4, $"the torch run left the weights where they were (max change {moved})");
        Assert.True(apart < moved / 2, $"the two engines' weights differ by {apart}, as much as training moved them ({moved})");
        // runs pull brings them back checked (they load into Pluralist) with the trainer's log, and they generate.
        (code, var pulled, err) = CliRunner.Run(dir, "runs", "pull", "run");
        Assert.True(code == 0, err);
        Assert.Contains("loads back", pulled, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Path.Combine(run, "output", "log.csv")), File.ReadAllBytes(Path.Combine(run, "pulled", "log.csv")));
        (code, _, err) = CliRunner.Run(dir, "generate", "--model", Path.Combine("run", "pulled", "model.safetensors"), "--prompt", "a", "park", "--steps", "2", "--seeds", "1", "--out", "gen");
        Assert.True(code == 0, err);
        Assert.Single(Directory.GetFiles(Path.Combine(dir, "gen"), "*.png"));
    }
}
