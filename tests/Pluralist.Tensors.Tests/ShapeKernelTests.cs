using Pluralist.Testing;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

/// <summary>Permute, nearest upsampling and slicing (forward and gradients) against scalar index arithmetic.</summary>
[Collection("threads")]
public class ShapeKernelTests
{
    // shape, permutation: row copies (last dimension kept), 2-D transposes with partial 8 x 8 tiles, transposes
    // inside a batch, a 5-D split of heads, size-1 dimensions, the identity
    public static IEnumerable<object[]> Permutations =>
    [
        [new[] { 2, 3, 4, 5 }, new[] { 0, 2, 1, 3 }],
        [new[] { 37, 21 }, new[] { 1, 0 }],
        [new[] { 3, 64, 17 }, new[] { 0, 2, 1 }],
        [new[] { 2, 17, 3, 4, 8 }, new[] { 2, 0, 3, 1, 4 }],
        [new[] { 4, 1, 9, 1, 10 }, new[] { 4, 2, 0, 1, 3 }],
        [new[] { 5, 6, 7 }, new[] { 2, 1, 0 }],
        [new[] { 3, 8, 16 }, new[] { 0, 1, 2 }],
        [new[] { 2, 24, 3, 40 }, new[] { 3, 1, 0, 2 }],
    ];

    [Theory]
    [MemberData(nameof(Permutations))]
    public void Permute_and_its_gradient_match_index_arithmetic(int[] shape, int[] perm)
    {
        var x = new Generator(41).Normal(0, 1, shape);
        x.RequiresGrad = true;
        var y = F.Permute(x, perm);
        var gy = new Generator(42).Normal(0, 1, y.Shape);
        y.Backward(gy);
        var inStrides = ShapeUtil.Strides(shape);
        var outStrides = ShapeUtil.Strides(y.Shape);
        var egx = new float[x.Numel];
        for (int i = 0; i < y.Numel; i++)
        {
            int src = 0, rest = i;
            for (int d = 0; d < perm.Length; d++)
            {
                src += rest / outStrides[d] * inStrides[perm[d]];
                rest %= outStrides[d];
            }

            Assert.Equal(x.Data[src], y.Data[i]);
            egx[src] = gy.Data[i];
        }

        Assert.Equal(egx, x.Grad!.Data);
    }

    [Theory]
    [InlineData(1, 5, 7)]
    [InlineData(2, 9, 13)]
    [InlineData(2, 8, 32)]
    [InlineData(3, 4, 5)]
    public void Upsample_nearest_and_its_gradient_match_scalar_reference(int scale, int h, int w)
    {
        var x = new Generator(43).Normal(0, 1, 2, 3, h, w);
        x.RequiresGrad = true;
        var y = F.UpsampleNearest2d(x, scale);
        Assert.Equal([2, 3, h * scale, w * scale], y.Shape);
        var gy = new Generator(44).Normal(0, 1, y.Shape);
        y.Backward(gy);
        var egx = new double[x.Numel];
        for (int p = 0; p < 6; p++)
        {
            for (int i = 0; i < h * scale; i++)
            {
                for (int j = 0; j < w * scale; j++)
                {
                    int src = (((p * h) + (i / scale)) * w) + (j / scale), dst = (((p * h * scale) + i) * w * scale) + j;
                    Assert.Equal(x.Data[src], y.Data[dst]);
                    egx[src] += gy.Data[dst];
                }
            }
        }

        NumericAssert.Close(egx.Select(v => (float)v).ToArray(), x.Grad!.Data, 1e-6, "upsample gradient");
    }

    [Fact]
    public void Upsample_and_permute_do_not_depend_on_thread_count()
    {
        var x = new Generator(45).Normal(0, 1, 8, 32, 16, 16);
        var gy = new Generator(46).Normal(0, 1, 8, 32, 32, 32);
        var gp = new Generator(47).Normal(0, 1, 8, 256, 32);
        ThreadCount.AssertSameOnOneAndFour(() =>
        {
            var xs = new Tensor(x.ToArray(), x.Shape) { RequiresGrad = true };
            var up = F.UpsampleNearest2d(xs, 2);
            up.Backward(gy);
            var xp = new Tensor(x.ToArray(), 8, 32, 256) { RequiresGrad = true };
            var t = F.Transpose(xp, 1, 2);
            t.Backward(gp);
            return [up.Data, xs.Grad!.Data, t.Data, xp.Grad!.Data];
        });
    }

    [Fact]
    public void Chunks_add_their_gradients_into_one_buffer()
    {
        // split (6, 5, 4) into 3 along dim 1 (the last chunk shorter), use two of them twice; the unused rows get zero
        var x = new Generator(48).Normal(0, 1, 6, 5, 4);
        x.RequiresGrad = true;
        var parts = F.Chunk(x, 3, 1); // sizes 2, 2, 1
        var y = F.Add(F.Add(F.Mul(parts[0], 2f), parts[2].Reshape(6, 1, 4)), F.Mul(parts[0], parts[0]));
        y.Backward(new Tensor(Enumerable.Repeat(1f, y.Numel).ToArray(), y.Shape));
        for (int a = 0; a < 6; a++)
        {
            for (int b = 0; b < 5; b++)
            {
                for (int c = 0; c < 4; c++)
                {
                    // part 0 rows b = 0, 1: 2 + 2x each; part 2 (row 4) broadcast over 2 rows: 2; rows 2, 3: unused
                    float expected = b < 2 ? 2f + (2f * x[a, b, c]) : b == 4 ? 2f : 0f;
                    Assert.Equal(expected, x.Grad![a, b, c], 5);
                }
            }
        }
    }
}
