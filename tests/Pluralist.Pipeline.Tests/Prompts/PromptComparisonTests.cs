using Pluralist.Core.Model;
using Pluralist.Core.Prompts;
using Pluralist.Pipeline.Prompts;

namespace Pluralist.Pipeline.Tests.Prompts;

public class PromptComparisonTests
{
    [Fact]
    public void Statistics_per_source_match_hand_counts()
    {
        var set = new PromptSet();
        set.Add("a park with trees", "en", PromptSource.Human);
        set.Add("a park with benches", "en", PromptSource.Human);
        set.Add("a plaza with dogs at night", "en", PromptSource.Template);

        var stats = PromptComparison.Compare(set);
        Assert.Equal([PromptSource.Human, PromptSource.Template], stats.Select(s => s.Source));
        var human = stats[0];
        Assert.Equal(2, human.Count);
        Assert.Equal(4, human.MeanWords);
        Assert.Equal(5 / 8.0, human.Distinct1); // a, park, with, trees, benches of 8 words
        Assert.Equal(4 / 6.0, human.Distinct2); // "a park", "park with", "with trees", "with benches"
        Assert.Equal(1 - 3 / 5.0, human.NoveltyVsHuman); // each shares 3 of 5 distinct words with the other
        Assert.Equal(1, human.ConceptCoverage[Concepts.Typologies]);
        Assert.Equal(0.5, human.ConceptCoverage[Concepts.Nature]);
        Assert.Equal(0.5, human.ConceptCoverage[Concepts.Amenities]);

        var template = stats[1];
        Assert.Equal(1 - 2 / 8.0, template.NoveltyVsHuman); // {a, with} shared of 8 distinct words with either human prompt
        Assert.Equal(1, template.ConceptCoverage[Concepts.Animals]);
        Assert.Equal(1, template.ConceptCoverage[Concepts.TimesAndSeasons]);

        var csv = new StringWriter();
        PromptComparison.WriteCsv(stats, csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("source,language,count,mean_words,distinct_1,distinct_2,novelty_vs_human,coverage_typologies,", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("template,en,1,6,1,1,0.75,1,", lines[2], StringComparison.Ordinal);
    }
}
