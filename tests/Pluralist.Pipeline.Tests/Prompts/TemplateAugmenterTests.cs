using Pluralist.Core.Model;
using Pluralist.Core.Prompts;
using Pluralist.Pipeline.Prompts;

namespace Pluralist.Pipeline.Tests.Prompts;

public class TemplateAugmenterTests
{
    [Fact]
    public void Concepts_are_found_by_longest_phrase_at_word_boundaries()
    {
        var m = Concepts.Find("A community garden with benches, parking and a dog; children in Winter", "en");
        Assert.Equal(
            [("community garden", Concepts.Typologies), ("benches", Concepts.Amenities), ("parking", Concepts.Transport), ("children", Concepts.People), ("winter", Concepts.TimesAndSeasons)],
            m.Select(x => (x.Word, x.Category)));
        // "park" inside "parking" is not a match; "dog" is not in the list ("dogs" is).
        Assert.DoesNotContain(m, x => x.Word == "park");
        var fr = Concepts.Find("Une rue piétonne avec des arbres en été", "fr");
        Assert.Equal(["rue piétonne", "arbres", "été"], fr.Select(x => x.Word));
    }

    [Fact]
    public void Every_category_has_words_in_both_languages()
    {
        foreach (var lang in Concepts.Languages)
        {
            foreach (var c in Concepts.Categories)
            {
                Assert.True(Concepts.Words(lang, c).Count >= 10, $"{lang}/{c}");
                Assert.All(Concepts.Words(lang, c), w => Assert.Equal(w.ToLowerInvariant(), w));
            }
        }

        Assert.Equal(10, Concepts.Categories.Count);
    }

    [Fact]
    public void Template_prompts_refill_masked_concepts_from_the_same_category_deterministically()
    {
        PromptSet Make()
        {
            var set = new PromptSet();
            set.Add("A park with benches and trees in summer", "en", PromptSource.Human, createdAt: DateTimeOffset.UnixEpoch);
            set.Add("Une ruelle avec des fleurs et des enfants", "fr", PromptSource.Human, createdAt: DateTimeOffset.UnixEpoch);
            set.Add("Nothing to see here", "en", PromptSource.Human, createdAt: DateTimeOffset.UnixEpoch);
            return set;
        }

        var set = Make();
        var added = TemplateAugmenter.Augment(set, new TemplateOptions { VariantsPerPrompt = 3, MaskFraction = 0.5, Seed = 5 });
        Assert.Equal(6, added.Count); // 3 per prompt with concepts, none for the prompt without
        foreach (var p in added)
        {
            Assert.Equal(PromptSource.Template, p.Source);
            var prov = set.Provenance[p.Id];
            Assert.Equal("template", prov.Strategy);
            var parent = set[Assert.Single(prov.Parents)];
            Assert.Equal(parent.Id, p.ParentPromptId);
            Assert.Equal(parent.Language, p.Language);
            Assert.NotEqual(parent.Text, p.Text);
            // The detail names each swap; both words belong to the named category of that language.
            foreach (var swap in prov.Detail!.Split("; "))
            {
                var category = swap[..swap.IndexOf(':', StringComparison.Ordinal)];
                var words = swap[(category.Length + 1)..].Split("->");
                Assert.Contains(words[0].ToLowerInvariant(), Concepts.Words(p.Language, category));
                Assert.Contains(words[1].ToLowerInvariant(), Concepts.Words(p.Language, category));
                Assert.Contains(words[1], p.Text, StringComparison.Ordinal);
            }

            // 4 concepts with mask fraction 0.5 -> 2 swaps; "ruelle", "fleurs", "enfants" -> 2 (3 * 0.5 rounded away from zero).
            Assert.Equal(2, prov.Detail.Split("; ").Length);
        }

        var again = TemplateAugmenter.Augment(Make(), new TemplateOptions { VariantsPerPrompt = 3, MaskFraction = 0.5, Seed = 5 });
        Assert.Equal(added.Select(p => p.Text), again.Select(p => p.Text));
        var other = TemplateAugmenter.Augment(Make(), new TemplateOptions { VariantsPerPrompt = 3, MaskFraction = 0.5, Seed = 6 });
        Assert.NotEqual(added.Select(p => p.Text), other.Select(p => p.Text));
    }
}
