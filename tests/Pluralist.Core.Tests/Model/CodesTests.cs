using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Model;

public class CodesTests
{
    [Fact]
    public void A_code_typed_by_hand_hashes_as_the_code_issued()
    {
        var code = Codes.NewCode();

        Assert.Matches("^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$", code);
        Assert.Equal(Codes.Hash(code), Codes.Hash(" " + code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal) + " "));
        Assert.NotEqual(Codes.Hash(code), Codes.Hash(code[..^1] + (code[^1] == 'A' ? 'B' : 'A')));
    }

    [Fact]
    public void Hash_is_sha256_of_the_normalised_code_in_lower_case_hex()
    {
        Assert.Equal("K7QFM2XD", Codes.Normalize("k7qf-m2xd"));
        // SHA-256("ABC")
        Assert.Equal("b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78", Codes.Hash("a-b c"));
    }

    [Fact]
    public void Pseudonyms_use_the_unambiguous_alphabet()
    {
        Assert.Matches("^P-[A-HJKMNP-Z2-9]{6}$", Codes.NewPseudonym());
    }
}
