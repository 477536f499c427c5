using Pluralist.Core.Privacy;

namespace Pluralist.Core.Tests.Privacy;

public class MinimumGroupSizeTests
{
    [Theory]
    [InlineData(5, 5, true)]
    [InlineData(6, 5, true)]
    [InlineData(4, 5, false)]
    [InlineData(1, 5, false)]
    [InlineData(0, 5, false)]
    [InlineData(1, 1, true)]
    [InlineData(0, 1, false)]
    [InlineData(1, 0, true)]
    [InlineData(0, 0, false)]
    public void Numbers_need_at_least_k_people_and_never_zero(int people, int k, bool shown) =>
        Assert.Equal(shown, MinimumGroupSize.MayShow(people, k));

    [Fact]
    public void Rows_count_distinct_people_not_rows()
    {
        (long Person, int Answer)[] rows = [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 1), (3, 1), (4, 4)];
        Assert.False(MinimumGroupSize.MayShow(rows, r => r.Person, 5));
        Assert.True(MinimumGroupSize.MayShow(rows, r => r.Person, 4));
        Assert.False(MinimumGroupSize.MayShow(Array.Empty<(long, int)>(), r => r.Item1, 1));
    }
}
