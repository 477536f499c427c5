using System.Text.Json.Nodes;
using Pluralist.Diffusion;
using Pluralist.Studies.Training;
using Pluralist.Tensors;

namespace Pluralist.Cli.Tests;

/// <summary><c>train dpo --engine torch --submit</c> and <c>runs submit|list|status|logs|stop|pull</c> from the command line.</summary>
public sealed class RunsCommandTests
{
    [Fact]
    public async Task Train_submits_to_ray_then_status_logs_and_pull_bring_the_lora_into_comfyui()
    {
        var dir = CliRunner.TempDir();
        await TorchRunCommandTests.ParquetDataset(dir);
        using var ray = new FakeRay();
        var (code, output, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sdxl", "--dataset", "pq", "--out", "run", "--lora", "--batch", "4", "--steps", "10",
            "--gpus", "4", "--submit", "ray", "--address", ray.Server.BaseUri.AbsoluteUri);
        Assert.True(code == 0, err);
        Assert.Contains($"submitted to Ray at {ray.Server.BaseUri}: job pluralist-run-", output, StringComparison.Ordinal);
        var job = Assert.Single(ray.Jobs);
        Assert.Equal(4, (double)job.Value.Body["entrypoint_num_gpus"]!);
        Assert.Equal($"bash {Path.Combine(dir, "run")}/launch.sh", (string)job.Value.Body["entrypoint"]!);

        (code, output, err) = CliRunner.Run(dir, "runs", "status", "run");
        Assert.True(code == 0, err);
        Assert.Contains($"ray job {job.Key} at {ray.Server.BaseUri}: PENDING", output, StringComparison.Ordinal);
        (code, output, err) = CliRunner.Run(dir, "runs", "status", "run", "--json");
        Assert.True(code == 0, err);
        Assert.Equal("RUNNING", (string)JsonNode.Parse(output)!["status"]!);

        (code, output, err) = CliRunner.Run(dir, "runs", "list", ".");
        Assert.True(code == 0, err);
        Assert.Contains($"sdxl\tlora\t10\tsubmitted\tray:{job.Key}", output, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(dir, "runs", "logs", "run", "--follow", "--interval", "0.05");
        Assert.True(code == 0, err);
        Assert.Contains("step log 2: SUCCEEDED", output, StringComparison.Ordinal);

        // The trainer wrote its LoRA to output/ on the shared filesystem: pull checks it and places it for ComfyUI.
        RayJobsContractTests.WriteLora(Path.Combine(dir, "run", "output", RunPull.LoraFile));
        var loras = Path.Combine(dir, "ComfyUI", "models", "loras");
        Directory.CreateDirectory(loras);
        (code, output, err) = CliRunner.Run(dir, "runs", "pull", "run", "--comfyui-loras", loras, "--lora-name", "livs-sdxl");
        Assert.True(code == 0, err);
        Assert.Contains("LoRA, 2 adapted layers, rank 4", output, StringComparison.Ordinal);
        Assert.Contains("--lora livs-sdxl.safetensors:1.0", output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "run", "output", RunPull.LoraFile)), File.ReadAllBytes(Path.Combine(loras, "livs-sdxl.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, "run", "pulled", RunPull.LoraFile)));
        Assert.Contains("step log 2: SUCCEEDED", File.ReadAllText(Path.Combine(dir, "run", "pulled", RunPull.JobLog)), StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(dir, "runs", "list");
        Assert.True(code == 0, err);
        Assert.Contains("\tpulled\t", output, StringComparison.Ordinal);
        (code, output, err) = CliRunner.Run(dir, "runs", "stop", "run");
        Assert.True(code == 0, err);
        Assert.Contains("had already finished", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_names_a_broken_lora_and_a_missing_output_and_writes_nothing()
    {
        var dir = CliRunner.TempDir();
        var run = await RayJobsContractTests.SdxlRun(dir);
        var (code, _, err) = CliRunner.Run(dir, "runs", "pull", "run");
        Assert.Equal(1, code);
        Assert.Contains("output: no such folder", err, StringComparison.Ordinal);

        RayJobsContractTests.WriteLora(Path.Combine(run, "output", RunPull.LoraFile), dropOneUp: true);
        (code, _, err) = CliRunner.Run(dir, "runs", "pull", "run");
        Assert.Equal(1, code);
        Assert.Contains("layer 'unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k' has a down matrix but no up matrix", err, StringComparison.Ordinal);

        File.WriteAllBytes(Path.Combine(run, "output", RunPull.LoraFile), [1, 2, 3]);
        (code, _, err) = CliRunner.Run(dir, "runs", "pull", "run");
        Assert.Equal(1, code);
        Assert.Contains("not a safetensors file", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(run, "pulled")));

        // ComfyUI's loras folder must exist: nothing is pulled when it does not.
        RayJobsContractTests.WriteLora(Path.Combine(run, "output", RunPull.LoraFile));
        (code, _, err) = CliRunner.Run(dir, "runs", "pull", "run", "--comfyui-loras", Path.Combine(dir, "nowhere"));
        Assert.Equal(1, code);
        Assert.Contains("--comfyui-loras", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(run, "pulled")));
    }

    [Fact]
    public async Task Pull_of_a_full_unet_run_checks_the_diffusers_unet_one_file_or_shards_and_is_no_comfyui_lora()
    {
        var dir = CliRunner.TempDir();
        await TorchRunCommandTests.ParquetDataset(dir);
        var (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sd15", "--dataset", "pq", "--out", "run", "--batch", "4", "--steps", "10");
        Assert.True(code == 0, err);

        // The authors' train.py saves the whole pipeline into output/: the UNet is output/unet/ (diffusers' save_pretrained).
        var unet = Path.Combine(dir, "run", "output", "unet");
        Directory.CreateDirectory(unet);
        Tensor T(params int[] shape) => new(new float[shape.Aggregate(1, (a, b) => a * b)], shape);
        Safetensors.Save(Path.Combine(unet, "diffusion_pytorch_model.safetensors"), new Dictionary<string, Tensor> { ["conv_in.weight"] = T(8, 4, 3, 3), ["down_blocks.0.resnets.0.conv1.weight"] = T(8, 8, 3, 3) }, StoredType.F16);
        File.WriteAllText(Path.Combine(unet, "config.json"), "{\"_class_name\": \"UNet2DConditionModel\"}");
        (code, var output, err) = CliRunner.Run(dir, "runs", "pull", "run");
        Assert.True(code == 0, err);
        Assert.Contains("diffusers UNet, 2 tensors, 864 parameters", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "run", "pulled", "unet", "config.json")));

        // Sharded: the index names the shards, each checked; a shard whose header claims bytes the file lacks is named.
        File.Delete(Path.Combine(unet, "diffusion_pytorch_model.safetensors"));
        Safetensors.Save(Path.Combine(unet, "diffusion_pytorch_model-00001-of-00002.safetensors"), new Dictionary<string, Tensor> { ["conv_in.weight"] = T(8, 4, 3, 3) });
        Safetensors.Save(Path.Combine(unet, "diffusion_pytorch_model-00002-of-00002.safetensors"), new Dictionary<string, Tensor> { ["down_blocks.0.resnets.0.conv1.weight"] = T(8, 8, 3, 3) });
        File.WriteAllText(Path.Combine(unet, "diffusion_pytorch_model.safetensors.index.json"),
            "{\"metadata\": {\"total_size\": 3456}, \"weight_map\": {\"conv_in.weight\": \"diffusion_pytorch_model-00001-of-00002.safetensors\", \"down_blocks.0.resnets.0.conv1.weight\": \"diffusion_pytorch_model-00002-of-00002.safetensors\"}}");
        (code, output, err) = CliRunner.Run(dir, "runs", "pull", "run", "--to", "sharded");
        Assert.True(code == 0, err);
        Assert.Contains("diffusers UNet, 2 tensors", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "sharded", "unet", "diffusion_pytorch_model-00002-of-00002.safetensors")));

        var shard = Path.Combine(unet, "diffusion_pytorch_model-00002-of-00002.safetensors");
        var bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..^4]);
        (code, _, err) = CliRunner.Run(dir, "runs", "pull", "run", "--to", "cut");
        Assert.Equal(1, code);
        Assert.Contains("tensor 'down_blocks.0.resnets.0.conv1.weight': data_offsets", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "cut")));

        File.WriteAllBytes(shard, bytes);
        var loras = Path.Combine(dir, "loras");
        Directory.CreateDirectory(loras);
        (code, _, err) = CliRunner.Run(dir, "runs", "pull", "run", "--to", "c", "--comfyui-loras", loras);
        Assert.Equal(1, code);
        Assert.Contains("the run trained the full UNet, not a LoRA", err, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(loras));
    }

    [Fact]
    public async Task Pull_of_an_embedded_run_loads_the_weights_back_and_they_generate()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "train", "base", "--out", "m.safetensors", "--config", AlignmentCommandTests.TinyConfig(dir), "--steps", "1", "--batch", "2", "--scenes", "4", "--warmup", "1");
        Assert.True(code == 0, err);
        await TorchRunCommandTests.ParquetDataset(dir);
        (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "embedded", "--dataset", "pq", "--base", "m.safetensors", "--out", "run", "--steps", "2", "--batch", "2", "--recorded-steps", "1");
        Assert.True(code == 0, err);

        // What train_embedded.py writes (the torchrun test writes it for real): a Pluralist model file and log.csv.
        var output = Path.Combine(dir, "run", "output");
        Directory.CreateDirectory(output);
        File.Copy(Path.Combine(dir, "m.safetensors"), Path.Combine(output, "model.safetensors"));
        File.WriteAllText(Path.Combine(output, "log.csv"), "step,loss\n1,0.69\n");
        (code, var stdout, err) = CliRunner.Run(dir, "runs", "pull", "run", "--to", "back");
        Assert.True(code == 0, err);
        Assert.Contains("loads back", stdout, StringComparison.Ordinal);
        var model = DiffusionModel.Load(Path.Combine(dir, "back", "model.safetensors"));
        Assert.True(model.ParameterCount() > 0);
        Assert.True(File.Exists(Path.Combine(dir, "back", "log.csv")));

        File.WriteAllBytes(Path.Combine(output, "model.safetensors"), File.ReadAllBytes(Path.Combine(dir, "m.safetensors"))[..100]);
        (code, _, err) = CliRunner.Run(dir, "runs", "pull", "run", "--to", "back2");
        Assert.Equal(1, code);
        Assert.Contains("model.safetensors", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "back2")));
    }

    [Fact]
    public async Task K8s_submit_writes_a_job_manifest_with_gpus_volume_and_command()
    {
        var dir = CliRunner.TempDir();
        await RayJobsContractTests.SdxlRun(dir, gpus: 4);
        var (code, output, err) = CliRunner.Run(dir, "runs", "submit", "run", "--submit", "k8s", "--image", "registry.example/dpo:1.0", "--pvc", "runs-claim", "--namespace", "livs", "--backoff-limit", "1");
        Assert.True(code == 0, err);
        Assert.Contains("kubectl apply -f", output, StringComparison.Ordinal);
        var yaml = File.ReadAllText(Path.Combine(dir, "run", "k8s-job.yaml"));
        var s = RunSubmission.Load(Path.Combine(dir, "run"));
        Assert.Equal("k8s", s.Backend);
        Assert.Equal("livs", s.Namespace);
        Assert.StartsWith("pluralist-run-", s.JobId, StringComparison.Ordinal);
        foreach (var line in new[]
        {
            "apiVersion: batch/v1", "kind: Job", $"  name: \"{s.JobId}\"", "  namespace: \"livs\"", "  backoffLimit: 1", "  completions: 1",
            "      restartPolicy: Never", "          image: \"registry.example/dpo:1.0\"", "          command: [\"bash\", \"/pluralist/run/launch.sh\"]",
            "              nvidia.com/gpu: 4", "              mountPath: \"/pluralist/run\"", "              subPath: \"run\"", "            claimName: \"runs-claim\"",
        })
        {
            Assert.Contains(line + "\n", yaml, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("Indexed", yaml, StringComparison.Ordinal);
        (code, output, err) = CliRunner.Run(dir, "runs", "status", "run");
        Assert.True(code == 0, err);
        Assert.Contains($"kubectl -n livs get job {s.JobId}", output, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "runs", "logs", "run");
        Assert.Equal(1, code);
        Assert.Contains($"kubectl -n livs logs -f job/{s.JobId}", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task K8s_several_nodes_make_an_indexed_job_with_a_headless_service()
    {
        var dir = CliRunner.TempDir();
        await RayJobsContractTests.SdxlRun(dir, gpus: 2, nodes: 2, name: "Big Run");
        var (code, _, err) = CliRunner.Run(dir, "runs", "submit", "Big Run", "--submit", "k8s", "--image", "img", "--pvc", "claim", "--pvc-path", "runs/big");
        Assert.True(code == 0, err);
        var yaml = File.ReadAllText(Path.Combine(dir, "Big Run", "k8s-job.yaml"));
        var job = RunSubmission.Load(Path.Combine(dir, "Big Run")).JobId;
        Assert.StartsWith("pluralist-big-run-", job, StringComparison.Ordinal);
        Assert.Contains("  completionMode: Indexed\n  template:", yaml.Replace("  completions: 2\n  parallelism: 2\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains($"      subdomain: \"{job}\"\n", yaml, StringComparison.Ordinal);
        Assert.Contains("NODE_RANK=\\\"$JOB_COMPLETION_INDEX\\\" exec bash /pluralist/run/launch.sh", yaml, StringComparison.Ordinal);
        Assert.Contains($"              value: \"{job}-0.{job}\"\n", yaml, StringComparison.Ordinal);
        Assert.Contains("---\n", yaml, StringComparison.Ordinal);
        Assert.Contains("kind: Service\n", yaml, StringComparison.Ordinal);
        Assert.Contains("  clusterIP: None\n", yaml, StringComparison.Ordinal);
        Assert.Contains($"    job-name: \"{job}\"\n", yaml, StringComparison.Ordinal);
        Assert.Contains("              subPath: \"runs/big\"\n", yaml, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--pvc", "Runs_Claim", "--pvc: 'Runs_Claim' is not a PersistentVolumeClaim name")]
    [InlineData("--namespace", "Bad_NS", "--namespace: 'Bad_NS' is not a Kubernetes namespace")]
    [InlineData("--pvc-path", "../elsewhere", "--pvc-path: '../elsewhere' must be a relative path")]
    [InlineData("--backoff-limit", "-1", "--backoff-limit: must be >= 0")]
    public async Task K8s_bad_options_are_named_and_nothing_is_written(string option, string value, string expected)
    {
        var dir = CliRunner.TempDir();
        await RayJobsContractTests.SdxlRun(dir);
        string[] args = ["runs", "submit", "run", "--submit", "k8s", "--image", "img", "--pvc", "claim"];
        var i = Array.IndexOf(args, option);
        args = i >= 0 ? [.. args[..(i + 1)], value, .. args[(i + 2)..]] : [.. args, option, value];
        var (code, _, err) = CliRunner.Run(dir, args);
        Assert.Equal(1, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "run", "k8s-job.yaml")));
        Assert.False(File.Exists(Path.Combine(dir, "run", "submission.json")));
    }

    [Fact]
    public async Task Commands_name_an_unknown_run_a_missing_submission_and_misplaced_options()
    {
        var dir = CliRunner.TempDir();
        await RayJobsContractTests.SdxlRun(dir);
        foreach (var verb in new[] { "status", "logs", "stop" })
        {
            var (code, _, err) = CliRunner.Run(dir, "runs", verb, "nowhere");
            Assert.Equal(1, code);
            Assert.Contains("nowhere: no such run folder", err, StringComparison.Ordinal);
            (code, _, err) = CliRunner.Run(dir, "runs", verb, "run");
            Assert.Equal(1, code);
            Assert.Contains("run: not submitted (no submission.json)", err, StringComparison.Ordinal);
        }

        Directory.CreateDirectory(Path.Combine(dir, "empty"));
        var (c, _, e) = CliRunner.Run(dir, "runs", "pull", "empty");
        Assert.Equal(1, c);
        Assert.Contains("empty: not a run folder (no manifest.json", e, StringComparison.Ordinal);
        (c, _, e) = CliRunner.Run(dir, "runs", "submit", "run");
        Assert.Equal(1, c);
        Assert.Contains("--submit: required", e, StringComparison.Ordinal);
        (c, _, e) = CliRunner.Run(dir, "runs", "submit", "run", "--submit", "ray");
        Assert.Equal(1, c);
        Assert.Contains("--address: required with --submit ray", e, StringComparison.Ordinal);
        (c, _, e) = CliRunner.Run(dir, "runs", "submit", "run", "--submit", "ray", "--address", "http://h:8265", "--image", "x");
        Assert.Equal(1, c);
        Assert.Contains("--image: only with --submit k8s", e, StringComparison.Ordinal);
        (c, _, e) = CliRunner.Run(dir, "runs", "submit", "run", "--submit", "slurm");
        Assert.Equal(1, c);
        Assert.Contains("--submit slurm: expected ray or k8s", e, StringComparison.Ordinal);
        (c, _, e) = CliRunner.Run(dir, "runs", "submit", "run", "--submit", "k8s", "--pvc", "claim");
        Assert.Equal(1, c);
        Assert.Contains("--image: required with --submit k8s", e, StringComparison.Ordinal);
        (c, _, e) = CliRunner.Run(dir, "train", "dpo", "--dataset", "pq", "--base", "m.safetensors", "--out", "x.safetensors", "--submit", "ray");
        Assert.Equal(1, c);
        Assert.Contains("--submit: only with --engine torch", e, StringComparison.Ordinal);
        (c, _, e) = CliRunner.Run(dir, "train", "dpo", "--engine", "torch", "--model", "sdxl", "--lora", "--dataset", "pq", "--out", "r2", "--address", "http://h:8265");
        Assert.Equal(1, c);
        Assert.Contains("--address: only with --submit ray or --submit k8s", e, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "r2")));
        Assert.False(File.Exists(Path.Combine(dir, "run", "submission.json")));
    }
}
