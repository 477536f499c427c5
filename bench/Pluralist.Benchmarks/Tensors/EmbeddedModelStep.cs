using Pluralist.Diffusion;
using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Benchmarks.Tensors;

/// <summary>
/// One training step of the embedded text-to-image model (the shipped <c>models/base32-small.config.json</c>:
/// text encoder, timestep embedding, UNet with self- and cross-attention), as <c>DiffusionTrainer.TrainStep</c> does it
/// without the data loading: encode the prompts, predict the noise, MSE, backward, clip the gradient norm to 1, AdamW
/// (lr 2e-4, no decay), EMA 0.999, inside a TensorScope as the trainer runs it. The same step in PyTorch is <c>EmbeddedModel</c> in bench/pytorch/bench_tensors.py:
/// the same layers, the same token pattern and timesteps, random images.
/// </summary>
internal static class EmbeddedModelStep
{
    public const int Batch = 16;

    public static int Vocabulary => WordTokenizer.Default().VocabularySize;

    public static string ConfigPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "base32-small.config.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("models/base32-small.config.json not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Prompt i has 6 + (5 i mod 9) tokens: &lt;bos&gt;, words with ids 4 + (7 i + 3 j) mod (V - 4), &lt;eos&gt;, then padding.</summary>
    public static TokenBatch Tokens(int batch, int length, int vocabulary)
    {
        var ids = new int[batch * length];
        var mask = new float[batch * length];
        for (int i = 0; i < batch; i++)
        {
            int len = Math.Min(length, 6 + (5 * i % 9));
            for (int j = 0; j < len; j++)
            {
                ids[(i * length) + j] = j == 0 ? WordTokenizer.Bos : j == len - 1 ? WordTokenizer.Eos : 4 + (((7 * i) + (3 * j)) % (vocabulary - 4));
                mask[(i * length) + j] = 1f;
            }
        }

        return new TokenBatch(ids, mask, batch, length);
    }

    public static Action Setup()
    {
        var config = DiffusionModelConfig.FromJson(File.ReadAllText(ConfigPath()));
        var model = new DiffusionModel(config);
        model.Train();
        var parameters = model.TrainableParameters();
        var opt = Adam.AdamW(parameters, 2e-4f, weightDecay: 0f);
        var ema = new ExponentialMovingAverage(model, 0.999f);
        var g = new Generator(0);
        int size = config.UNet.ImageSize, channels = config.UNet.InChannels;
        var noisy = g.Normal(0, 1, Batch, channels, size, size);
        var noise = g.Normal(0, 1, Batch, channels, size, size);
        var t = Enumerable.Range(0, Batch).Select(i => i * 61 % config.Schedule.TrainSteps).ToArray();
        var tokens = Tokens(Batch, config.TextEncoder.MaxLength, model.Tokenizer.VocabularySize);
        return () =>
        {
            using var scope = TensorScope.Begin(); // activations and gradients reuse the previous step's arrays
            opt.ZeroGrad();
            var (ctx, mask) = model.TextEncoder.Forward(tokens); // (B, L, D), (B, L)
            var loss = F.MseLoss(model.UNet.PredictNoise(noisy, t, ctx, mask), noise);
            loss.Backward();
            GradUtil.ClipGradNorm(parameters, 1f);
            opt.Step();
            ema.Update();
        };
    }
}
