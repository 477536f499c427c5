using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Model;

public class SliderScaleTests
{
    [Theory]
    [InlineData(0.37, 0, true)]
    [InlineData(-0.999, 0, true)]
    [InlineData(1.0001, 0, false)]
    [InlineData(double.NaN, 0, false)]
    [InlineData(0.5, 4, true)]
    [InlineData(-0.75, 4, true)]
    [InlineData(0.3, 4, false)]
    [InlineData(0.3333333333, 3, true)]
    [InlineData(0.34, 3, false)]
    [InlineData(1, 1, true)]
    [InlineData(0.5, 1, false)]
    public void A_score_is_on_the_scale_only_at_its_steps(double score, int steps, bool expected) =>
        Assert.Equal(expected, SliderScale.IsOnScale(score, steps));

    [Fact]
    public void The_page_step_follows_the_setting()
    {
        Assert.Equal("any", SliderScale.HtmlStep(0));
        Assert.Equal("0.25", SliderScale.HtmlStep(4));
        Assert.Equal("0.1", SliderScale.HtmlStep(10));
    }

    [Fact]
    public void Settings_outside_0_to_100_are_refused()
    {
        Assert.Null(SliderScale.Problem(0));
        Assert.Null(SliderScale.Problem(100));
        Assert.Contains("-1", SliderScale.Problem(-1), StringComparison.Ordinal);
        Assert.NotNull(SliderScale.Problem(101));
    }
}
