using System.Collections;

namespace Pluralist.Core.Model;

/// <summary>
/// A text in several languages, keyed by a lower-case language tag (<c>en</c>, <c>fr</c>).
/// Lookups fall back to English, then to any language present, so a missing translation never
/// shows an empty label.
/// </summary>
public sealed class LocalizedText : IEnumerable<KeyValuePair<string, string>>, IEquatable<LocalizedText>
{
    private readonly SortedDictionary<string, string> _texts = new(StringComparer.Ordinal);

    public LocalizedText()
    {
    }

    public LocalizedText(IEnumerable<KeyValuePair<string, string>> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        foreach (var (lang, text) in texts)
        {
            this[lang] = text;
        }
    }

    public static LocalizedText Of(string en, string fr) => new() { ["en"] = en, ["fr"] = fr };

    public string this[string language]
    {
        get => _texts.TryGetValue(Normalize(language), out var text) ? text : string.Empty;
        set => _texts[Normalize(language)] = value;
    }

    public IReadOnlyCollection<string> Languages => _texts.Keys;

    public bool Has(string language) => _texts.ContainsKey(Normalize(language));

    /// <summary>The text in <paramref name="language"/>, else English, else the first language present.</summary>
    public string Get(string language)
    {
        if (_texts.TryGetValue(Normalize(language), out var text))
        {
            return text;
        }

        if (_texts.TryGetValue("en", out text))
        {
            return text;
        }

        return _texts.Values.FirstOrDefault() ?? string.Empty;
    }

    public LocalizedText Clone() => new(_texts);

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _texts.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(LocalizedText? other) =>
        other is not null && _texts.Count == other._texts.Count &&
        _texts.All(kv => other._texts.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public override bool Equals(object? obj) => Equals(obj as LocalizedText);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (k, v) in _texts)
        {
            hash.Add(k);
            hash.Add(v);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => Get("en");

    private static string Normalize(string language)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(language);
        return language.Trim().ToLowerInvariant();
    }
}
