using Pluralist.Diffusion;
using Pluralist.World.Scenes;

namespace Pluralist.Studies.Alignment;

/// <summary>
/// The perception probe over the procedural world: one head per scene attribute (<see cref="SceneAttributes.All"/>, except
/// the render-only <c>detail</c>): a class per value for choices, flags and counts, three equal bins for numbers. Reading an
/// image gives back a scene spec, which simulated participants judge in place of the true one.
/// </summary>
public static class SceneProbe
{
    /// <summary>Bins of a number attribute (pathWidth, lightCoverage).</summary>
    public const int NumberBins = 3;

    /// <summary>The attributes the probe reads, in head order.</summary>
    public static IReadOnlyList<SceneAttribute> Attributes { get; } = [.. SceneAttributes.All.Where(a => a.Name != "detail")];

    public static IReadOnlyList<ProbeHead> Heads { get; } = [.. Attributes.Select(a => new ProbeHead(a.Name, a.IsDiscrete ? (int)(a.Max - a.Min) + 1 : NumberBins))];

    public static ProbeConfig Config(int imageSize) => new() { ImageSize = imageSize, Heads = Heads };

    /// <summary>Class index per head for a spec.</summary>
    public static int[] Labels(SceneSpec spec)
    {
        var labels = new int[Attributes.Count];
        for (int h = 0; h < labels.Length; h++)
        {
            var a = Attributes[h];
            double v = a.Get(spec);
            labels[h] = a.IsDiscrete
                ? (int)Math.Round(v - a.Min)
                : Math.Clamp((int)((v - a.Min) / (a.Max - a.Min) * NumberBins), 0, NumberBins - 1);
        }

        return labels;
    }

    /// <summary>The spec a probe's classes describe (bin centres for numbers; detail 0.5).</summary>
    public static SceneSpec ToSpec(int[] labels)
    {
        var spec = new SceneSpec();
        for (int h = 0; h < Attributes.Count; h++)
        {
            var a = Attributes[h];
            double v = a.IsDiscrete ? a.Min + labels[h] : a.Min + ((labels[h] + 0.5) * (a.Max - a.Min) / NumberBins);
            spec = a.With(spec, v);
        }

        return spec;
    }

    /// <summary>Labelled examples from the world: scenes <c>0..count-1</c> of <paramref name="source"/>.</summary>
    public static List<ProbeExample> Examples(WorldImageSource source, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var result = new ProbeExample[count];
        Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellationToken }, i => result[i] = new ProbeExample(source.Get(i).Pixels, Labels(source.Spec(i))));
        return [.. result];
    }

    /// <summary>What the probe sees in each of <paramref name="count"/> images (3, S, S) stored back to back.</summary>
    public static SceneSpec[] Perceive(PerceptionProbe probe, float[] images, int count)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return [.. probe.Predict(images, count).Select(ToSpec)];
    }

    /// <summary>Share of the most frequent class of each head in <paramref name="examples"/>: the accuracy of always guessing it.</summary>
    public static double[] MajorityRate(IReadOnlyList<ProbeExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return [.. Enumerable.Range(0, Heads.Count).Select(h => examples.GroupBy(e => e.Labels[h]).Max(g => g.Count()) / (double)Math.Max(1, examples.Count))];
    }
}
