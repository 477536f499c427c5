using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pluralist.Pipeline.Clip;

/// <summary>
/// The CLIP byte-level BPE tokenizer (Radford et al. 2021; OpenAI's <c>simple_tokenizer.py</c>, Hugging Face's
/// <c>CLIPTokenizer</c>) read from <c>vocab.json</c> and <c>merges.txt</c>. Text is HTML-unescaped twice, white space is
/// collapsed, and it is lower-cased; it is split by CLIP's pattern; each piece's UTF-8 bytes are mapped to printable
/// characters (GPT-2's bytes_to_unicode), "&lt;/w&gt;" is appended to its last symbol, and merges are applied lowest rank
/// first. Encoding adds &lt;|startoftext|&gt; and &lt;|endoftext|&gt;, truncates so that the end token stays last, and pads
/// with <see cref="PadId"/>. Not done: ftfy's mojibake repair (text is assumed to be clean Unicode).
/// </summary>
public sealed partial class ClipTokenizer
{
    public const string StartToken = "<|startoftext|>";
    public const string EndToken = "<|endoftext|>";

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);
    private static readonly string[] ByteToUnicode = BuildByteToUnicode();

    public ClipTokenizer(IReadOnlyDictionary<string, int> vocab, IEnumerable<(string Left, string Right)> merges, int contextLength = 77, int? padId = null)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(merges);
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        _ranks = [];
        int rank = 0;
        foreach (var m in merges)
        {
            _ranks.TryAdd(m, rank++);
        }

        StartId = _vocab.TryGetValue(StartToken, out var s) ? s : throw new ArgumentException($"the vocabulary has no {StartToken}");
        EndId = _vocab.TryGetValue(EndToken, out var e) ? e : throw new ArgumentException($"the vocabulary has no {EndToken}");
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        ContextLength = contextLength;
        PadId = padId ?? EndId;
    }

    /// <summary>Id of &lt;|startoftext|&gt;.</summary>
    public int StartId { get; }

    /// <summary>Id of &lt;|endoftext|&gt; (also the unknown token, as in Hugging Face).</summary>
    public int EndId { get; }

    /// <summary>Padding id: &lt;|endoftext|&gt; by default (Hugging Face); OpenAI's original code pads with 0.</summary>
    public int PadId { get; }

    /// <summary>Sequence length of <see cref="Encode"/> (77 for every public CLIP).</summary>
    public int ContextLength { get; }

    public int VocabularySize => _vocab.Count;

    /// <summary>
    /// Reads <c>vocab.json</c> (token → id) and <c>merges.txt</c> (a <c>#version</c> line, then "left right" per line).
    /// Errors name the file and line.
    /// </summary>
    public static ClipTokenizer Load(string vocabPath, string mergesPath, int contextLength = 77, int? padId = null)
    {
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath)) ?? throw new InvalidDataException($"{vocabPath}: empty vocabulary");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{vocabPath}:{(ex.LineNumber ?? 0) + 1}: not a JSON object of token ids ({ex.Message})", ex);
        }

        var merges = new List<(string, string)>();
        var lines = File.ReadAllLines(mergesPath);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new InvalidDataException($"{mergesPath}:{i + 1}: expected two symbols separated by one space, got '{line}'");
            }

            merges.Add((parts[0], parts[1]));
        }

        return new ClipTokenizer(vocab, merges, contextLength, padId);
    }

    /// <summary>Cleans text as CLIP does: HTML-unescaped twice, white space collapsed, trimmed, lower case.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = WebUtility.HtmlDecode(WebUtility.HtmlDecode(text));
        return Whitespace().Replace(t, " ").Trim().ToLowerInvariant();
    }

    /// <summary>The BPE pieces of <paramref name="text"/>, without start and end tokens.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var result = new List<string>();
        foreach (Match m in Pattern().Matches(Clean(text)))
        {
            if (m.Value is StartToken or EndToken)
            {
                result.Add(m.Value);
                continue;
            }

            var mapped = string.Concat(Encoding.UTF8.GetBytes(m.Value).Select(b => ByteToUnicode[b]));
            result.AddRange(Bpe(mapped));
        }

        return result;
    }

    /// <summary>The pre-tokenized words of <paramref name="text"/> (cleaned, split with CLIP's pattern, bytes mapped to characters), before BPE.</summary>
    internal static IEnumerable<string> PreTokenize(string text)
    {
        foreach (Match m in Pattern().Matches(Clean(text)))
        {
            if (m.Value is not (StartToken or EndToken))
            {
                yield return string.Concat(Encoding.UTF8.GetBytes(m.Value).Select(b => ByteToUnicode[b]));
            }
        }
    }

    /// <summary>The 256 byte characters of GPT-2's bytes_to_unicode, in byte order (the first entries of a CLIP vocabulary).</summary>
    internal static IReadOnlyList<string> ByteCharacters => ByteToUnicode;

    /// <summary>Token ids without start, end or padding; pieces missing from the vocabulary become the end id.</summary>
    public int[] EncodeRaw(string text) => Tokenize(text).Select(t => _vocab.TryGetValue(t, out var id) ? id : EndId).ToArray();

    /// <summary>
    /// [start] + ids + [end], truncated to <see cref="ContextLength"/> with the end token kept last, padded with
    /// <see cref="PadId"/>: (ContextLength).
    /// </summary>
    public int[] Encode(string text)
    {
        var ids = EncodeRaw(text);
        var result = new int[ContextLength];
        Array.Fill(result, PadId);
        result[0] = StartId;
        int n = Math.Min(ids.Length, ContextLength - 2);
        Array.Copy(ids, 0, result, 1, n);
        result[n + 1] = EndId;
        return result;
    }

    /// <summary>Encodes a batch: (B, ContextLength) row-major.</summary>
    public int[] EncodeBatch(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new int[texts.Count * ContextLength];
        for (int i = 0; i < texts.Count; i++)
        {
            Encode(texts[i]).CopyTo(result, i * ContextLength);
        }

        return result;
    }

    /// <summary>Ids back to text: byte symbols decoded as UTF-8, "&lt;/w&gt;" as a space, special tokens dropped.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var reverse = _vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        var unicodeToByte = new Dictionary<char, byte>();
        for (int b = 0; b < 256; b++)
        {
            unicodeToByte[ByteToUnicode[b][0]] = (byte)b;
        }

        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id == StartId || id == EndId || id == PadId || !reverse.TryGetValue(id, out var tok))
            {
                continue;
            }

            var end = tok.EndsWith("</w>", StringComparison.Ordinal);
            foreach (var ch in end ? tok[..^4] : tok)
            {
                if (unicodeToByte.TryGetValue(ch, out var b))
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

    private string[] Bpe(string token)
    {
        if (_cache.TryGetValue(token, out var cached))
        {
            return cached;
        }

        // Symbols: one per character, "</w>" glued to the last.
        var word = new List<string>(token.Length);
        for (int i = 0; i < token.Length; i++)
        {
            word.Add(i == token.Length - 1 ? token[i] + "</w>" : token[i].ToString());
        }

        while (word.Count > 1)
        {
            int bestRank = int.MaxValue, bestAt = -1;
            for (int i = 0; i < word.Count - 1; i++)
            {
                if (_ranks.TryGetValue((word[i], word[i + 1]), out var r) && r < bestRank)
                {
                    bestRank = r;
                    bestAt = i;
                }
            }

            if (bestAt < 0)
            {
                break;
            }

            // Merge every occurrence of the best pair, left to right (as the reference implementation does).
            var (left, right) = (word[bestAt], word[bestAt + 1]);
            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count;)
            {
                if (i < word.Count - 1 && word[i] == left && word[i + 1] == right)
                {
                    merged.Add(left + right);
                    i += 2;
                }
                else
                {
                    merged.Add(word[i]);
                    i++;
                }
            }

            word = merged;
        }

        var result = word.ToArray();
        _cache[token] = result;
        return result;
    }

    /// <summary>GPT-2's reversible byte → printable character map: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards.</summary>
    private static string[] BuildByteToUnicode()
    {
        var map = new string[256];
        var printable = new List<int>();
        printable.AddRange(Enumerable.Range('!', '~' - '!' + 1));
        printable.AddRange(Enumerable.Range('¡', '¬' - '¡' + 1));
        printable.AddRange(Enumerable.Range('®', 'ÿ' - '®' + 1));
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            map[b] = printable.Contains(b) ? ((char)b).ToString() : ((char)(256 + n++)).ToString();
        }

        return map;
    }

    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
