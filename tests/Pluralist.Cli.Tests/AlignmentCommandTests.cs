using Pluralist.Diffusion;
using Pluralist.Studies.Alignment;
using Pluralist.World.Imaging;

namespace Pluralist.Cli.Tests;

public class AlignmentCommandTests
{
    internal static string TinyConfig(string dir)
    {
        var path = Path.Combine(dir, "tiny.config.json");
        File.WriteAllText(path, """
            { "unet": { "imageSize": 32, "baseChannels": 8, "channelMultipliers": [1, 2], "attentionResolutions": [16], "heads": 2, "groupNormGroups": 4, "contextDim": 16 },
              "textEncoder": { "width": 16, "layers": 1, "heads": 2, "maxLength": 16, "mlpRatio": 2 } }
            """);
        return path;
    }

    [Fact]
    public void Shipped_base_draws_the_place_and_time_its_prompt_names()
    {
        // The shipped weights, not a model trained here: the 32 prompts place x (time of day, season), one seed, DDPM 10 steps.
        // The probe must read the named place far above chance (1/8) with guidance 3, and above what it reads when the
        // prompt is ignored (guidance 0).
        var (code, output, err) = CliRunner.Run(CliRunner.TempDir(), "probe", "steer", "--probe", CliRunner.Shipped("probe32.safetensors"), "--model", CliRunner.Shipped("base32-small.safetensors"), "--seeds", "1", "--steps", "10");
        Assert.True(code == 0, err);
        double[] Row(string guidance) => output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Single(c => c.Length == 5 && c[0] == guidance).Skip(2).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var ignored = Row("0");
        var guided = Row("3");
        Assert.True(guided[0] >= 0.6, $"place read as named in {guided[0]:P0} of 32 images (chance 12.5%)\n{output}");
        Assert.True(guided[0] >= ignored[0] + 0.3, output);
        Assert.True(guided[1] >= 0.4, $"time of day read as named in {guided[1]:P0} (chance 25%)\n{output}");
    }

    [Fact]
    public void Probe_reads_scene_attributes_from_world_renders_clearly_above_chance()
    {
        // 240 training and 120 held-out scenes at 32x32, 80 steps: the global attributes are read well above the
        // majority-class rate (measured with 300 scenes and 100 steps: typology 0.89 vs 0.14, time of day 0.90 vs 0.36).
        var source = new WorldImageSource(360, 32, seed: 5);
        var all = SceneProbe.Examples(source, 360);
        var probe = new PerceptionProbe(SceneProbe.Config(32));
        probe.Train(all.Take(240).ToList(), steps: 80, batchSize: 32, learningRate: 3e-3f, seed: 3);
        var heldOut = all.Skip(240).ToList();
        var acc = probe.Accuracy(heldOut);
        var chance = SceneProbe.MajorityRate(heldOut);
        int H(string name) => SceneProbe.Heads.Select(h => h.Name).ToList().IndexOf(name);
        Assert.True(acc[H("typology")] > chance[H("typology")] + 0.25, $"typology {acc[H("typology")]} vs {chance[H("typology")]}");
        Assert.True(acc[H("timeOfDay")] > chance[H("timeOfDay")] + 0.2, $"timeOfDay {acc[H("timeOfDay")]} vs {chance[H("timeOfDay")]}");
        Assert.True(acc.Average() > chance.Average() + 0.05, $"mean {acc.Average()} vs {chance.Average()}");

        // What the probe reads is a valid scene, and labels round-trip through specs.
        var spec = SceneProbe.ToSpec(probe.Predict(all[250].Pixels, 1)[0]);
        spec.Validate();
        Assert.Equal(all[3].Labels, SceneProbe.Labels(SceneProbe.ToSpec(all[3].Labels)));
    }

    [Fact]
    public void Train_base_then_resume_then_generate_skips_verified_files()
    {
        var dir = CliRunner.TempDir();
        var cfg = TinyConfig(dir);
        var (code, _, err) = CliRunner.Run(dir, "train", "base", "--out", "m.safetensors", "--config", cfg, "--steps", "2", "--batch", "2", "--scenes", "4", "--warmup", "1");
        Assert.True(code == 0, err);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "m.log.csv")).Length);
        (code, _, err) = CliRunner.Run(dir, "train", "base", "--out", "m.safetensors", "--steps", "3", "--resume");
        Assert.True(code == 0, err);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(dir, "m.log.csv")).Length);
        Assert.Equal(16, DiffusionModel.Load(Path.Combine(dir, "m.safetensors")).Config.TextEncoder.Width);

        (code, var output, err) = CliRunner.Run(dir, "generate", "--model", "m.safetensors", "--prompt", "a", "park", "--seeds", "1-2", "--steps", "2", "--out", "gen");
        Assert.True(code == 0, err);
        var first = File.ReadAllBytes(Path.Combine(dir, "gen", "p000-s1.png"));
        Assert.True(Png.TryReadSize(first, out int w, out _) && w == 32);
        Assert.Contains("a park", File.ReadAllText(Path.Combine(dir, "gen", "generations.csv")), StringComparison.Ordinal);
        File.WriteAllBytes(Path.Combine(dir, "gen", "p000-s2.png"), [1, 2, 3]); // damaged: regenerated
        (code, output, err) = CliRunner.Run(dir, "generate", "--model", "m.safetensors", "--prompt", "a", "park", "--seeds", "1-2", "--steps", "2", "--out", "gen");
        Assert.True(code == 0, err);
        Assert.Contains("1 images already written and verified", output, StringComparison.Ordinal);
        Assert.True(Png.TryReadSize(File.ReadAllBytes(Path.Combine(dir, "gen", "p000-s2.png")), out _, out _));
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(dir, "gen", "p000-s1.png")));
    }

    [Fact]
    public void Train_dpo_reads_a_dataset_and_names_bad_rows()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "train", "base", "--out", "m.safetensors", "--config", TinyConfig(dir), "--steps", "1", "--batch", "1", "--scenes", "2", "--warmup", "1");
        Assert.True(code == 0, err);
        var data = Path.Combine(dir, "ds");
        Directory.CreateDirectory(Path.Combine(data, "images"));
        var img = new RgbaImage(64, 64);
        File.WriteAllBytes(Path.Combine(data, "images", "1.png"), Png.Encode(img));
        img.SetPixel(3, 3, 255, 0, 0);
        File.WriteAllBytes(Path.Combine(data, "images", "2.png"), Png.Encode(img));
        string Row(string label, string weight = "1") => $$"""{"split":"train","pair_id":1,"caption":"a park","jpg_0":"images/1.png","jpg_1":"images/2.png","label_0":{{label}},"soft_label":{{label}},"criterion":null,"weight":{{weight}}}""";
        File.WriteAllLines(Path.Combine(data, "pairs.jsonl"), [Row("1"), Row("0"), Row("0.5"), Row("1", "0")]);
        (code, var output, err) = CliRunner.Run(dir, "train", "dpo", "--dataset", "ds", "--base", "m.safetensors", "--out", "a.safetensors", "--lora", "--lora-targets", "all-linear", "--steps", "2", "--batch", "2", "--lr", "1e-4", "--scale-lr");
        Assert.True(code == 0, err);
        Assert.Contains("used 2; ties dropped 1", output, StringComparison.Ordinal);
        Assert.Contains("weight 0 dropped 1", output, StringComparison.Ordinal); // the row's weight column counts
        Assert.Contains("learning rate used 0.0002", output, StringComparison.Ordinal);
        Assert.Contains("all-linear", output, StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "a.log.csv")).Length);
        (code, _, err) = CliRunner.Run(dir, "generate", "--model", "m.safetensors", "--adapter", "a.safetensors", "--use", "dpo", "--prompt", "a", "park", "--steps", "2", "--out", "g");
        Assert.True(code == 0, err);

        File.WriteAllLines(Path.Combine(data, "pairs.jsonl"), [Row("1"), Row("2")]);
        (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--dataset", "ds", "--base", "m.safetensors", "--out", "b.safetensors", "--steps", "1");
        Assert.Equal(1, code);
        Assert.Contains("pairs.jsonl:2: field 'label_0'", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "b.safetensors")));
        File.WriteAllLines(Path.Combine(data, "pairs.jsonl"), [Row("1"), Row("1"), Row("1", "-2")]);
        (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--dataset", "ds", "--base", "m.safetensors", "--out", "b.safetensors", "--steps", "1");
        Assert.Equal(1, code);
        Assert.Contains("pairs.jsonl:3: field 'weight' must be a number >= 0", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "b.safetensors")));
    }

    [Theory]
    [InlineData("--lr", "train", "base", "--out", "m.safetensors", "--lr", "-1")]
    [InlineData("--size", "train", "base", "--out", "m.safetensors", "--size", "48")]
    [InlineData("--config", "train", "base", "--out", "m.safetensors", "--config", "missing.json")]
    [InlineData("--resume", "train", "base", "--out", "m.safetensors", "--resume")]
    [InlineData("--base", "train", "dpo", "--dataset", ".", "--base", "missing.safetensors", "--out", "o.safetensors")]
    [InlineData("--labels", "train", "dpo", "--dataset", ".", "--base", "m.safetensors", "--out", "o.safetensors", "--labels", "fuzzy")]
    [InlineData("--lora-targets", "train", "dpo", "--dataset", ".", "--base", "m.safetensors", "--out", "o.safetensors", "--lora", "--lora-targets", "everything")]
    [InlineData("--model", "generate", "--model", "missing.safetensors", "--prompt", "x", "--out", "g")]
    [InlineData("--size", "experiment", "livs-sim", "--size", "huge")]
    [InlineData("--scenes", "probe", "train", "--out", "p.safetensors", "--scenes", "0")]
    public void Bad_options_name_the_option(string option, params string[] args)
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, args);
        Assert.Equal(1, code);
        Assert.Contains(option, err, StringComparison.Ordinal);
    }
}
