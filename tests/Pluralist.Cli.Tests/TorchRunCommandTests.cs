using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Pluralist.Core.Preferences;
using Pluralist.Data.Datasets;
using Pluralist.World.Imaging;

namespace Pluralist.Cli.Tests;

/// <summary><c>train dpo --engine torch</c> run folders and <c>runs check</c> (docs/formats.md, "Torch run folder").</summary>
public sealed class TorchRunCommandTests
{
    /// <summary>A Parquet dataset written by the project's writer: 6 labels on 3 prompts (one weighted), all in train.</summary>
    internal static async Task<string> ParquetDataset(string dir, int size = 32)
    {
        var src = Path.Combine(dir, "src-images");
        Directory.CreateDirectory(src);
        var paths = new Dictionary<long, string>();
        for (int id = 1; id <= 6; id++)
        {
            var img = new RgbaImage(size, size);
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    img.SetPixel(x, y, (byte)((x * 8 * id) % 256), (byte)((y * 5) + (id * 30)), (byte)(id * 40), 255);
                }
            }

            paths[id] = Path.Combine(src, $"{id}.png");
            File.WriteAllBytes(paths[id], Png.Encode(img));
        }

        var labels = Enumerable.Range(0, 6).Select(i =>
        {
            int prompt = (i % 3) + 1;
            long a = (2 * prompt) - 1, b = 2 * prompt;
            return new PreferenceLabel(100 + i, prompt, a, b, null, i % 2, i % 2, i == 4 ? 2 : 1, 1 + i, null, [1000 + i]);
        }).ToList();
        var input = new DatasetInput
        {
            StudyName = "torch run test",
            Criteria = ["safety"],
            Protocol = "livs",
            Labels = labels,
            Captions = new Dictionary<long, string> { [1] = "a park with trees", [2] = "a busy square", [3] = "a quiet street with benches" },
            ImagePaths = paths,
            ValidationShare = 0,
            TestShare = 0,
        };
        var outDir = Path.Combine(dir, "pq");
        await ParquetDatasetWriter.WriteAsync(input, outDir);
        return outDir;
    }

    private static JsonObject Manifest(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")))!.AsObject();

    private static (int Code, string Err) Bash(string script, IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err.Result);
    }

    [Fact]
    public async Task Sdxl_lora_run_folder_holds_the_dataset_every_setting_and_the_diffusers_command()
    {
        var dir = CliRunner.TempDir();
        await ParquetDataset(dir);
        var (code, output, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sdxl", "--dataset", "pq", "--out", "run",
            "--lora", "--rank", "8", "--alpha", "8", "--gpus", "8", "--nodes", "2", "--per-device-batch", "2", "--scale-lr");
        Assert.True(code == 0, err);
        Assert.Contains("batch 64 = 2 per device x 2 accumulation x 16 processes", output, StringComparison.Ordinal);
        Assert.Contains("learning rate used 6.4E-07", output, StringComparison.Ordinal);
        Assert.Contains("1 rows of split 'train' carry a weight other than 1", err, StringComparison.Ordinal);
        var run = Path.Combine(dir, "run");

        var m = Manifest(run);
        Assert.Equal("pluralist-torch-run-1", (string)m["format"]!);
        Assert.Equal("sdxl", (string)m["model"]!);
        Assert.Equal("lora", (string)m["mode"]!);
        Assert.Equal("train_diffusion_dpo_sdxl.py", (string)m["trainer"]!["script"]!);
        Assert.Equal("stabilityai/stable-diffusion-xl-base-1.0", (string)m["base"]!);
        Assert.Equal(1024, (int)m["resolution"]!);
        var s = m["settings"]!;
        Assert.Equal(5000, (double)s["beta"]!);
        Assert.Equal(1e-8, (double)s["learning_rate"]!);
        Assert.True((bool)s["scale_lr"]!);
        Assert.Equal(6.4e-7, (double)s["learning_rate_used"]!, 1e-15);
        Assert.Equal(0.2, (double)s["warmup_fraction"]!);
        Assert.Equal(100, (int)s["warmup_steps"]!);
        Assert.Equal(500, (int)s["steps"]!);
        Assert.Equal(64, (int)s["effective_batch"]!);
        Assert.Equal(2, (int)s["gradient_accumulation_steps"]!);
        Assert.Equal(16, (int)s["processes"]!);
        Assert.Equal(42, (int)s["seed"]!);
        Assert.Equal(8, (int)s["lora_rank"]!);

        // The dataset is the writer's files, copied, with the hash sha256sum would give over them.
        var d = m["dataset"]!;
        Assert.Equal(6, (int)d["rows"]!["train"]!);
        Assert.Equal(1, (int)d["weighted_rows"]!);
        var lines = new StringBuilder();
        foreach (var f in Directory.GetFiles(Path.Combine(run, "dataset"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(run, "dataset"), f)).Order(StringComparer.Ordinal))
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "pq", f)), File.ReadAllBytes(Path.Combine(run, "dataset", f)));
            lines.Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(run, "dataset", f))))).Append("  ").Append(f).Append('\n');
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString()))), (string)d["sha256"]!);
        Assert.True(File.Exists(Path.Combine(run, "dataset", "data", "train-00000-of-00001.parquet")));

        var accelerate = File.ReadAllText(Path.Combine(run, "accelerate_config.yaml"));
        Assert.Contains("distributed_type: MULTI_GPU\n", accelerate, StringComparison.Ordinal);
        Assert.Contains("num_processes: 16\n", accelerate, StringComparison.Ordinal);
        Assert.Contains("num_machines: 2\n", accelerate, StringComparison.Ordinal);
        Assert.Contains("mixed_precision: fp16\n", accelerate, StringComparison.Ordinal);

        var launch = File.ReadAllText(Path.Combine(run, "launch.sh"));
        foreach (var arg in new[]
        {
            "\"$TRAINER_DIR/train_diffusion_dpo_sdxl.py\"", "--pretrained_model_name_or_path=stabilityai/stable-diffusion-xl-base-1.0",
            "--pretrained_vae_model_name_or_path=madebyollin/sdxl-vae-fp16-fix", "--dataset_name=\"$RUN_DIR/dataset\"", "--dataset_split_name=train",
            "--train_batch_size=2", "--gradient_accumulation_steps=2", "--max_train_steps=500", "--learning_rate=1E-08", "--scale_lr",
            "--lr_scheduler=constant_with_warmup", "--lr_warmup_steps=100", "--beta_dpo=5000 ", "--rank=8", "--seed=42", "--mixed_precision=fp16",
            "--max_grad_norm=1", "--adam_weight_decay=0.01",
        })
        {
            Assert.Contains(arg, launch, StringComparison.Ordinal);
        }

        // The script itself: without MAIN_ADDR on a two-node run, and without the trainer checkout, it stops and says why.
        var (bc, berr) = Bash(Path.Combine(run, "launch.sh"), new Dictionary<string, string>());
        Assert.Equal(1, bc);
        Assert.Contains("set MAIN_ADDR", berr, StringComparison.Ordinal);
        (bc, berr) = Bash(Path.Combine(run, "launch.sh"), new Dictionary<string, string> { ["MAIN_ADDR"] = "10.0.0.1", ["TRAINER_DIR"] = Path.Combine(dir, "nowhere") });
        Assert.Equal(1, bc);
        Assert.Contains("train_diffusion_dpo_sdxl.py not found: set TRAINER_DIR", berr, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(dir, "runs", "check", "run");
        Assert.True(code == 0, err);
        Assert.Contains("valid run folder", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sd15_full_run_uses_the_authors_trainer_on_one_gpu()
    {
        var dir = CliRunner.TempDir();
        await ParquetDataset(dir);
        var (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sd15", "--dataset", "pq", "--out", "run", "--steps", "50", "--batch", "8", "--base", "/models/my sd15");
        Assert.True(code == 0, err);
        var run = Path.Combine(dir, "run");
        var m = Manifest(run);
        Assert.Equal("full", (string)m["mode"]!);
        Assert.Equal("train.py", (string)m["trainer"]!["script"]!);
        Assert.Null(m["vae"]);
        Assert.Equal(512, (int)m["resolution"]!);
        Assert.Equal(1e-8, (double)m["settings"]!["learning_rate_used"]!);
        Assert.Equal(8, (int)m["settings"]!["gradient_accumulation_steps"]!);
        Assert.Equal(10, (int)m["settings"]!["warmup_steps"]!);
        Assert.Null(m["settings"]!["lora_rank"]);
        var launch = File.ReadAllText(Path.Combine(run, "launch.sh"));
        Assert.Contains("--pretrained_model_name_or_path='/models/my sd15'", launch, StringComparison.Ordinal);
        Assert.Contains("--split=train", launch, StringComparison.Ordinal);
        Assert.Contains("--proportion_empty_prompts=0", launch, StringComparison.Ordinal);
        Assert.DoesNotContain("--sdxl", launch, StringComparison.Ordinal);
        Assert.DoesNotContain("--rank", launch, StringComparison.Ordinal);
        Assert.DoesNotContain("--scale_lr", launch, StringComparison.Ordinal);
        Assert.Contains("distributed_type: NO\n", File.ReadAllText(Path.Combine(run, "accelerate_config.yaml")), StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "runs", "check", "run");
        Assert.True(code == 0, err);
    }

    [Theory]
    [InlineData("launch", "launch.sh: missing")]
    [InlineData("beta", "field 'settings.beta' must be > 0")]
    [InlineData("batch", "field 'settings.effective_batch' is 64, but per_device_batch 2 x gradient_accumulation_steps 32 x processes 2 = 128")]
    [InlineData("lr", "field 'settings.learning_rate_used' is 1E-05")]
    [InlineData("warmup", "field 'settings.warmup_steps' is 3, but warmup_fraction 0.2 x steps 500 rounds to 100")]
    [InlineData("dataset", "differs from manifest.json dataset.files[1].sha256")]
    [InlineData("parquet", "train-00000-of-00001.parquet: missing (listed in manifest.json dataset.files[1])")]
    [InlineData("accelerate", "'num_processes' is 4, but manifest.json says 2")]
    [InlineData("json", "manifest.json: not a JSON object")]
    [InlineData("model", "field 'model' is 'sd3', expected sd15 or sdxl or embedded")]
    public async Task Runs_check_names_the_missing_file_or_the_bad_setting(string damage, string expected)
    {
        var dir = CliRunner.TempDir();
        await ParquetDataset(dir);
        var (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sdxl", "--dataset", "pq", "--out", "run", "--gpus", "2");
        Assert.True(code == 0, err);
        var run = Path.Combine(dir, "run");
        var manifestPath = Path.Combine(run, "manifest.json");
        void Edit(Action<JsonObject> change)
        {
            var m = Manifest(run);
            change(m);
            File.WriteAllText(manifestPath, m.ToJsonString());
        }

        switch (damage)
        {
            case "launch": File.Delete(Path.Combine(run, "launch.sh")); break;
            case "beta": Edit(m => m["settings"]!["beta"] = -1); break;
            case "batch": Edit(m => m["settings"]!["per_device_batch"] = 2); break;
            case "lr": Edit(m => m["settings"]!["learning_rate_used"] = 1e-5); break;
            case "warmup": Edit(m => m["settings"]!["warmup_steps"] = 3); break;
            case "dataset": File.AppendAllText(Path.Combine(run, "dataset", "data", "train-00000-of-00001.parquet"), "x"); break;
            case "parquet": File.Delete(Path.Combine(run, "dataset", "data", "train-00000-of-00001.parquet")); break;
            case "accelerate": File.WriteAllText(Path.Combine(run, "accelerate_config.yaml"), File.ReadAllText(Path.Combine(run, "accelerate_config.yaml")).Replace("num_processes: 2", "num_processes: 4", StringComparison.Ordinal)); break;
            case "json": File.WriteAllText(manifestPath, "{ \"format\": "); break;
            case "model": Edit(m => m["model"] = "sd3"); break;
        }

        (code, _, err) = CliRunner.Run(dir, "runs", "check", "run");
        Assert.Equal(1, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--batch", "--model", "sdxl", "--gpus", "3")]
    [InlineData("--labels", "--model", "sdxl", "--labels", "soft")]
    [InlineData("--criterion-weight", "--model", "sd15", "--criterion-weight", "Safety=2")]
    [InlineData("--alpha", "--model", "sdxl", "--lora", "--rank", "8")]
    [InlineData("--beta", "--model", "sdxl", "--lora", "--beta", "2500.5")]
    [InlineData("--model", "--model", "sd3")]
    [InlineData("--model")]
    [InlineData("--mixed-precision", "--model", "sd15", "--mixed-precision", "fp8")]
    [InlineData("--vae", "--model", "sd15", "--vae", "x")]
    [InlineData("--resume", "--model", "sd15", "--resume")]
    public async Task Bad_torch_options_are_named_and_nothing_is_written(string option, params string[] extra)
    {
        var dir = CliRunner.TempDir();
        await ParquetDataset(dir);
        var (code, _, err) = CliRunner.Run(dir, ["train", "dpo", "--engine", "torch", "--dataset", "pq", "--out", "run", .. extra]);
        Assert.Equal(1, code);
        Assert.Contains(option, err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
        Assert.Empty(Directory.GetDirectories(dir, ".run*"));
    }

    [Fact]
    public async Task Torch_options_need_the_torch_engine_and_a_parquet_dataset_and_an_empty_folder()
    {
        var dir = CliRunner.TempDir();
        await ParquetDataset(dir);
        var (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--dataset", "pq", "--base", "m.safetensors", "--out", "o.safetensors", "--gpus", "2");
        Assert.Equal(1, code);
        Assert.Contains("--gpus: only with --engine torch", err, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(dir, "jsonl"));
        File.WriteAllText(Path.Combine(dir, "jsonl", "pairs.jsonl"), "{}\n");
        (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sdxl", "--dataset", "jsonl", "--out", "run");
        Assert.Equal(1, code);
        Assert.Contains("--format parquet", err, StringComparison.Ordinal);

        (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sdxl", "--dataset", "pq", "--out", "run", "--split", "test");
        Assert.Equal(1, code);
        Assert.Contains("--split test: the dataset has no rows in this split (train 6)", err, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(dir, "full"));
        File.WriteAllText(Path.Combine(dir, "full", "keep.txt"), "mine");
        (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sdxl", "--dataset", "pq", "--out", "full");
        Assert.Equal(1, code);
        Assert.Contains("exists and is not empty", err, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "full", "keep.txt")));
    }
}
