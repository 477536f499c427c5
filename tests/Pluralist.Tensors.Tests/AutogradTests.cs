using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

public class AutogradTests
{
    [Fact]
    public void Gradients_accumulate_across_backward_calls_and_reused_inputs()
    {
        var x = new Tensor([1f, 2f, 3f], 3) { RequiresGrad = true };
        F.Sum(F.Mul(x, x)).Backward();          // d/dx sum x^2 = 2x (x used twice)
        Assert.Equal(new[] { 2f, 4f, 6f }, x.Grad!.Data);
        F.Sum(F.Mul(x, 3f)).Backward();
        Assert.Equal(new[] { 5f, 7f, 9f }, x.Grad!.Data);
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Backward_with_given_gradient_and_from_non_scalar()
    {
        var x = new Tensor([1f, 2f], 2) { RequiresGrad = true };
        var y = F.Mul(x, 5f);
        Assert.Throws<ArgumentException>(() => y.Backward());
        y.Backward(new Tensor([1f, -1f], 2));
        Assert.Equal(new[] { 5f, -5f }, x.Grad!.Data);
    }

    [Fact]
    public void No_grad_scope_and_detach_stop_recording()
    {
        var x = new Tensor([1f, 2f], 2) { RequiresGrad = true };
        using (Autograd.NoGrad())
        {
            var y = F.Mul(x, x);
            Assert.False(y.RequiresGrad);
            Assert.True(y.IsLeaf);
        }

        Assert.True(Autograd.IsEnabled);
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        var z = F.Sum(F.Mul(F.Mul(x, d), 1f));
        z.Backward();
        Assert.Equal(new[] { 1f, 2f }, x.Grad!.Data); // d treated as constant
    }

    [Fact]
    public void Graph_is_freed_after_backward()
    {
        var x = new Tensor([1f, 2f], 2) { RequiresGrad = true };
        var h = F.Exp(x);
        var loss = F.Sum(h);
        Assert.False(h.IsLeaf);
        loss.Backward();
        Assert.True(h.IsLeaf);
        Assert.True(loss.IsLeaf);
        Assert.Null(h.Grad); // intermediate gradients are not kept
    }

    [Fact]
    public void Shape_errors_are_reported()
    {
        Assert.Throws<ArgumentException>(() => F.Add(new Tensor(new float[6], 2, 3), new Tensor(new float[4], 4)));
        Assert.Throws<ArgumentException>(() => F.Matmul(new Tensor(new float[6], 2, 3), new Tensor(new float[4], 2, 2)));
        Assert.Throws<ArgumentException>(() => new Tensor(new float[5], 2, 3));
    }

    [Fact]
    public void Comparisons_where_and_views_give_expected_values()
    {
        var a = new Tensor([1f, 5f, 3f, 0f, 2f, 8f], 2, 3);
        var b = new Tensor([2f, 2f, 2f], 3);
        Assert.Equal(new[] { 0f, 1f, 1f, 0f, 0f, 1f }, F.Gt(a, b).Data);
        Assert.Equal(new[] { 2f, 5f, 3f, 2f, 2f, 8f }, F.Where(F.Gt(a, b), a, b).Data);
        var t = F.Transpose(a, 0, 1);
        Assert.Equal(new[] { 3, 2 }, t.Shape);
        Assert.Equal(new[] { 1f, 0f, 5f, 2f, 3f, 8f }, t.Data);
        var parts = F.Chunk(a, 3, 1);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new[] { 5f, 2f }, parts[1].Data);
        Assert.Equal(3f, F.Mean(a, 1).Data[0], 1e-6);
        Assert.Equal(10f / 3, F.Mean(a, 1).Data[1], 1e-6);
        Assert.Equal(new[] { 5f, 8f }, F.Max(a, 1).Data);
        Assert.Equal(new[] { 2, 2, 3 }, F.Stack([a, a], 0).Shape);
    }

    [Fact]
    public void Dropout_is_identity_in_eval_and_scales_in_training()
    {
        var x = new Tensor(Enumerable.Repeat(1f, 10000).ToArray(), 10000);
        Assert.Same(x, F.Dropout(x, 0.5f, false, new Generator(1)));
        var y = F.Dropout(x, 0.25f, true, new Generator(1));
        Assert.All(y.Data, v => Assert.True(v == 0f || Math.Abs(v - (1f / 0.75f)) < 1e-6));
        Assert.Equal(0.25, y.Data.Count(v => v == 0f) / 10000.0, 0.02);
    }
}
