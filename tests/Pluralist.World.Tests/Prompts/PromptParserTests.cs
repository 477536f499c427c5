using Pluralist.World.Imaging;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;

namespace Pluralist.World.Tests.Prompts;

public sealed class PromptParserTests
{
    /// <summary>Prompt, expected language, constraints that must be among those parsed, unknown words (| separated).</summary>
    public static TheoryData<string, string, string, string> Table => new()
    {
        {
            "a pedestrian promenade in a historic Montreal neighbourhood with green spaces and safe streets, winter evening", "en",
            "typology=pedestrian-promenade|lawn=true|trees>=3|lights>=2|graffiti=false|season=winter|timeOfDay=evening", "historic|montreal"
        },
        {
            "une promenade piétonne dans un quartier historique de Montréal avec des espaces verts et des rues sécuritaires, un soir d'hiver", "fr",
            "typology=pedestrian-promenade|lawn=true|trees>=3|lights>=2|graffiti=false|season=winter|timeOfDay=evening", "historique|montreal"
        },
        { "A schoolyard with a playground, three benches and no cars", "en", "typology=schoolyard|playArea=true|benches=3|cars<=0", "" },
        { "Une cour d'école avec une aire de jeux, trois bancs et sans voitures", "fr", "typology=schoolyard|playArea=true|benches=3|cars<=0", "" },
        { "a wheelchair accessible bus stop at night with bilingual signs and bright lighting", "en", "typology=transit-stop|access in ramp,ramp-and-stairs|kerbCuts=true|timeOfDay=night|signLanguages>=2|lights>=3", "" },
        { "un arrêt d'autobus accessible la nuit avec des panneaux bilingues et un bon éclairage", "fr", "typology=transit-stop|access in ramp,ramp-and-stairs|kerbCuts=true|timeOfDay=night|signLanguages>=2|lights>=3", "" },
        { "a dark back alley with graffiti and trash, no lights", "en", "typology=commercial-back-alley|graffiti=true|litter>=2|lights<=0", "" },
        { "une ruelle sombre avec des graffitis et des déchets", "fr", "typology=commercial-back-alley|graffiti=true|litter>=2|lights<=1", "" },
        { "riverside park in autumn with families, dogs and a fountain, foggy morning", "en", "typology=park|season=autumn|children>=1|strollers>=1|dogs>=1|fountain=true|weather=fog|timeOfDay=morning", "" },
        { "Un parc au bord de la rivière en automne avec des familles, des chiens et une fontaine, un matin de brouillard", "fr", "typology=park|season=autumn|children>=1|dogs>=1|fountain=true|weather=fog|timeOfDay=morning", "" },
        { "a plaza without stairs with a market, a sculpture and seniors", "en", "typology=plaza|access in none,ramp|marketStalls>=2|publicArt=true|seniors>=2", "" },
        { "une place publique sans escalier avec un marché, une sculpture et des aînés", "fr", "typology=plaza|access in none,ramp|publicArt=true|seniors>=2", "" },
        { "a residential street with wide sidewalks, curb cuts, tactile paving and trees in the snow", "en", "typology=residential-street|pathWidth>=0.45|kerbCuts=true|tactilePaving=true|trees>=3|weather=snow", "" },
        { "a quiet waterfront with zorbly glimmers", "en", "typology=waterfront|pedestrians<=1", "zorbly|glimmers" },
        { "a plaza with stairs, no ramp and unilingual signs", "en", "access in stairs,ramp-and-stairs|access in none,stairs|signLanguages=1", "" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Parses_the_prompt_table(string prompt, string language, string expected, string unknown)
    {
        var parsed = PromptParser.Parse(prompt);
        Assert.Equal(language, parsed.Language);
        var got = parsed.Constraints.Select(c => c.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var e in expected.Split('|'))
        {
            var want = SceneConstraint.Parse(e).ToString();
            Assert.True(got.Contains(want), $"'{prompt}': expected {want}; parsed {string.Join("; ", got)}");
        }

        Assert.Equal(unknown.Length == 0 ? [] : unknown.Split('|'), parsed.UnknownWords);
    }

    [Fact]
    public void Stop_words_are_not_reported_and_unknown_words_are_not_guessed()
    {
        var parsed = PromptParser.Parse("the a with and of in flibbertigibbet");
        Assert.Equal(["flibbertigibbet"], parsed.UnknownWords);
        Assert.Empty(parsed.Constraints);
    }

    [Fact]
    public void Lexicon_phrases_are_unique_per_language_and_effects_are_valid()
    {
        // Parsing both languages builds the phrase maps, which throw on a phrase in two entries.
        Assert.Equal("en", PromptParser.Parse("park").Language);
        Assert.Equal("fr", PromptParser.Parse("un parc avec des bancs").Language);
        Assert.All(SceneLexicon.Entries, e => Assert.Contains(e.Language, SceneLexicon.Languages));
        Assert.Contains(SceneLexicon.Entries, e => e.Language == "fr" && e.Phrases.Contains("cour d ecole"));
    }

    [Fact]
    public void Bad_constraint_text_names_the_attribute()
    {
        var e = Assert.Throws<SceneSpecException>(() => SceneConstraint.Parse("benchez>=2"));
        Assert.Contains("benchez", e.Message, StringComparison.Ordinal);
        var v = Assert.Throws<SceneSpecException>(() => SceneConstraint.Parse("benches>=9"));
        Assert.Equal("benches", v.Field);
    }

    [Fact]
    public void Captions_read_back_with_no_unknown_words_and_ask_nothing_the_scene_lacks()
    {
        var random = new Random(5);
        for (int i = 0; i < 300; i++)
        {
            var spec = SceneDistribution.Prior(random, (Typology)(i % 8)) with { Detail = random.NextDouble() };
            foreach (var lang in new[] { "en", "fr" })
            {
                string caption = SceneCaption.Describe(spec, lang);
                var parsed = PromptParser.Parse(caption);
                Assert.Equal(lang, parsed.Language);
                Assert.True(parsed.UnknownWords.Count == 0, $"{caption}: unknown {string.Join(", ", parsed.UnknownWords)}");
                foreach (var c in parsed.Constraints)
                {
                    Assert.True(c.IsSatisfiedBy(spec), $"{caption}: {c} but spec has {c.Attribute.Format(c.Attribute.Get(spec))}");
                }

                // The caption names the typology, time, season and weather exactly.
                foreach (var name in new[] { "typology", "timeOfDay", "season", "weather" })
                {
                    Assert.Contains(parsed.Constraints, c => c.Attribute.Name == name && c.Op == ConstraintOp.Equal);
                }
            }
        }
    }

    [Fact]
    public void High_guidance_honours_the_prompt_and_zero_guidance_ignores_it()
    {
        var parsed = PromptParser.Parse("a park at night with a playground and bilingual signs");
        var dist = new SceneDistribution(parsed);
        int strict = 0, loose = 0, n = 400;
        var random = new Random(1);
        for (int i = 0; i < n; i++)
        {
            strict += parsed.Constraints.All(c => c.IsSatisfiedBy(dist.Sample(random, 20, 30).Spec)) ? 1 : 0;
            loose += parsed.Constraints.All(c => c.IsSatisfiedBy(dist.Sample(random, 0, 30).Spec)) ? 1 : 0;
        }

        // p = 1 - exp(-8) per constraint: all five honoured almost always; at guidance 0 only by chance.
        Assert.True(strict > n * 0.97, $"strict {strict}/{n}");
        Assert.True(loose < n * 0.05, $"loose {loose}/{n}");
    }

    [Fact]
    public void Constraints_on_one_attribute_are_honoured_together()
    {
        // "stairs" allows stairs or ramp-and-stairs, "no ramp" allows none or stairs: only stairs satisfies both.
        var dist = new SceneDistribution(PromptParser.Parse("a plaza with stairs and no ramp"));
        var random = new Random(2);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(StepFreeAccess.Stairs, dist.Sample(random, 30, 30).Spec.Access);
        }
    }

    [Fact]
    public void The_first_place_named_is_the_typology()
    {
        var dist = new SceneDistribution(PromptParser.Parse("a bus stop on a residential street near a park"));
        var random = new Random(4);
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(Typology.TransitStop, dist.Sample(random, 30, 30).Spec.Typology));
    }

    [Fact]
    public void Steps_raise_the_level_of_detail()
    {
        Assert.True(SceneDistribution.DetailFromSteps(5) < 0.2);
        Assert.True(SceneDistribution.DetailFromSteps(100) > 0.95);
        Assert.Throws<ArgumentOutOfRangeException>(() => SceneDistribution.DetailFromSteps(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SceneDistribution.HonourProbability(-1));
    }

    [Fact]
    public void Generator_is_deterministic_and_varies_with_the_seed()
    {
        var request = new GenerationRequest("a lively plaza with a fountain on a summer noon", 7, Width: 96, Height: 64);
        var a = WorldGenerator.Generate(request);
        var b = WorldGenerator.Generate(request);
        Assert.Equal(a.Spec, b.Spec);
        Assert.Equal(Png.Encode(a.Image), Png.Encode(b.Image));
        Assert.Equal((96, 64), (a.Image.Width, a.Image.Height));
        Assert.Equal(Typology.Plaza, a.Spec.Typology);
        Assert.True(a.Spec.Fountain);
        Assert.StartsWith("A ", a.CaptionEn, StringComparison.Ordinal);
        Assert.Contains("place publique", a.CaptionFr, StringComparison.Ordinal);
        var other = Enumerable.Range(8, 5).Select(s => WorldGenerator.Generate(request with { Seed = s }).Spec);
        Assert.Contains(other, s => s != a.Spec);
    }

    [Fact]
    public void Spec_json_round_trips_and_errors_name_the_field()
    {
        var spec = Scenes.SceneRendererTests.Full;
        Assert.Equal(spec, SceneJson.Parse(SceneJson.Write(spec)));
        Assert.Contains("\"typology\": \"pedestrian-promenade\"", SceneJson.Write(spec), StringComparison.Ordinal);
        var unknown = Assert.Throws<SceneSpecException>(() => SceneJson.Parse("{\"benchs\": 2}", "a.json"));
        Assert.Contains("benchs", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("a.json", unknown.Message, StringComparison.Ordinal);
        var type = Assert.Throws<SceneSpecException>(() => SceneJson.Parse("{\n\"typology\": \"beach\"}", "a.json"));
        Assert.Equal("typology", type.Field);
        Assert.Contains("line 2", type.Message, StringComparison.Ordinal);
        var range = Assert.Throws<SceneSpecException>(() => SceneJson.Parse("{\"lights\": 7}", "a.json"));
        Assert.Equal("lights", range.Field);
        Assert.Throws<SceneSpecException>(() => SceneJson.Parse("[1, 2]", "a.json"));
    }
}
