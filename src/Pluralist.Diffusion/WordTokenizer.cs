using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pluralist.Diffusion;

/// <summary>
/// Word-level tokenizer for English and French prompts, with its vocabulary as data.
/// Normalisation: Unicode NFC, lower case (invariant culture), typographic apostrophes to '.
/// Splitting: a word is a run of letters and digits, hyphens inside a word kept (après-midi, centre-ville);
/// an elided article or pronoun keeps its apostrophe (l'eau -> "l'", "eau"); other punctuation is dropped.
/// Ids: 0 &lt;pad&gt;, 1 &lt;bos&gt;, 2 &lt;eos&gt;, 3 &lt;unk&gt;, then the vocabulary in file order.
/// A sequence is &lt;bos&gt; words... &lt;eos&gt; &lt;pad&gt;..., truncated to keep &lt;eos&gt;. The empty prompt
/// (&lt;bos&gt; &lt;eos&gt;) is the unconditional input of classifier-free guidance.
/// </summary>
public sealed class WordTokenizer
{
    public const int Pad = 0;
    public const int Bos = 1;
    public const int Eos = 2;
    public const int Unk = 3;
    private const int Specials = 4;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Builds the tokenizer from a word list (normalised; duplicates after normalisation are ignored).</summary>
    public WordTokenizer(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var list = new List<string> { "<pad>", "<bos>", "<eos>", "<unk>" };
        foreach (var w in words)
        {
            var n = Normalize(w).Trim();
            if (n.Length == 0 || _ids.ContainsKey(n))
            {
                continue;
            }

            _ids[n] = list.Count;
            list.Add(n);
        }

        Tokens = list;
    }

    /// <summary>Every token by id, the four special tokens first.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Vocabulary size including special tokens.</summary>
    public int VocabularySize => Tokens.Count;

    /// <summary>The built-in English and French public-space vocabulary (Resources/default-vocab.json).</summary>
    public static WordTokenizer Default()
    {
        using var s = typeof(WordTokenizer).Assembly.GetManifestResourceStream("Pluralist.Diffusion.default-vocab.json")
            ?? throw new InvalidOperationException("default vocabulary resource missing");
        using var r = new StreamReader(s, Encoding.UTF8);
        return FromJson(r.ReadToEnd());
    }

    /// <summary>Reads a vocabulary: either a JSON array of words or an object with a "tokens" array.</summary>
    public static WordTokenizer FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var arr = root.ValueKind == JsonValueKind.Array ? root
            : root.TryGetProperty("tokens", out var t) && t.ValueKind == JsonValueKind.Array ? t
            : throw new FormatException("vocabulary JSON must be an array of words or an object with a \"tokens\" array");
        var words = new List<string>();
        int i = 0;
        foreach (var e in arr.EnumerateArray())
        {
            words.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new FormatException($"tokens[{i}] is not a string"));
            i++;
        }

        return new WordTokenizer(words);
    }

    /// <summary>Reads a vocabulary file (see <see cref="FromJson"/>).</summary>
    public static WordTokenizer Load(string path) => FromJson(File.ReadAllText(path, Encoding.UTF8));

    /// <summary>The vocabulary (without special tokens) as JSON {"tokens": [...]}.</summary>
    public string ToJson() => JsonSerializer.Serialize(new { tokens = Tokens.Skip(Specials) });

    /// <summary>NFC, lower case, ’ and ʼ to '.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Normalize(NormalizationForm.FormC).ToLower(CultureInfo.InvariantCulture).Replace('\u2019', '\'').Replace('\u02BC', '\'');
    }

    /// <summary>Splits normalised text into words (see the class remarks).</summary>
    public static List<string> Split(string text)
    {
        var s = Normalize(text);
        var words = new List<string>();
        var cur = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                cur.Append(c);
            }
            else if (c == '-' && cur.Length > 0 && i + 1 < s.Length && char.IsLetterOrDigit(s[i + 1]))
            {
                cur.Append(c);
            }
            else if (c == '\'' && cur.Length > 0 && i + 1 < s.Length && char.IsLetter(s[i + 1]))
            {
                cur.Append(c);
                words.Add(cur.ToString());
                cur.Clear();
            }
            else if (cur.Length > 0)
            {
                words.Add(cur.ToString());
                cur.Clear();
            }
        }

        if (cur.Length > 0)
        {
            words.Add(cur.ToString());
        }

        return words;
    }

    /// <summary>Id of a word (&lt;unk&gt; when unknown).</summary>
    public int Id(string word) => _ids.TryGetValue(Normalize(word), out var id) ? id : Unk;

    /// <summary>Encodes one prompt to exactly <paramref name="maxLength"/> ids (&gt;= 2) and its mask (1 = token, 0 = padding).</summary>
    public (int[] Ids, float[] Mask) Encode(string text, int maxLength)
    {
        if (maxLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), "room for <bos> and <eos> needed");
        }

        var ids = new int[maxLength];
        var mask = new float[maxLength];
        int n = 0;
        ids[n] = Bos;
        mask[n++] = 1;
        foreach (var w in Split(text ?? string.Empty))
        {
            if (n == maxLength - 1)
            {
                break;
            }

            ids[n] = _ids.TryGetValue(w, out var id) ? id : Unk;
            mask[n++] = 1;
        }

        ids[n] = Eos;
        mask[n] = 1;
        return (ids, mask);
    }

    /// <summary>Encodes a batch of prompts.</summary>
    public TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = new int[texts.Count * maxLength];
        var mask = new float[texts.Count * maxLength];
        for (int b = 0; b < texts.Count; b++)
        {
            var (i, m) = Encode(texts[b], maxLength);
            i.CopyTo(ids, b * maxLength);
            m.CopyTo(mask, b * maxLength);
        }

        return new TokenBatch(ids, mask, texts.Count, maxLength);
    }

    /// <summary>Words of the ids, without padding (for debugging and tests).</summary>
    public string Decode(IEnumerable<int> ids) => string.Join(' ', (ids ?? []).Where(i => i != Pad).Select(i => i >= 0 && i < Tokens.Count ? Tokens[i] : "<unk>"));
}
