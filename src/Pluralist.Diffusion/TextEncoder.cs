using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>Small transformer text encoder: token and learned position embeddings, pre-norm layers with a key-padding mask, final LayerNorm (CLIP's text tower in miniature, not causal).</summary>
public sealed class TextEncoder : Module
{
    public TextEncoder(TextEncoderConfig config, int vocabularySize, Generator g)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(g);
        Config = config;
        TokenEmbedding = RegisterModule("token_embedding", new Embedding(vocabularySize, config.Width, g));
        using (Autograd.NoGrad())
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(TokenEmbedding.Weight.Data, 0.02f, TokenEmbedding.Weight.Data); // N(0, 0.02^2) as CLIP
        }

        PositionEmbedding = RegisterParameter("position_embedding", new Parameter(g.Normal(0, 0.01f, config.MaxLength, config.Width)));
        for (int i = 0; i < config.Layers; i++)
        {
            Layers.Add(RegisterModule($"layers.{i}", new TransformerLayer(config.Width, config.Heads, null, config.MlpRatio, g)));
        }

        FinalNorm = RegisterModule("final_layer_norm", new LayerNorm(config.Width));
    }

    public TextEncoderConfig Config { get; }

    public Embedding TokenEmbedding { get; }

    public Parameter PositionEmbedding { get; }

    public List<TransformerLayer> Layers { get; } = [];

    public LayerNorm FinalNorm { get; }

    /// <summary>tokens (B, L) -> (context (B, L, D), mask (B, L)).</summary>
    public (Tensor Context, Tensor Mask) Forward(TokenBatch tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Length != Config.MaxLength)
        {
            throw new ArgumentException($"token batches must have length {Config.MaxLength}");
        }

        var mask = new Tensor((float[])tokens.Mask.Clone(), tokens.Batch, tokens.Length); // (B, L)
        var x = F.Add(TokenEmbedding.Forward(tokens.Ids, tokens.Batch, tokens.Length), PositionEmbedding); // (B, L, D)
        foreach (var layer in Layers)
        {
            x = layer.Forward(x, mask);
        }

        return (FinalNorm.Forward(x), mask);
    }
}
