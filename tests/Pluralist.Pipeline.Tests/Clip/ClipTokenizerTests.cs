using System.Text.Json;
using Pluralist.Pipeline.Clip;

namespace Pluralist.Pipeline.Tests.Clip;

public sealed class ClipTokenizerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pl-tok-");
    private readonly ClipTokenizer _tok;

    // Merges in rank order. "low" -> l o | lo w</w>; "lower" -> l o, e r</w>, lo w, low er</w>;
    // "newest" -> n e, ne w, e s, es t</w>  =>  new est</w>.
    private static readonly string[] Merges = ["l o", "lo w</w>", "e r</w>", "lo w", "low er</w>", "n e", "ne w", "e s", "es t</w>"];

    private static readonly string[] VocabTokens =
        ["<|startoftext|>", "<|endoftext|>", "low</w>", "lower</w>", "new", "est</w>", "a</w>", "&</w>", "Ã", "©</w>", ".</w>", "1</w>", "2</w>"];

    public ClipTokenizerTests()
    {
        // Real CLIP vocabularies put the special tokens last (49406, 49407); here they are 0 and 1 except for the
        // pooling test below, which needs the end token to be the largest id.
        var vocab = VocabTokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        File.WriteAllText(Path.Combine(_dir.FullName, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllLines(Path.Combine(_dir.FullName, "merges.txt"), ["#version: 0.2", .. Merges]);
        _tok = ClipTokenizer.Load(Path.Combine(_dir.FullName, "vocab.json"), Path.Combine(_dir.FullName, "merges.txt"), contextLength: 8);
    }

    public void Dispose() => _dir.Delete(true);

    private static int Id(string t) => Array.IndexOf(VocabTokens, t);

    [Theory]
    [InlineData("low", new[] { "low</w>" })]
    [InlineData("lower", new[] { "lower</w>" })]
    [InlineData("newest", new[] { "new", "est</w>" })]
    [InlineData("  LOWER\tNewest a ", new[] { "lower</w>", "new", "est</w>", "a</w>" })]
    [InlineData("lower.", new[] { "lower</w>", ".</w>" })]
    [InlineData("a12", new[] { "a</w>", "1</w>", "2</w>" })] // digits are single pieces
    [InlineData("low&amp;amp;", new[] { "low</w>", "&</w>" })] // HTML-unescaped twice
    [InlineData("é", new[] { "Ã", "©</w>" })] // UTF-8 bytes C3 A9 through bytes_to_unicode, </w> on the last
    [InlineData("lo", new[] { "l", "o</w>" })] // "lo w</w>" needs the w: "o</w>" stays unmerged
    public void Bpe_pieces(string text, string[] expected) => Assert.Equal(expected, _tok.Tokenize(text));

    [Fact]
    public void Encode_adds_start_and_end_pads_truncates_and_maps_unknowns_to_end()
    {
        int s = Id("<|startoftext|>"), e = Id("<|endoftext|>");
        Assert.Equal([s, Id("lower</w>"), Id("new"), Id("est</w>"), Id("a</w>"), e, e, e], _tok.Encode("Lower newest a"));
        // 8 slots: start + 6 pieces + end; the 7th piece is cut, the end token stays last.
        Assert.Equal([s, 2, 2, 2, 2, 2, 2, e], _tok.Encode("low low low low low low low"));
        // "z" is not in the vocabulary: its piece becomes the end id (Hugging Face's unk_token).
        Assert.Equal([s, Id("low</w>"), e, e, e, e, e, e], _tok.Encode("low z"));
        Assert.Equal(e, _tok.EncodeRaw("z").Single());
        Assert.Equal("lower newest a", _tok.Decode(_tok.Encode("Lower newest a")));
    }

    [Fact]
    public void Padding_id_can_be_zero_as_in_openai_code()
    {
        var t = ClipTokenizer.Load(Path.Combine(_dir.FullName, "vocab.json"), Path.Combine(_dir.FullName, "merges.txt"), contextLength: 5, padId: 0);
        Assert.Equal([Id("<|startoftext|>"), Id("low</w>"), Id("<|endoftext|>"), 0, 0], t.Encode("low"));
        Assert.Equal(10, t.EncodeBatch(["low", "a"]).Length);
    }

    [Fact]
    public void Bad_merges_line_is_reported_with_file_and_line()
    {
        var bad = Path.Combine(_dir.FullName, "bad.txt");
        File.WriteAllLines(bad, ["#version: 0.2", "l o", "lo w </w>"]);
        var ex = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(Path.Combine(_dir.FullName, "vocab.json"), bad));
        Assert.Equal($"{bad}:3: expected two symbols separated by one space, got 'lo w </w>'", ex.Message);
    }
}
