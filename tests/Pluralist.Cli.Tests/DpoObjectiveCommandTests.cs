using Pluralist.World.Imaging;

namespace Pluralist.Cli.Tests;

/// <summary><c>train dpo --objective</c>, <c>--margin</c> and <c>--curriculum</c> on a hand-made dataset with identity groups.</summary>
public class DpoObjectiveCommandTests
{
    private static string Setup(string dir, bool groups)
    {
        var (code, _, err) = CliRunner.Run(dir, "train", "base", "--out", "m.safetensors", "--config", AlignmentCommandTests.TinyConfig(dir), "--steps", "1", "--batch", "1", "--scenes", "2", "--warmup", "1");
        Assert.True(code == 0, err);
        var data = Path.Combine(dir, "ds");
        Directory.CreateDirectory(Path.Combine(data, "images"));
        var img = new RgbaImage(32, 32);
        File.WriteAllBytes(Path.Combine(data, "images", "1.png"), Png.Encode(img));
        img.SetPixel(3, 3, 255, 0, 0);
        File.WriteAllBytes(Path.Combine(data, "images", "2.png"), Png.Encode(img));
        string Row(double soft, string group) => FormattableString.Invariant($$"""{"split":"train","pair_id":1,"caption":"a park","jpg_0":"images/1.png","jpg_1":"images/2.png","label_0":{{(soft > 0.5 ? 1 : 0)}},"soft_label":{{soft}},"criterion":null,"weight":1{{(groups ? $",\"group\":\"{group}\"" : "")}}}""");
        File.WriteAllLines(Path.Combine(data, "pairs.jsonl"), [Row(1, "mobility"), Row(0.8, "mobility"), Row(0.1, "none"), Row(0.6, "none")]);
        return data;
    }

    [Fact]
    public void Each_objective_trains_from_the_command_line_and_group_robust_logs_the_worst_group()
    {
        var dir = CliRunner.TempDir();
        Setup(dir, groups: true);
        string[] common = ["train", "dpo", "--dataset", "ds", "--base", "m.safetensors", "--steps", "2", "--batch", "2", "--lr", "1e-4"];
        var (code, output, err) = CliRunner.Run(dir, [.. common, "--out", "g.safetensors", "--objective", "group-robust", "--group-step", "0.5", "--margin", "1", "--curriculum"]);
        Assert.True(code == 0, err + output);
        Assert.Contains("objective group-robust; 2 groups (mobility: 2 pairs, none: 2 pairs), weight step 0.5; margin 1 x (2p - 1); curriculum", output, StringComparison.Ordinal);
        var log = File.ReadAllLines(Path.Combine(dir, "g.log.csv"));
        Assert.Equal("step,loss,implicit_accuracy,model_mse,reference_mse,learning_rate,grad_norm,seconds,worst_group,worst_group_loss", log[0]);
        Assert.Equal(3, log.Length);
        Assert.All(log.Skip(1), l => Assert.Matches(",(mobility|none),[0-9.e-]+$", l));

        (code, output, err) = CliRunner.Run(dir, [.. common, "--out", "k.safetensors", "--objective", "kto", "--kto-undesirable", "0.5"]);
        Assert.True(code == 0, err + output);
        Assert.Contains("objective kto; winners desirable (weight 1), losers undesirable (0.5)", output, StringComparison.Ordinal);
        Assert.EndsWith(",,", File.ReadAllLines(Path.Combine(dir, "k.log.csv"))[1], StringComparison.Ordinal); // no group columns

        (code, output, err) = CliRunner.Run(dir, [.. common, "--out", "p.safetensors", "--objective", "mapo", "--lora"]);
        Assert.True(code == 0, err + output);
        Assert.Contains("objective mapo; beta 0.1, snr 0.5, no reference pass", output, StringComparison.Ordinal);
        Assert.Contains(",NaN,", File.ReadAllLines(Path.Combine(dir, "p.log.csv"))[1], StringComparison.Ordinal); // reference_mse

        // the run's stored settings (what --resume reads) carry the objective, and the checkpoint the group weights
        var run = File.ReadAllText(Path.Combine(dir, "g.checkpoint.safetensors.json"));
        Assert.Contains("\"objective\": \"GroupRobust\"", run, StringComparison.Ordinal);
        Assert.Contains("\"curriculum\": true", run, StringComparison.Ordinal);
        Assert.True(Pluralist.Tensors.Safetensors.Load(Path.Combine(dir, "g.checkpoint.safetensors")).Metadata.ContainsKey("group_weights"));
    }

    [Fact]
    public void Group_robust_on_a_dataset_without_groups_names_the_dataset()
    {
        var dir = CliRunner.TempDir();
        Setup(dir, groups: false);
        var (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--dataset", "ds", "--base", "m.safetensors", "--steps", "1", "--batch", "2", "--out", "o.safetensors", "--objective", "group-robust");
        Assert.Equal(1, code);
        Assert.Contains("--dataset", err, StringComparison.Ordinal);
        Assert.Contains("identity group on every pair: 4 of 4", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "o.safetensors")));
    }

    [Fact]
    public void Livs_sim_trains_both_arms_with_the_objective_and_breaks_results_down_by_consented_group()
    {
        // tiny size on the shipped files: 3 annotators, so no group reaches the dataset's minimum group size (5) and the
        // labels are written without a group; the judges' groups still break the A/B tables down.
        var dir = CliRunner.TempDir();
        string[] sim = ["experiment", "livs-sim", "--size", "tiny", "--seed", "1", "--model", CliRunner.Shipped("base32-small.safetensors"), "--probe", CliRunner.Shipped("probe32.safetensors")];
        var (code, output, err) = CliRunner.Run(dir, [.. sim, "--objective", "kto", "--out", "kto"]);
        Assert.True(code == 0, err + output);
        Assert.Contains("4/6 Kto (aligned)", output, StringComparison.Ordinal);
        using var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "kto", "results.json")));
        var root = results.RootElement;
        Assert.Equal("Kto", root.GetProperty("objective").GetString());
        foreach (var arm in new[] { "aligned", "control", "alignedVsControl" })
        {
            var groups = root.GetProperty(arm).GetProperty("perGroup").EnumerateArray().Select(g => g.GetProperty("scope").GetString()!).ToList();
            Assert.NotEmpty(groups);
            Assert.All(groups, g => Assert.Matches("^disability=(mobility|none)$", g));
            Assert.True(root.GetProperty(arm).GetProperty("participants").GetInt32() >= 1);
        }

        Assert.All(File.ReadAllLines(Path.Combine(dir, "kto", "dataset", "pairs.jsonl")), l => Assert.Contains("\"group\":null", l, StringComparison.Ordinal));

        // group-robust DPO needs the groups, which the dataset withholds below 5 annotators: a clear refusal, exit 1
        (code, _, err) = CliRunner.Run(dir, [.. sim, "--objective", "group-robust", "--out", "gr"]);
        Assert.Equal(1, code);
        Assert.Contains("--objective GroupRobust at size tiny: group-robust DPO needs an identity group on every pair", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--objective", "--objective", "fancy")]
    [InlineData("--margin", "--objective", "mapo", "--margin", "1")]
    [InlineData("--margin", "--margin", "-1")]
    [InlineData("--labels", "--objective", "kto", "--labels", "soft")]
    [InlineData("--ties", "--objective", "mapo", "--ties", "soft")]
    [InlineData("--group-step", "--group-step", "1")]
    [InlineData("--kto-desirable", "--objective", "mapo", "--kto-desirable", "2")]
    [InlineData("--mapo-snr", "--objective", "mapo", "--mapo-snr", "0")]
    [InlineData("--curriculum-start", "--curriculum-start", "0.5")]
    [InlineData("--curriculum-ramp", "--curriculum", "--curriculum-ramp", "0")]
    [InlineData("--objective", "--objective", "kto", "--engine", "torch", "--model", "embedded")]
    public void Bad_objective_options_name_the_option(string option, params string[] extra)
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, ["train", "dpo", "--dataset", ".", "--base", "m.safetensors", "--out", "o.safetensors", .. extra]);
        Assert.Equal(1, code);
        Assert.Contains(option, err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "o.safetensors")));
    }
}
