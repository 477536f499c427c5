using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Model;

public sealed class StudyKeysTests
{
    [Theory]
    [InlineData("livs-default")]
    [InlineData("parks-2025")]
    [InlineData("2025-parks")]
    [InlineData("a")]
    [InlineData("1-2")]
    [InlineData("x1")]
    public void Keys_of_lower_case_letters_digits_and_dashes_are_valid(string key) => Assert.Null(StudyKeys.Problem(key));

    [Theory]
    [InlineData("1", "could be taken for a study id")]
    [InlineData("0042", "could be taken for a study id")]
    [InlineData("12345678901234567890123", "could be taken for a study id")]
    [InlineData("", "is required")]
    [InlineData(null, "is required")]
    [InlineData("Parks", "not a valid study key")]
    [InlineData("-parks", "not a valid study key")]
    [InlineData("parks 2025", "not a valid study key")]
    [InlineData("parcs-été", "not a valid study key")]
    [InlineData("a/b", "not a valid study key")]
    public void Other_keys_are_refused_with_the_reason(string? key, string reason) =>
        Assert.Contains(reason, StudyKeys.Problem(key), StringComparison.Ordinal);

    [Fact]
    public void A_key_has_at_most_64_characters()
    {
        Assert.Null(StudyKeys.Problem(new string('a', 64)));
        Assert.Contains("at most 64", StudyKeys.Problem(new string('a', 65)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("7", 7L, null, false)]
    [InlineData(" 7 ", 7L, null, false)]
    [InlineData("id:7", 7L, null, true)]
    [InlineData("key:7", null, "7", true)]
    [InlineData("key:parks", null, "parks", true)]
    [InlineData("parks", null, "parks", false)]
    [InlineData("0", null, "0", false)]
    public void A_reference_names_an_id_or_a_key(string reference, long? id, string? key, bool @explicit) =>
        Assert.Equal(new StudyReference(id, key, @explicit), StudyKeys.ParseReference(reference));

    [Theory]
    [InlineData("")]
    [InlineData("id:")]
    [InlineData("id:x")]
    [InlineData("id:0")]
    [InlineData("key:")]
    public void A_malformed_reference_is_null(string reference) => Assert.Null(StudyKeys.ParseReference(reference));
}
