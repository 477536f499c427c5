namespace Pluralist.Diffusion.Tests;

public class TokenizerTests
{
    [Fact]
    public void Splits_english_and_french()
    {
        Assert.Equal(["a", "quiet", "park", "with", "benches"], WordTokenizer.Split("A quiet park, with benches!"));
        Assert.Equal(["l'", "eau", "près", "du", "centre-ville", "l'", "après-midi"], WordTokenizer.Split("L’eau près du centre-ville, l'après-midi"));
        Assert.Equal(["rue", "42"], WordTokenizer.Split("  rue -- 42 "));
        Assert.Equal("élevé", WordTokenizer.Split("E\u0301LEVE\u0301")[0]); // NFC after lower-casing
    }

    [Fact]
    public void Default_vocabulary_covers_both_languages()
    {
        var tok = WordTokenizer.Default();
        Assert.True(tok.VocabularySize > 400);
        foreach (var w in new[] { "park", "bench", "wheelchair", "parc", "banc", "ombragé", "l'", "trottoir" })
        {
            Assert.NotEqual(WordTokenizer.Unk, tok.Id(w));
        }

        Assert.Equal(WordTokenizer.Unk, tok.Id("xyzzy"));
    }

    [Fact]
    public void Encodes_with_bos_eos_padding_and_truncation()
    {
        var tok = new WordTokenizer(["park", "green"]);
        var (ids, mask) = tok.Encode("Green park, green!", 8);
        Assert.Equal([1, 5, 4, 5, 2, 0, 0, 0], ids);
        Assert.Equal([1f, 1, 1, 1, 1, 0, 0, 0], mask);
        var (cut, _) = tok.Encode("green park green park green", 4);
        Assert.Equal([1, 5, 4, 2], cut);
        var (empty, emptyMask) = tok.Encode(string.Empty, 4);
        Assert.Equal([1, 2, 0, 0], empty);
        Assert.Equal([1f, 1, 0, 0], emptyMask);
        Assert.Equal("<bos> green <unk> <eos>", tok.Decode(tok.Encode("green street", 4).Ids));
    }

    [Fact]
    public void Vocabulary_is_data()
    {
        var tok = WordTokenizer.FromJson("{\"tokens\": [\"Plaza\", \"plaza\", \"fontaine\"]}");
        Assert.Equal(6, tok.VocabularySize); // duplicates after normalisation are ignored
        Assert.Equal(4, tok.Id("PLAZA"));
        var again = WordTokenizer.FromJson(tok.ToJson());
        Assert.Equal(tok.Tokens, again.Tokens);
        Assert.Equal(tok.Tokens, WordTokenizer.FromJson("[\"plaza\", \"fontaine\"]").Tokens);
        Assert.Throws<FormatException>(() => WordTokenizer.FromJson("{\"words\": []}"));
        Assert.Throws<FormatException>(() => WordTokenizer.FromJson("[1, 2]"));
    }
}
