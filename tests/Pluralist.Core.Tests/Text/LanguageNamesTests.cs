using Pluralist.Core.Text;

namespace Pluralist.Core.Tests.Text;

public sealed class LanguageNamesTests
{
    [Theory]
    [InlineData("en", "English")]
    [InlineData("fr-CA", "French")]
    [InlineData("FR", "French")]
    [InlineData("de-CH", "German")]
    public void A_tag_is_named_by_its_base_language(string tag, string name) => Assert.Equal(name, LanguageNames.English(tag));
}
