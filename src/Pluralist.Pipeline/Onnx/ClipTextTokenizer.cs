using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Pluralist.Pipeline.Onnx;

/// <summary>
/// A CLIP model's own BPE tokenizer read from its <c>vocab.json</c> and <c>merges.txt</c>, run by Microsoft.ML.Tokenizers'
/// byte-level <see cref="BpeTokenizer"/> with "&lt;/w&gt;" as end-of-word suffix. CLIP's text cleanup comes first (NFC,
/// as ftfy ends; HTML unescaped twice; white space collapsed and trimmed; lower case), then CLIP's split pattern. An
/// encoded text is &lt;|startoftext|&gt; ids &lt;|endoftext|&gt;, truncated to the context length (77; from
/// <c>tokenizer_config.json</c>'s <c>model_max_length</c> when present) with the end token kept last. Pieces missing from
/// the vocabulary become the end token (Hugging Face's unk).
/// </summary>
public sealed partial class ClipTextTokenizer
{
    public const string StartToken = "<|startoftext|>";
    public const string EndToken = "<|endoftext|>";

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<int, string> _tokens;

    private ClipTextTokenizer(BpeTokenizer bpe, IReadOnlyDictionary<string, int> vocab, int startId, int endId, int contextLength)
    {
        _bpe = bpe;
        _tokens = [];
        foreach (var (token, id) in vocab)
        {
            _tokens.TryAdd(id, token);
        }

        StartId = startId;
        EndId = endId;
        ContextLength = contextLength;
    }

    public int StartId { get; }

    /// <summary>Id of &lt;|endoftext|&gt;: the end, padding and unknown token.</summary>
    public int EndId { get; }

    public int ContextLength { get; }

    /// <summary>Reads vocab.json, merges.txt and (optionally) tokenizer_config.json from a model folder; errors name the file.</summary>
    public static ClipTextTokenizer Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string vocabPath = Path.Combine(folder, "vocab.json"), mergesPath = Path.Combine(folder, "merges.txt");
        foreach (var f in new[] { vocabPath, mergesPath })
        {
            if (!File.Exists(f))
            {
                throw new FileNotFoundException($"{f} not found (a CLIP model folder holds vocab.json and merges.txt)", f);
            }
        }

        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath)) ?? throw new InvalidDataException($"{vocabPath}: empty vocabulary");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{vocabPath}:{(ex.LineNumber ?? 0) + 1}: not a JSON object of token ids ({ex.Message})", ex);
        }

        if (!vocab.TryGetValue(StartToken, out var start) || !vocab.TryGetValue(EndToken, out var end))
        {
            throw new InvalidDataException($"{vocabPath}: the vocabulary lacks {StartToken} or {EndToken}; is this a CLIP tokenizer?");
        }

        var merges = new List<string>();
        var lines = File.ReadAllLines(mergesPath, Encoding.UTF8);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 || (i == 0 && lines[i].StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            var parts = lines[i].Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new InvalidDataException($"{mergesPath}:{i + 1}: expected two symbols separated by one space, got '{lines[i]}'");
            }

            if (!vocab.ContainsKey(parts[0] + parts[1]))
            {
                throw new InvalidDataException($"{mergesPath}:{i + 1}: the merge result '{parts[0] + parts[1]}' is not in vocab.json");
            }

            merges.Add(lines[i]);
        }

        int context = 77;
        var config = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(config))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(config));
                if (doc.RootElement.TryGetProperty("model_max_length", out var m) && m.TryGetInt32(out var n) && n is >= 2 and <= 4096)
                {
                    context = n;
                }
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{config}:{(ex.LineNumber ?? 0) + 1}: not JSON ({ex.Message})", ex);
            }
        }

        var specials = new Dictionary<string, int>(StringComparer.Ordinal) { [StartToken] = start, [EndToken] = end };
        var bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            SpecialTokens = specials,
            Normalizer = new ClipNormalizer(),
            PreTokenizer = new RegexPreTokenizer(SplitPattern(), specials),
            UnknownToken = EndToken,
            EndOfWordSuffix = "</w>",
            ByteLevel = true,
        });
        return new ClipTextTokenizer(bpe, vocab, start, end, context);
    }

    /// <summary>CLIP's cleanup: NFC, HTML unescaped twice, white space collapsed, trimmed, lower case.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = WebUtility.HtmlDecode(WebUtility.HtmlDecode(text.Normalize(NormalizationForm.FormC)));
        return Whitespace().Replace(t, " ").Trim().ToLowerInvariant();
    }

    /// <summary>Token ids of the text without start and end tokens.</summary>
    public IReadOnlyList<int> EncodeRaw(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _bpe.EncodeToIds(text);
    }

    /// <summary>[start] ids [end], at most <see cref="ContextLength"/> long (the end token kept), not padded.</summary>
    public int[] Encode(string text)
    {
        var ids = EncodeRaw(text);
        int n = Math.Min(ids.Count, ContextLength - 2);
        var result = new int[n + 2];
        result[0] = StartId;
        for (int i = 0; i < n; i++)
        {
            result[i + 1] = ids[i];
        }

        result[n + 1] = EndId;
        return result;
    }

    /// <summary>
    /// A batch padded with the end token to <paramref name="length"/> (default: the longest, as Hugging Face's
    /// <c>padding=True</c>): input_ids and attention_mask (1 on real tokens), both (B, L) row-major.
    /// </summary>
    public (long[] Ids, long[] Mask, int Length) EncodeBatch(IReadOnlyList<string> texts, int? length = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var rows = texts.Select(Encode).ToArray();
        int l = length ?? Math.Max(2, rows.Length == 0 ? 2 : rows.Max(r => r.Length));
        if (rows.Any(r => r.Length > l))
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"a text needs {rows.Max(r => r.Length)} tokens, more than {l}");
        }

        var ids = new long[rows.Length * l];
        var mask = new long[rows.Length * l];
        Array.Fill(ids, EndId);
        for (int b = 0; b < rows.Length; b++)
        {
            for (int i = 0; i < rows[b].Length; i++)
            {
                ids[b * l + i] = rows[b][i];
                mask[b * l + i] = 1;
            }
        }

        return (ids, mask, l);
    }

    /// <summary>Ids back to text: "&lt;/w&gt;" becomes a space, byte characters become UTF-8 bytes, special tokens are dropped.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id == StartId || id == EndId || !_tokens.TryGetValue(id, out var token))
            {
                continue;
            }

            bool end = token.EndsWith("</w>", StringComparison.Ordinal);
            foreach (var ch in end ? token[..^4] : token)
            {
                if (CharToByte.Value.TryGetValue(ch, out var b))
                {
                    bytes.Add(b);
                }
            }

            if (end)
            {
                bytes.Add((byte)' ');
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray()).Trim();
    }

    /// <summary>GPT-2's byte-to-character map reversed: printable Latin-1 bytes stand for themselves, the others are U+0100 onwards.</summary>
    private static readonly Lazy<Dictionary<char, byte>> CharToByte = new(() =>
    {
        var map = new Dictionary<char, byte>();
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[printable ? (char)b : (char)(256 + extra++)] = (byte)b;
        }

        return map;
    });

    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase)]
    private static partial Regex SplitPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    private sealed class ClipNormalizer : Normalizer
    {
        public override string Normalize(string original) => Clean(original);

        public override string Normalize(ReadOnlySpan<char> original) => Clean(original.ToString());
    }
}
