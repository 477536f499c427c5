using System.Globalization;
using System.Text;
using Pluralist.Core.Model;
using Pluralist.Core.Prompts;

namespace Pluralist.Pipeline.Prompts;

/// <summary>Settings of template augmentation.</summary>
public sealed record TemplateOptions
{
    /// <summary>New prompts to make from each human prompt (fewer when the refills run out).</summary>
    public int VariantsPerPrompt { get; init; } = 3;

    /// <summary>Fraction of the concept words found in a prompt that are masked and refilled (at least one).</summary>
    public double MaskFraction { get; init; } = 0.5;

    public int Seed { get; init; } = 1;

    public PromptSource Source { get; init; } = PromptSource.Template;
}

/// <summary>
/// LIVS strategy 3 (template): concept words in a human prompt (<see cref="Concepts"/>) are masked and each mask is
/// refilled with another word of the same category and language. Offline and deterministic for a given seed, set and
/// options. Refills keep the original capitalisation of the first letter; articles and agreement are not adjusted
/// (in French "un parc" may become "un place publique").
/// </summary>
public static class TemplateAugmenter
{
    /// <summary>
    /// Makes template prompts from every human prompt of the set (in prompt order) and adds them with their parent
    /// as provenance; returns the prompts added (duplicates are skipped and recorded by the set).
    /// </summary>
    public static IReadOnlyList<Prompt> Augment(PromptSet set, TemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        options ??= new TemplateOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.VariantsPerPrompt, 1);
        if (options.MaskFraction is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaskFraction, "MaskFraction must be in (0, 1]");
        }

        var random = new Random(options.Seed);
        var added = new List<Prompt>();
        foreach (var parent in set.Where(PromptSource.Human).ToArray())
        {
            if (!Concepts.Supports(parent.Language))
            {
                continue;
            }

            var matches = Concepts.Find(parent.Text, parent.Language);
            if (matches.Count == 0)
            {
                continue;
            }

            int masks = Math.Max(1, (int)Math.Round(matches.Count * options.MaskFraction, MidpointRounding.AwayFromZero));
            for (int v = 0, attempts = 0; v < options.VariantsPerPrompt && attempts < options.VariantsPerPrompt * 4; attempts++)
            {
                var (text, detail) = Refill(parent.Text, parent.Language, matches, masks, random);
                if (set.AddDerived(text, parent.Language, options.Source, [parent.Id], "template", parent.ScenarioId, null, detail) is { } p)
                {
                    added.Add(p);
                    v++;
                }
            }
        }

        return added;
    }

    /// <summary>Masks <paramref name="masks"/> of the matches (chosen at random) and refills each; returns the text and a "old->new" detail.</summary>
    internal static (string Text, string Detail) Refill(string text, string language, IReadOnlyList<ConceptMatch> matches, int masks, Random random)
    {
        var order = Enumerable.Range(0, matches.Count).ToArray();
        random.Shuffle(order);
        var chosen = order.Take(Math.Min(masks, matches.Count)).Order().ToArray();
        var sb = new StringBuilder();
        var details = new List<string>();
        int pos = 0;
        foreach (var mi in chosen)
        {
            var m = matches[mi];
            var words = Concepts.Words(language, m.Category).Where(w => w != m.Word).ToArray();
            var replacement = words[random.Next(words.Length)];
            var original = text.Substring(m.Start, m.Length);
            if (char.IsUpper(original[0]))
            {
                replacement = char.ToUpper(replacement[0], CultureInfo.InvariantCulture) + replacement[1..];
            }

            sb.Append(text, pos, m.Start - pos).Append(replacement);
            pos = m.Start + m.Length;
            details.Add($"{m.Category}:{original}->{replacement}");
        }

        sb.Append(text, pos, text.Length - pos);
        return (sb.ToString(), string.Join("; ", details));
    }
}
