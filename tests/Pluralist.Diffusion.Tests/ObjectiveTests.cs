using Pluralist.Tensors;
using Pluralist.Testing;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion.Tests;

/// <summary>
/// The objectives next to Diffusion-DPO (group-robust DPO, Diffusion-KTO, MaPO, DPO with a margin) against PyTorch
/// values (tools/golden/make_objectives_golden.py) and against finite differences.
/// </summary>
public class ObjectiveTests
{
    private static Tensor Model(string name)
    {
        var t = TestUtil.O(name + ".model_pred");
        t.RequiresGrad = true;
        return t;
    }

    [Theory]
    [InlineData("grdpo")]
    [InlineData("grdpo_eta0")]
    public void Group_robust_dpo_matches_pytorch(string name)
    {
        var model = Model(name);
        var alpha = TestUtil.O(name + ".alpha").Data.Select(v => (double)v).ToArray();
        var groups = TestUtil.O(name + ".groups").Data.Select(v => (int)v).ToArray();
        var grdpo = new GroupRobustDpo(alpha.Length, TestUtil.O(name + ".eta").Item(), alpha);
        var r = grdpo.Compute(model, TestUtil.O(name + ".ref_pred"), TestUtil.O(name + ".target"), TestUtil.O(name + ".beta").Item(), groups);
        r.Dpo.Loss.Backward();

        NumericAssert.Close(TestUtil.O(name + ".loss").Data, [r.Dpo.Loss.Item()], 1e-5, "loss");
        NumericAssert.Close(TestUtil.O(name + ".grad").Data, model.Grad!.Data, 1e-5, "grad");
        NumericAssert.Close(TestUtil.O(name + ".new_alpha").Data, r.Weights.Select(v => (float)v).ToArray(), 1e-6, "new alpha");
        var expectedGroupLoss = TestUtil.O(name + ".group_loss").Data;
        for (int g = 0; g < expectedGroupLoss.Length; g++)
        {
            if (float.IsNaN(expectedGroupLoss[g]))
            {
                Assert.True(double.IsNaN(r.GroupLoss[g]), $"group {g} is absent from the batch: its loss is NaN");
            }
            else
            {
                Assert.True(Math.Abs(expectedGroupLoss[g] - r.GroupLoss[g]) <= 1e-5 * Math.Max(1, Math.Abs(expectedGroupLoss[g])), $"group {g}: {r.GroupLoss[g]} vs PyTorch {expectedGroupLoss[g]}");
            }
        }

        Assert.Equal(r.GroupLoss.Where(v => !double.IsNaN(v)).Max(), r.WorstGroupLoss);
        Assert.Equal(r.Weights, grdpo.Weights);
    }

    [Fact]
    public void Group_robust_weights_move_toward_the_worst_group_and_equal_groups_give_plain_dpo()
    {
        var g = new Generator(21);
        var target = g.Normal(0, 1, 8, 2, 2, 2);
        var reference = F.Add(target, g.Normal(0, 0.5f, 8, 2, 2, 2)).Detach();
        var model = F.Add(reference, g.Normal(0, 0.2f, 8, 2, 2, 2)).Detach();
        int[] groups = [0, 0, 1, 1];

        var plain = DpoLoss.Compute(model, reference, target, 3f);
        var frozen = new GroupRobustDpo(2, eta: 0);
        var r0 = frozen.Compute(model, reference, target, 3f, groups);
        Assert.Equal(plain.Loss.Item(), r0.Dpo.Loss.Item(), 5); // two groups of two, weights 1/2: the batch mean
        Assert.Equal([0.5, 0.5], frozen.Weights);

        var robust = new GroupRobustDpo(2, eta: 1);
        for (int step = 0; step < 5; step++)
        {
            var r = robust.Compute(model, reference, target, 3f, groups);
            Assert.True(r.Weights[r.WorstGroup] > 0.5, $"step {step}: the worse group's weight {r.Weights[r.WorstGroup]} should exceed 1/2");
        }

        // The weighted loss lies between the group losses and above the plain mean once the worse group weighs more.
        var last = robust.Compute(model, reference, target, 3f, groups);
        Assert.InRange(last.Dpo.Loss.Item(), plain.Loss.Item(), last.WorstGroupLoss + 1e-6);
    }

    [Theory]
    [InlineData("kto")]
    [InlineData("kto_kl")]
    public void Kto_matches_pytorch(string name)
    {
        var model = Model(name);
        var p = TestUtil.O(name + ".params").Data;
        var desirable = TestUtil.O(name + ".desirable").Data.Select(v => v > 0.5f).ToArray();
        var r = KtoLoss.Compute(model, TestUtil.O(name + ".ref_pred"), TestUtil.O(name + ".target"), desirable, p[0], p[1], p[2]);
        r.Loss.Backward();
        NumericAssert.Close(TestUtil.O(name + ".loss").Data, [r.Loss.Item()], 1e-5, "loss");
        NumericAssert.Close(TestUtil.O(name + ".kl").Data, [r.Kl], 1e-6, "kl");
        NumericAssert.Close(TestUtil.O(name + ".z").Data, r.Z, 1e-5, "z");
        NumericAssert.Close(TestUtil.O(name + ".grad").Data, model.Grad!.Data, 1e-5, "grad");
        if (name == "kto_kl")
        {
            Assert.True(r.Kl > 0, "the golden case has the model better than the reference on average");
        }
    }

    [Theory]
    [InlineData("mapo")]
    [InlineData("mapo_small")]
    public void Mapo_matches_pytorch(string name)
    {
        var model = Model(name);
        var p = TestUtil.O(name + ".params").Data;
        var r = MapoLoss.Compute(model, TestUtil.O(name + ".target"), (int)p[2], p[0], p[1]);
        r.Loss.Backward();
        NumericAssert.Close(TestUtil.O(name + ".loss").Data, [r.Loss.Item()], 1e-5, "loss");
        // Each log odds is the difference of two terms near 1 built from float32 MSEs: about 1e-7 absolute, whatever its size.
        NumericAssert.Close(TestUtil.O(name + ".log_odds").Data, r.LogOdds.Select(v => v).ToArray(), 1e-6 / TestUtil.O(name + ".log_odds").Data.Max(Math.Abs), "log odds");
        NumericAssert.Close(TestUtil.O(name + ".grad").Data, model.Grad!.Data, 2e-4, "grad"); // float32 MSEs against a float64 golden, T = 50..1000 amplifies
    }

    [Fact]
    public void Dpo_margin_matches_pytorch_and_zero_margins_change_nothing()
    {
        var model = Model("margin");
        var reference = TestUtil.O("margin.ref_pred");
        var target = TestUtil.O("margin.target");
        float beta = TestUtil.O("margin.beta").Item();
        var r = DpoLoss.Compute(model, reference, target, beta, margins: TestUtil.O("margin.margins").Data);
        r.Loss.Backward();
        NumericAssert.Close(TestUtil.O("margin.loss").Data, [r.Loss.Item()], 1e-5, "loss");
        NumericAssert.Close(TestUtil.O("margin.grad").Data, model.Grad!.Data, 1e-5, "grad");

        using var _ = Autograd.NoGrad();
        var plain = DpoLoss.Compute(model, reference, target, beta);
        var zero = DpoLoss.Compute(model, reference, target, beta, margins: new float[6]);
        Assert.Equal(plain.Loss.Item(), zero.Loss.Item());
        Assert.Equal(plain.ImplicitAccuracy, r.ImplicitAccuracy); // the accuracy reads the inside term, not the margin
        Assert.True(r.Loss.Item() > plain.Loss.Item(), "positive margins ask for more: the loss rises");
    }

    public static TheoryData<string> Objectives => new() { "grdpo", "kto", "mapo", "margin" };

    [Theory]
    [MemberData(nameof(Objectives))]
    public void Gradients_match_finite_differences(string objective)
    {
        var g = new Generator(31);
        var target = g.Normal(0, 1, 4, 2, 2, 2);
        var reference = F.Add(target, g.Normal(0, 0.5f, 4, 2, 2, 2)).Detach();
        var model = F.Add(reference, g.Normal(0, 0.3f, 4, 2, 2, 2)).Detach();
        model.RequiresGrad = true;
        Loss().Backward();
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
            Assert.True(Math.Abs(numeric - model.Grad!.Data[i]) <= 2e-3 * Math.Max(1, Math.Abs(numeric)), $"{objective} element {i}: analytic {model.Grad.Data[i]} numeric {numeric}");
        }

        double Eval()
        {
            using var _ = Autograd.NoGrad();
            return Loss().Item();
        }

        // eta 0 keeps the weights fixed, so the finite differences see the same weighted sum as the gradient.
        Tensor Loss() => objective switch
        {
            "grdpo" => new GroupRobustDpo(2, 0, [0.3, 0.7]).Compute(model, reference, target, 3f, [0, 1]).Dpo.Loss,
            "kto" => KtoLoss.Compute(model, reference, target, [true, false, true, false], 3f, 1f, 1.5f).Loss,
            "mapo" => MapoLoss.Compute(model, target, 20, 0.5f, 0.5f).Loss,
            _ => DpoLoss.Compute(model, reference, target, 3f, margins: [0.2f, 0.5f]).Loss,
        };
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var a = new Tensor(new float[16], 4, 1, 2, 2);
        Assert.Throws<ArgumentException>(() => new GroupRobustDpo(2, 0.1).Compute(a, a, a, 1f, [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupRobustDpo(2, 0.1).Compute(a, a, a, 1f, [0, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupRobustDpo(2, -1));
        Assert.Throws<ArgumentException>(() => new GroupRobustDpo(2, 0.1, [1, 0]));
        Assert.Throws<ArgumentException>(() => KtoLoss.Compute(a, a, a, [true], 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => KtoLoss.Compute(a, a, a, [true, true, false, false], 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => MapoLoss.Compute(a, a, 0));
        Assert.Throws<ArgumentException>(() => MapoLoss.Compute(new Tensor(new float[12], 3, 1, 2, 2), new Tensor(new float[12], 3, 1, 2, 2), 10));
        Assert.Throws<ArgumentException>(() => DpoLoss.Compute(a, a, a, 1f, margins: [1f]));
        Assert.Throws<ArgumentException>(() => DpoLoss.Compute(a, a, a, 1f, margins: [float.NaN, 0f]));
    }
}
