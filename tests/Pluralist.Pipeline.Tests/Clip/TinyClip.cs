using Pluralist.Tensors;

namespace Pluralist.Pipeline.Tests.Clip;

/// <summary>
/// A tiny CLIP checkpoint in the Hugging Face CLIPModel layout, with the names written out here (not taken from the
/// model under test), and a scalar double-precision reference forward pass over the same dictionary.
/// </summary>
internal static class TinyClip
{
    public const int Vocab = 10, Context = 6, TextWidth = 8, TextHeads = 2, TextLayers = 2, TextMlp = 16;
    public const int Image = 8, Patch = 4, VisionWidth = 12, VisionHeads = 3, VisionLayers = 1, VisionMlp = 24, Proj = 6;

    public static Dictionary<string, Tensor> Weights(ulong seed)
    {
        var g = new Generator(seed);
        var w = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        void Put(string name, params int[] shape) => w[name] = g.Normal(0, name.Contains("layer_norm", StringComparison.Ordinal) || name.Contains("layrnorm", StringComparison.Ordinal) ? 0.2f : 0.5f, shape);
        void LayerNorm(string name, int d)
        {
            w[name + ".weight"] = new Tensor(Enumerable.Range(0, d).Select(_ => 1 + 0.2f * g.NextNormal()).ToArray(), d);
            Put(name + ".bias", d);
        }

        void Layers(string tower, int layers, int d, int mlp)
        {
            for (int i = 0; i < layers; i++)
            {
                var p = $"{tower}.encoder.layers.{i}";
                foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
                {
                    Put($"{p}.self_attn.{proj}.weight", d, d);
                    Put($"{p}.self_attn.{proj}.bias", d);
                }

                LayerNorm($"{p}.layer_norm1", d);
                Put($"{p}.mlp.fc1.weight", mlp, d);
                Put($"{p}.mlp.fc1.bias", mlp);
                Put($"{p}.mlp.fc2.weight", d, mlp);
                Put($"{p}.mlp.fc2.bias", d);
                LayerNorm($"{p}.layer_norm2", d);
            }
        }

        Put("text_model.embeddings.token_embedding.weight", Vocab, TextWidth);
        Put("text_model.embeddings.position_embedding.weight", Context, TextWidth);
        Layers("text_model", TextLayers, TextWidth, TextMlp);
        LayerNorm("text_model.final_layer_norm", TextWidth);
        Put("vision_model.embeddings.class_embedding", VisionWidth);
        Put("vision_model.embeddings.patch_embedding.weight", VisionWidth, 3, Patch, Patch);
        Put("vision_model.embeddings.position_embedding.weight", (Image / Patch) * (Image / Patch) + 1, VisionWidth);
        LayerNorm("vision_model.pre_layrnorm", VisionWidth);
        Layers("vision_model", VisionLayers, VisionWidth, VisionMlp);
        LayerNorm("vision_model.post_layernorm", VisionWidth);
        Put("visual_projection.weight", Proj, VisionWidth);
        Put("text_projection.weight", Proj, TextWidth);
        w["logit_scale"] = new Tensor([2.6592f]);
        return w;
    }

    // ---- scalar reference (double) ----

    private static double[] Row(Tensor t, int r)
    {
        int n = t.Shape[^1];
        return t.Data.Skip(r * n).Take(n).Select(v => (double)v).ToArray();
    }

    private static double[] LinearRef(Dictionary<string, Tensor> w, string name, double[] x, bool bias = true)
    {
        var W = w[name + ".weight"];
        int o = W.Shape[0], i = W.Shape[1];
        var y = new double[o];
        for (int r = 0; r < o; r++)
        {
            double s = bias ? w[name + ".bias"].Data[r] : 0;
            for (int c = 0; c < i; c++)
            {
                s += W.Data[r * i + c] * x[c];
            }

            y[r] = s;
        }

        return y;
    }

    private static double[] LayerNormRef(Dictionary<string, Tensor> w, string name, double[] x)
    {
        double mean = x.Average(), var = x.Select(v => (v - mean) * (v - mean)).Average();
        return x.Select((v, i) => (v - mean) / Math.Sqrt(var + 1e-5) * w[name + ".weight"].Data[i] + w[name + ".bias"].Data[i]).ToArray();
    }

    private static double[][] Layer(Dictionary<string, Tensor> w, string p, double[][] x, int heads, bool causal)
    {
        int l = x.Length, d = x[0].Length, hd = d / heads;
        var h = x.Select(r => LayerNormRef(w, p + ".layer_norm1", r)).ToArray();
        var q = h.Select(r => LinearRef(w, p + ".self_attn.q_proj", r)).ToArray();
        var k = h.Select(r => LinearRef(w, p + ".self_attn.k_proj", r)).ToArray();
        var v = h.Select(r => LinearRef(w, p + ".self_attn.v_proj", r)).ToArray();
        var attn = new double[l][];
        for (int i = 0; i < l; i++)
        {
            attn[i] = new double[d];
            for (int head = 0; head < heads; head++)
            {
                var scores = new double[l];
                for (int j = 0; j < l; j++)
                {
                    double s = 0;
                    for (int c = 0; c < hd; c++)
                    {
                        s += q[i][head * hd + c] * k[j][head * hd + c];
                    }

                    scores[j] = causal && j > i ? double.NegativeInfinity : s / Math.Sqrt(hd);
                }

                double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                for (int j = 0; j < l; j++)
                {
                    double a = Math.Exp(scores[j] - max) / sum;
                    for (int c = 0; c < hd; c++)
                    {
                        attn[i][head * hd + c] += a * v[j][head * hd + c];
                    }
                }
            }
        }

        var x1 = x.Select((r, i) => r.Zip(LinearRef(w, p + ".self_attn.out_proj", attn[i]), (a, b) => a + b).ToArray()).ToArray();
        return x1.Select(r =>
        {
            var f = LinearRef(w, p + ".mlp.fc1", LayerNormRef(w, p + ".layer_norm2", r)).Select(z => z / (1 + Math.Exp(-1.702 * z))).ToArray();
            return r.Zip(LinearRef(w, p + ".mlp.fc2", f), (a, b) => a + b).ToArray();
        }).ToArray();
    }

    public static double[] TextReference(Dictionary<string, Tensor> w, int[] ids)
    {
        var x = ids.Select((id, i) => Row(w["text_model.embeddings.token_embedding.weight"], id).Zip(Row(w["text_model.embeddings.position_embedding.weight"], i), (a, b) => a + b).ToArray()).ToArray();
        for (int layer = 0; layer < TextLayers; layer++)
        {
            x = Layer(w, $"text_model.encoder.layers.{layer}", x, TextHeads, causal: true);
        }

        int eos = Array.IndexOf(ids, ids.Max());
        return LinearRef(w, "text_projection", LayerNormRef(w, "text_model.final_layer_norm", x[eos]), bias: false);
    }

    /// <summary>pixels (3, Image, Image) -> (Proj).</summary>
    public static double[] ImageReference(Dictionary<string, Tensor> w, float[] pixels)
    {
        int g = Image / Patch;
        var conv = w["vision_model.embeddings.patch_embedding.weight"];
        var tokens = new List<double[]> { Row(w["vision_model.embeddings.class_embedding"], 0) };
        for (int py = 0; py < g; py++)
        {
            for (int px = 0; px < g; px++)
            {
                var e = new double[VisionWidth];
                for (int d = 0; d < VisionWidth; d++)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        for (int ky = 0; ky < Patch; ky++)
                        {
                            for (int kx = 0; kx < Patch; kx++)
                            {
                                e[d] += conv.Data[((d * 3 + c) * Patch + ky) * Patch + kx] * pixels[(c * Image + py * Patch + ky) * Image + px * Patch + kx];
                            }
                        }
                    }
                }

                tokens.Add(e);
            }
        }

        var x = tokens.Select((t, i) => LayerNormRef(w, "vision_model.pre_layrnorm", t.Zip(Row(w["vision_model.embeddings.position_embedding.weight"], i), (a, b) => a + b).ToArray())).ToArray();
        for (int layer = 0; layer < VisionLayers; layer++)
        {
            x = Layer(w, $"vision_model.encoder.layers.{layer}", x, VisionHeads, causal: false);
        }

        return LinearRef(w, "visual_projection", LayerNormRef(w, "vision_model.post_layernorm", x[0]), bias: false);
    }
}
