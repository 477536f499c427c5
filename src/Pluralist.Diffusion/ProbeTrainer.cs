using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>
/// Minibatch training of a <see cref="PerceptionProbe"/>: AdamW (weight decay 1e-4) with the rate decayed by a cosine to 0
/// over <c>steps</c>, batches drawn uniformly from a generator seeded by the seed.
/// </summary>
public sealed class ProbeTrainer
{
    private readonly PerceptionProbe _probe;
    private readonly IReadOnlyList<ProbeExample> _examples;
    private readonly int _steps;
    private readonly int _batch;
    private readonly float _rate;
    private readonly Adam _optimizer;
    private readonly Generator _generator;

    public ProbeTrainer(PerceptionProbe probe, IReadOnlyList<ProbeExample> examples, int steps, int batchSize = 32, float learningRate = 2e-3f, ulong seed = 7)
    {
        _probe = probe ?? throw new ArgumentNullException(nameof(probe));
        _examples = examples ?? throw new ArgumentNullException(nameof(examples));
        if (examples.Count == 0 || steps < 1 || batchSize < 1 || !(learningRate > 0))
        {
            throw new ArgumentException("need examples, steps >= 1, batch >= 1 and a positive learning rate");
        }

        _steps = steps;
        _batch = batchSize;
        _rate = learningRate;
        _optimizer = Adam.AdamW(probe.TrainableParameters(), learningRate, 1e-4f);
        _generator = new Generator(seed);
    }

    /// <summary>Steps taken.</summary>
    public int Step { get; private set; }

    /// <summary>One optimiser step; returns the batch loss.</summary>
    public float TrainStep()
    {
        int s = _probe.Config.ImageSize, per = 3 * s * s;
        var x = new float[_batch * per]; // (B, 3, S, S)
        var labels = new int[_batch][];
        for (int i = 0; i < _batch; i++)
        {
            var e = _examples[_generator.NextInt(_examples.Count)];
            if (e.Pixels.Length != per || e.Labels.Length != _probe.Config.Heads.Count)
            {
                throw new ArgumentException($"example has {e.Pixels.Length} values and {e.Labels.Length} labels; the probe takes {per} and {_probe.Config.Heads.Count}");
            }

            e.Pixels.CopyTo(x, i * per);
            labels[i] = e.Labels;
        }

        _probe.Train();
        _optimizer.LearningRate = (float)(_rate * 0.5 * (1 + Math.Cos(Math.PI * Step / _steps)));
        var loss = _probe.Loss(_probe.Forward(new Tensor(x, [_batch, 3, s, s])), labels);
        _optimizer.ZeroGrad();
        loss.Backward();
        _optimizer.Step();
        Step++;
        return loss.Item();
    }
}
