using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

[Collection("threads")]
public class DeterminismTests
{
    [Fact]
    public void Same_seed_gives_bit_identical_losses_over_20_steps_single_and_multi_threaded()
    {
        var a = Training.Run(seed: 5, steps: 20, threads: 1);
        var b = Training.Run(seed: 5, steps: 20, threads: 1);
        var c = Training.Run(seed: 5, steps: 20, threads: 2);
        var d = Training.Run(seed: 5, steps: 20, threads: 8);
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.Equal(a, d);
        Assert.True(a[^1] < a[0], $"training should reduce the loss: {a[0]} -> {a[^1]}");
    }

    [Fact]
    public void Large_conv_and_matmul_are_thread_count_independent()
    {
        int saved = Parallelism.Threads;
        try
        {
            var g = new Generator(8);
            var x = g.Normal(0, 1, 2, 16, 24, 24);
            var w = g.Normal(0, 0.1f, 32, 16, 3, 3);
            Parallelism.Threads = 1;
            var y1 = F.Conv2d(x, w, null, 1, 1).Data;
            Parallelism.Threads = 2;
            var y2 = F.Conv2d(x, w, null, 1, 1).Data;
            Assert.Equal(y1, y2);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}
