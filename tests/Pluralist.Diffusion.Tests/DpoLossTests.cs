using Pluralist.Tensors;
using Pluralist.Testing;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion.Tests;

/// <summary>The Diffusion-DPO loss against PyTorch values of the reference trainers' lines (tools/golden/make_dpo_golden.py).</summary>
public class DpoLossTests
{
    public static TheoryData<string> Cases => new() { "beta1", "beta50", "beta5000", "equal" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_accuracy_and_gradient_match_pytorch(string name)
    {
        var model = TestUtil.G(name + ".model_pred");
        model.RequiresGrad = true;
        float beta = TestUtil.G(name + ".beta").Item();
        var r = DpoLoss.Compute(model, TestUtil.G(name + ".ref_pred"), TestUtil.G(name + ".target"), beta);
        r.Loss.Backward();

        // beta 5000 multiplies MSE differences of ~1e-5 computed in float32 (PyTorch and here sum in different orders).
        double tol = beta >= 1000 ? 2e-3 : 1e-5;
        NumericAssert.Close(TestUtil.G(name + ".inside_term").Data, r.InsideTerm, tol, "inside_term");
        NumericAssert.Close(TestUtil.G(name + ".loss").Data, [r.Loss.Item()], tol, "loss");
        Assert.Equal(TestUtil.G(name + ".implicit_acc").Item(), r.ImplicitAccuracy);
        NumericAssert.Close(TestUtil.G(name + ".raw_model_loss").Data, [r.ModelMse], 1e-5, "raw_model_loss");
        NumericAssert.Close(TestUtil.G(name + ".raw_ref_loss").Data, [r.ReferenceMse], 1e-5, "raw_ref_loss");
        NumericAssert.Close(TestUtil.G(name + ".grad").Data, model.Grad!.Data, tol, "grad");
    }

    [Fact]
    public void Model_equal_to_reference_gives_log2_and_accuracy_one_half()
    {
        // inside_term = -0.5 beta (model_diff - ref_diff) = 0 exactly, so loss = -log sigmoid(0) = log 2. The reference trainers
        // count implicit_acc = (inside_term > 0).mean() + 0.5 (inside_term == 0).mean(): every pair is a tie, accuracy 0.5.
        var g = new Generator(3);
        var target = g.Normal(0, 1, 4, 3, 2, 2);
        var pred = g.Normal(0, 1, 4, 3, 2, 2);
        var r = DpoLoss.Compute(pred, pred.Clone(), target, 5000f);
        Assert.Equal(Math.Log(2), r.Loss.Item(), 6);
        Assert.Equal(0.5f, r.ImplicitAccuracy);
        Assert.All(r.InsideTerm, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Sign_and_beta_scaling_follow_the_formula()
    {
        // One pair, C = H = W = 1: model mse_w = 0, mse_l = 1; reference mse_w = mse_l = 1, so
        // inside = -0.5 beta ((0 - 1) - (1 - 1)) = 0.5 beta > 0: the model prefers the winner more than the reference.
        var target = new Tensor([0f, 0f], 2, 1, 1, 1);
        var model = new Tensor([0f, 1f], 2, 1, 1, 1);
        var reference = new Tensor([1f, 1f], 2, 1, 1, 1);
        foreach (var beta in new[] { 0.1f, 1f, 4f })
        {
            var r = DpoLoss.Compute(model, reference, target, beta);
            Assert.Equal(0.5f * beta, r.InsideTerm[0], 5);
            Assert.Equal(-Math.Log(1 / (1 + Math.Exp(-0.5 * beta))), r.Loss.Item(), 5);
            Assert.Equal(1f, r.ImplicitAccuracy);
        }

        // swapping winner and loser flips the sign
        var swapped = DpoLoss.Compute(new Tensor([1f, 0f], 2, 1, 1, 1), reference, target, 1f);
        Assert.Equal(-0.5f, swapped.InsideTerm[0], 5);
        Assert.Equal(0f, swapped.ImplicitAccuracy);
    }

    [Fact]
    public void Weights_and_soft_labels_change_only_what_they_say()
    {
        var g = new Generator(5);
        var target = g.Normal(0, 1, 4, 2, 2, 2);
        var model = g.Normal(0, 1, 4, 2, 2, 2);
        var reference = g.Normal(0, 1, 4, 2, 2, 2);
        var hard = DpoLoss.Compute(model, reference, target, 1f);
        double t0 = -LogSigmoid(hard.InsideTerm[0]), t1 = -LogSigmoid(hard.InsideTerm[1]);
        Assert.Equal((t0 + t1) / 2, hard.Loss.Item(), 5); // mean over the batch

        var weighted = DpoLoss.Compute(model, reference, target, 1f, weights: [0.5f, 0f]);
        Assert.Equal(0.5 * t0 / 2, weighted.Loss.Item(), 5); // 2p - 1 with p = 0.75 and p = 0.5; still divided by B

        var soft = DpoLoss.Compute(model, reference, target, 1f, softLabels: [1f, 0.5f]);
        double x1 = hard.InsideTerm[1];
        Assert.Equal((t0 + (-(0.5 * LogSigmoid(x1)) - (0.5 * LogSigmoid(-x1)))) / 2, soft.Loss.Item(), 5);

        var accumulated = DpoLoss.Compute(model, reference, target, 1f, normalizer: 8);
        Assert.Equal((t0 + t1) / 8, accumulated.Loss.Item(), 5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradient_matches_finite_differences(bool soft)
    {
        var g = new Generator(11);
        var target = g.Normal(0, 1, 4, 2, 2, 2);
        var reference = g.Normal(0, 0.5f, 4, 2, 2, 2);
        var model = F.Add(reference, g.Normal(0, 0.3f, 4, 2, 2, 2)).Detach();
        model.RequiresGrad = true;
        float[] weights = [0.7f, 1.3f];
        float[]? labels = soft ? [0.9f, 0.6f] : null;
        float beta = 3f;
        DpoLoss.Compute(model, reference, target, beta, weights, labels).Loss.Backward();
        const float h = 1e-2f;
        for (int i = 0; i < model.Numel; i++)
        {
            float orig = model.Data[i];
            model.Data[i] = orig + h;
            double lp = Eval();
            model.Data[i] = orig - h;
            double lm = Eval();
            model.Data[i] = orig;
            double numeric = (lp - lm) / (2 * h);
            Assert.True(Math.Abs(numeric - model.Grad!.Data[i]) <= 2e-3 * Math.Max(1, Math.Abs(numeric)), $"element {i}: analytic {model.Grad.Data[i]} numeric {numeric}");
        }

        double Eval()
        {
            using var _ = Autograd.NoGrad();
            return DpoLoss.Compute(model, reference, target, beta, weights, labels).Loss.Item();
        }
    }

    [Fact]
    public void Rejects_mismatched_inputs()
    {
        var a = new Tensor(new float[8], 2, 1, 2, 2);
        Assert.Throws<ArgumentException>(() => DpoLoss.Compute(a, a, new Tensor(new float[4], 1, 1, 2, 2), 1f));
        Assert.Throws<ArgumentException>(() => DpoLoss.Compute(a, a, a, 1f, weights: [1f, 1f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => DpoLoss.Compute(a, a, a, 0f));
    }

    private static double LogSigmoid(double x) => -Math.Log(1 + Math.Exp(-x));
}
