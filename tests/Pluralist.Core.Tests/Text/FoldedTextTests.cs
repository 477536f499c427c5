using Pluralist.Core.Model;
using Pluralist.Core.Text;

namespace Pluralist.Core.Tests.Text;

public sealed class FoldedTextTests
{
    [Theory]
    [InlineData("  Non  Binary ", "non binary")]
    [InlineData("A park\twith\n TREES", "a park with trees")]
    [InlineData("Café", "café")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Folds_white_space_and_case_and_keeps_accents(string? text, string folded) =>
        Assert.Equal(folded, FoldedText.Fold(text));

    [Fact]
    public void Identity_answers_are_found_in_the_folded_form()
    {
        Assert.Equal(FoldedText.Fold("  Non  Binary "), IdentityCodingTable.Normalize("  Non  Binary "));
    }
}
