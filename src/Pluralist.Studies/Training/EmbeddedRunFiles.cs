using System.Globalization;
using Pluralist.Diffusion;
using Pluralist.Files;
using Pluralist.Studies.Alignment;
using Pluralist.Tensors;

namespace Pluralist.Studies.Training;

/// <summary>
/// The files of an embedded torch run: <c>train_embedded.py</c> (the PyTorch model and Diffusion-DPO step, from
/// tools/torchrun, embedded in this assembly), <c>base.safetensors</c> (the base model as given) and
/// <c>prepared.safetensors</c>: the pairs as Pluralist's <see cref="DpoTrainer"/> prepares them and the pair order,
/// timesteps and noise its first steps draw (<see cref="DpoTrainer.Draws"/>), so that the run trains on exactly what
/// Pluralist's own trainer would and its losses can be compared step by step.
/// </summary>
public static class EmbeddedRunFiles
{
    public const string TrainerFile = "train_embedded.py";
    public const string BaseFile = "base.safetensors";
    public const string PreparedFile = "prepared.safetensors";
    public const string PreparedFormat = "pluralist-dpo-prepared-1";

    /// <summary>The trainer script's text (tools/torchrun/train_embedded.py as built into this assembly).</summary>
    public static string TrainerScript()
    {
        using var s = typeof(EmbeddedRunFiles).Assembly.GetManifestResourceStream("Pluralist.Studies.Training.train_embedded.py")
            ?? throw new InvalidOperationException("train_embedded.py is not embedded in Pluralist.Studies");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>Writes the three files into <paramref name="folder"/> and returns the manifest completed with them.</summary>
    public static Task<RunManifest> WriteAsync(TorchRunRequest request, RunManifest manifest, string folder, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(manifest);
        var basePath = request.Base ?? throw new StudyInputException("--base: required with --model embedded (the Pluralist model file)");
        if (!File.Exists(basePath))
        {
            throw new StudyInputException($"--base: file not found: {basePath}");
        }

        DiffusionModel model;
        try
        {
            model = DiffusionModel.Load(basePath);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IOException or System.Text.Json.JsonException)
        {
            throw new StudyInputException($"--base {basePath}: {e.Message}");
        }

        var source = PreferenceDataset.Load(request.Dataset, request.Split, model.Config.UNet.ImageSize, out _);
        DpoTrainer trainer;
        try
        {
            trainer = new DpoTrainer(model, source, request.Options);
        }
        catch (InvalidOperationException e)
        {
            throw new StudyInputException($"--dataset {request.Dataset}: {e.Message}");
        }

        ct.ThrowIfCancellationRequested();
        var prep = trainer.Preparation;
        int n = prep.Examples.Count, per = model.ImageShape.Aggregate(1, (a, b) => a * b), len = model.Config.TextEncoder.MaxLength;
        var winner = new float[n * per]; // (N, C, H, W)
        var loser = new float[n * per];
        var weight = new float[n];
        var soft = new float[n];
        var isSoft = new float[n];
        var captions = new string[n];
        for (int i = 0; i < n; i++)
        {
            var e = prep.Examples[i];
            var pair = source.Get(e.Index);
            var (w, l) = e.Swap ? (pair.Image1, pair.Image0) : (pair.Image0, pair.Image1);
            w.CopyTo(winner, i * per);
            l.CopyTo(loser, i * per);
            weight[i] = e.Weight;
            soft[i] = e.SoftLabel ?? 1f;
            isSoft[i] = e.SoftLabel is null ? 0f : 1f;
            captions[i] = pair.Caption;
        }

        var tokens = model.Tokenizer.EncodeBatch(captions, len); // (N, L)
        int steps = Math.Min(request.RecordedSteps, request.Options.Steps), batch = request.Options.BatchSize;
        var order = new float[steps * batch];
        var timesteps = new float[steps * batch];
        var noise = new float[steps * batch * per]; // (R, B, C, H, W)
        for (int s = 0; s < steps; s++)
        {
            var (ex, t, eps) = trainer.Draws(s);
            for (int j = 0; j < batch; j++)
            {
                order[(s * batch) + j] = ex[j];
                timesteps[(s * batch) + j] = t[j];
            }

            eps.CopyTo(noise, s * batch * per);
        }

        // x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps with the float factors NoiseSchedule.AddNoise uses
        var schedule = model.Schedule;
        var sqrtAb = schedule.AlphasCumprod.Select(a => (float)Math.Sqrt(a)).ToArray();
        var sqrt1mAb = schedule.AlphasCumprod.Select(a => (float)Math.Sqrt(1 - a)).ToArray();
        int[] img = model.ImageShape;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["winner"] = new(winner, [n, .. img]),
            ["loser"] = new(loser, [n, .. img]),
            ["input_ids"] = new(tokens.Ids.Select(v => (float)v).ToArray(), n, len),
            ["attention_mask"] = new(tokens.Mask, n, len),
            ["weight"] = new(weight, n),
            ["soft_label"] = new(soft, n),
            ["is_soft"] = new(isSoft, n),
            ["order"] = new(order, steps, batch),
            ["timesteps"] = new(timesteps, steps, batch),
            ["noise"] = new(noise, [steps, batch, .. img]),
            ["sqrt_alphas_cumprod"] = new(sqrtAb, sqrtAb.Length),
            ["sqrt_one_minus_alphas_cumprod"] = new(sqrt1mAb, sqrt1mAb.Length),
        };
        var inv = CultureInfo.InvariantCulture;
        var preparedPath = Path.Combine(folder, PreparedFile);
        DurableFile.WriteVia(preparedPath, p => Safetensors.Save(p, tensors, StoredType.F32, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = PreparedFormat,
            ["seed"] = request.Options.Seed.ToString(inv),
            ["recorded_steps"] = steps.ToString(inv),
            ["batch"] = batch.ToString(inv),
        }));
        File.Copy(basePath, Path.Combine(folder, BaseFile));
        DurableFile.WriteAllText(Path.Combine(folder, TrainerFile), TrainerScript());
        return Task.FromResult(manifest with
        {
            Base = BaseFile,
            Resolution = model.Config.UNet.ImageSize,
            Prepared = new RunPrepared(PreparedFile, n, prep.Total, prep.TiesDropped, steps, TorchRunFolder.FileHash(preparedPath)),
        });
    }
}
