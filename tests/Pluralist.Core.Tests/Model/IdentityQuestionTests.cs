using Pluralist.Core.Assignments;
using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Model;

public class IdentityQuestionTests
{
    private static IdentityQuestion Languages() => new()
    {
        Key = "languages",
        Text = LocalizedText.Of("Languages", "Langues"),
        Kind = IdentityQuestionKind.MultipleChoice,
        Options = [IdentityOption.Of("fr", "French", "Français"), IdentityOption.Of("en", "English", "Anglais"), IdentityOption.Of("other", "Other", "Autre")],
        Consent = IdentityPresets.DefaultConsent(),
    };

    private static IdentityQuestion Age() => IdentityPresets.Dive()[1];

    [Fact]
    public void A_choice_answer_is_coded_by_its_option_whether_stored_as_code_or_label()
    {
        var q = IdentityPresets.Livs()[0];
        Assert.Equal("18-24", IdentityGroupCoder.Code(q, "18-24", false));
        Assert.Equal("18-24", IdentityGroupCoder.Code(q, "18–24", false)); // the en dash the participant app has stored
        Assert.Equal("75+", IdentityGroupCoder.Code(q, " 75+ ", false));
        Assert.Equal("woman", IdentityGroupCoder.Code(IdentityPresets.Dive()[0], "Femme", false));
    }

    [Fact]
    public void Prefer_not_to_say_and_empty_answers_have_no_group()
    {
        var q = IdentityPresets.Livs()[0];
        Assert.Null(IdentityGroupCoder.Code(q, "18-24", preferNotToSay: true));
        Assert.Null(IdentityGroupCoder.Code(q, "  ", false));
        Assert.Null(IdentityGroupCoder.Code(q, (IdentityAnswer?)null));
    }

    [Fact]
    public void The_coding_table_wins_and_an_uncoded_text_keeps_its_own_group()
    {
        var gender = IdentityPresets.Livs()[1];
        var table = new IdentityCodingTable([new IdentityCoding { QuestionKey = "gender", Answer = "female", Code = "woman" }]);
        Assert.Equal("woman", IdentityGroupCoder.Code(gender, "  FEMALE ", false, table));
        Assert.Equal("Agender", IdentityGroupCoder.Code(gender, " Agender", false, table));
        // An answer stored before the question had these options keeps its text, unless coded.
        var age = IdentityPresets.Livs()[0];
        Assert.Equal("30-49", IdentityGroupCoder.Code(age, "30-49", false));
        var ageTable = new IdentityCodingTable([new IdentityCoding { QuestionKey = "age-band", Answer = "30-49", Code = "35-44" }]);
        Assert.Equal("35-44", IdentityGroupCoder.Code(age, "30-49", false, ageTable));
        // A table entry of another question does not apply.
        Assert.Equal("female", IdentityGroupCoder.Code(IdentityQuestion.FreeText("other"), "female", false, table));
    }

    [Fact]
    public void Numbers_fall_in_their_band_or_in_none()
    {
        var age = Age();
        Assert.Equal("genz", IdentityGroupCoder.Code(age, "18", false));
        Assert.Equal("genz", IdentityGroupCoder.Code(age, "28", false));
        Assert.Equal("millennial", IdentityGroupCoder.Code(age, "29", false));
        Assert.Equal("genx-plus", IdentityGroupCoder.Code(age, "90", false));
        Assert.Null(IdentityGroupCoder.Code(age, "17", false));
        age.Bands.Clear();
        Assert.Equal("41.5", IdentityGroupCoder.Code(age, "041.50", false));
        var year = new IdentityQuestion { Key = "born", Kind = IdentityQuestionKind.Year, Bands = [NumberBand.Of("before-1980", null, 1979), NumberBand.Of("from-1980", 1980, null)] };
        Assert.Equal("before-1980", IdentityGroupCoder.Code(year, "1979", false));
        Assert.Equal("from-1980", IdentityGroupCoder.Code(year, "2001", false));
    }

    [Fact]
    public void Multiple_choices_make_one_group_in_option_order()
    {
        var q = Languages();
        Assert.Equal("fr&en", IdentityGroupCoder.Code(q, "en;fr", false));
        Assert.Equal("fr&en", IdentityGroupCoder.Code(q, "English; fr ;en", false));
        Assert.Equal("en", IdentityGroupCoder.Code(q, "en", false));
    }

    [Fact]
    public void Answers_are_checked_and_given_their_stored_form()
    {
        var age = Age();
        Assert.Equal("34", IdentityValidation.CheckAnswer(age, " 34 ", false).Value);
        var young = IdentityValidation.CheckAnswer(age, "12", false);
        Assert.Equal([new IdentityProblem("age", "value", "12 is outside 18..120")], young.Problems);
        Assert.Null(young.Value);
        Assert.Equal("value", IdentityValidation.CheckAnswer(age, "thirty", false).Problems.Single().Field);

        var ethnicity = IdentityPresets.Dive()[2];
        Assert.Equal("white", IdentityValidation.CheckAnswer(ethnicity, "Blanche", false).Value);
        var bad = IdentityValidation.CheckAnswer(ethnicity, "martian", false).Problems.Single();
        Assert.Equal(("ethnicity", "value"), (bad.QuestionKey, bad.Field));
        Assert.Contains("asian, black, latine, multiracial, white", bad.Message, StringComparison.Ordinal);

        Assert.Equal("fr;other", IdentityValidation.CheckAnswer(Languages(), "other;Français", false).Value);
        Assert.Single(IdentityValidation.CheckAnswer(Languages(), "fr;klingon", false).Problems);

        var year = new IdentityQuestion { Key = "born", Kind = IdentityQuestionKind.Year, Max = 2008 };
        Assert.Equal("1990", IdentityValidation.CheckAnswer(year, "1990", false).Value);
        Assert.False(IdentityValidation.CheckAnswer(year, "2010", false).IsValid);
        Assert.False(IdentityValidation.CheckAnswer(year, "1850", false).IsValid);
        Assert.False(IdentityValidation.CheckAnswer(year, "90", false).IsValid);

        var free = IdentityPresets.Livs()[3];
        Assert.Equal("Québécoise", IdentityValidation.CheckAnswer(free, "  Québécoise ", false).Value);
        Assert.False(IdentityValidation.CheckAnswer(free, new string('x', IdentityQuestion.MaxLength + 1), false).IsValid);
        Assert.False(IdentityValidation.CheckAnswer(free, "two\nlines", false).IsValid);
        Assert.Equal("value", IdentityValidation.CheckAnswer(free, " ", false).Problems.Single().Field);
    }

    [Fact]
    public void Prefer_not_to_say_is_accepted_only_where_offered()
    {
        var q = Age();
        var ok = IdentityValidation.CheckAnswer(q, "34", preferNotToSay: true);
        Assert.True(ok.IsValid);
        Assert.Null(ok.Value);
        q.PreferNotToSay = false;
        Assert.Equal("preferNotToSay", IdentityValidation.CheckAnswer(q, null, true).Problems.Single().Field);
    }

    [Fact]
    public void Question_definitions_are_checked_with_located_problems()
    {
        var broken = new IdentityQuestion
        {
            Key = "Age Band",
            Kind = IdentityQuestionKind.SingleChoice,
            Options = [IdentityOption.Of("a/b", "A", "A"), IdentityOption.Of("x", "", "")],
            Bands = [NumberBand.Of("y", 1, 2)],
        };
        var numeric = new IdentityQuestion
        {
            Key = "age",
            Text = LocalizedText.Of("Age", "Âge"),
            Consent = IdentityPresets.DefaultConsent(),
            Kind = IdentityQuestionKind.Number,
            Min = 50,
            Max = 10,
            Bands = [NumberBand.Of("young", 0, 30), NumberBand.Of("mid", 30, 60), NumberBand.Of("young", 61, null), NumberBand.Of("none", null, null)],
        };
        var paths = IdentityValidation.CheckQuestions([broken, numeric, numeric.Clone()]).Select(p => p.Path).ToList();
        Assert.Equal(
            ["[0].key", "[0].text", "[0].consent", "[0].options[0].code", "[0].options[1].label", "[0].bands",
             "[1].max", "[1].bands[1]", "[1].bands[2].code", "[1].bands[3]",
             "[2].key", "[2].max", "[2].bands[1]", "[2].bands[2].code", "[2].bands[3]"],
            paths);
        Assert.Empty(IdentityValidation.CheckQuestions(IdentityPresets.Livs()));
        Assert.Empty(IdentityValidation.CheckQuestions(IdentityPresets.Dive()));
    }

    [Fact]
    public void The_livs_preset_keeps_the_wording_and_bands_the_app_has_shown()
    {
        var livs = IdentityPresets.Livs();
        Assert.Equal(Defaults.IdentityMarkers, livs.Select(q => q.Key));
        Assert.Equal(["18–24", "25–34", "35–44", "45–54", "55–64", "65–74", "75+"], livs[0].Options.Select(o => o.Label.Get("fr")));
        Assert.Equal(("Age group", "Tranche d'âge"), (livs[0].Text.Get("en"), livs[0].Text.Get("fr")));
        Assert.Equal(("Your neighbourhood", "Votre quartier"), (livs[5].Text.Get("en"), livs[5].Text.Get("fr")));
        Assert.All(livs, q => Assert.Equal("J'accepte que cette réponse soit conservée", q.Consent.Get("fr")));
        Assert.Equal(IdentityPresets.Livs().Select(q => q.Key), Defaults.LivsStudy(DateTimeOffset.UnixEpoch).IdentityQuestions.Select(q => q.Key));
    }

    [Fact]
    public void The_dive_preset_makes_thirty_groups_and_takes_other_bands()
    {
        var dive = IdentityPresets.Dive();
        var quotas = IdentityPresets.QuotasOver(dive, perGroup: 5);
        var groups = QuotaPicker.ListedGroups(quotas);
        Assert.Equal(30, groups.Count);
        Assert.Contains("woman/genz/black", groups);

        var custom = IdentityPresets.Dive(new DiveOptions { AgeBands = [NumberBand.Of("young", 18, 34), NumberBand.Of("old", 35, null)] });
        Assert.Equal(20, QuotaPicker.ListedGroups(IdentityPresets.QuotasOver(custom, 5)).Count);
        Assert.Equal("old", IdentityGroupCoder.Code(custom[1], "35", false));
        Assert.Null(IdentityPresets.ByName("nope"));
        Assert.Equal(3, IdentityPresets.ByName(" DIVE ")!.Count);
    }

    [Fact]
    public void The_dive_likert_preset_has_the_two_harm_questions_and_violation_types()
    {
        var (questions, categories) = LikertPresets.ByName("dive")!.Value;
        Assert.Equal(["harm-self", "harm-others"], questions.Select(q => q.Key));
        Assert.Equal(["bias", "violent", "explicit", "hateful", "other"], categories.Select(c => c.Key));
        Assert.All(categories, c => Assert.False(string.IsNullOrEmpty(c.Text.Get("fr"))));
        Assert.Null(LikertPresets.ByName("other"));
    }

    [Theory]
    [InlineData("age-band", IdentityQuestionKind.SingleChoice)]
    [InlineData("gender", IdentityQuestionKind.SingleChoice)]
    [InlineData("neighbourhood", IdentityQuestionKind.FreeText)]
    [InlineData("shoe-size", IdentityQuestionKind.FreeText)]
    [InlineData("", IdentityQuestionKind.FreeText)]
    [InlineData(null, IdentityQuestionKind.FreeText)]
    [InlineData("<script>", IdentityQuestionKind.FreeText)]
    public void QuestionFor_resolves_every_key_without_throwing(string? key, IdentityQuestionKind kind)
    {
        var study = new Study { IdentityQuestions = [IdentityPresets.Dive()[0]] };
        var q = study.QuestionFor(key);
        Assert.Equal(kind, q.Kind);
        Assert.Equal(key ?? "", q.Key);
        Assert.False(string.IsNullOrEmpty(q.Consent.Get("en")));
        Assert.NotNull(q.Text.Get("fr"));
    }

    [Fact]
    public void The_study_question_wins_over_the_preset_and_asked_questions_follow_the_markers()
    {
        var study = new Study { IdentityMarkers = ["gender", "age-band", "pets"] };
        Assert.Equal(IdentityQuestionKind.FreeText, study.QuestionFor("gender").Kind);
        study.IdentityQuestions = [IdentityPresets.Dive()[0]];
        Assert.Equal(IdentityQuestionKind.SingleChoice, study.QuestionFor("gender").Kind);
        Assert.Equal(["gender", "age-band", "pets"], study.AskedQuestions().Select(q => q.Key));

        study.UseIdentityQuestions(IdentityPresets.Dive());
        Assert.Equal(["gender", "age", "ethnicity"], study.IdentityMarkers);
        Assert.Equal("millennial", IdentityGroupCoder.Code(study, new IdentityAnswer { Marker = "age", Value = "30" }));
    }

    [Fact]
    public void Quotas_code_answers_and_refuse_values_no_question_gives()
    {
        var study = new Study();
        study.UseIdentityQuestions(IdentityPresets.Dive());
        var quotas = IdentityPresets.QuotasOver(study.IdentityQuestions, 3);
        var answers = new Dictionary<string, IdentityAnswer>
        {
            ["gender"] = new() { Marker = "gender", Value = "woman" },
            ["age"] = new() { Marker = "age", Value = "52" },
            ["ethnicity"] = new() { Marker = "ethnicity", Value = "asian" },
        };
        Assert.Equal("woman/genx-plus/asian", QuotaPicker.GroupOf(quotas, study, answers, null));
        answers["age"] = new() { Marker = "age", Value = "52", PreferNotToSay = true };
        Assert.Equal(QuotaPicker.Unstratified, QuotaPicker.GroupOf(quotas, study, answers, null));

        Assert.Empty(QuotaPicker.Problems(quotas, study));
        quotas.Dimensions[1].Values = ["18-29", "30-49", "50+"];
        var problem = QuotaPicker.Problems(quotas, study).Single();
        Assert.Equal("dimensions[1].values", problem.Field);
        Assert.Contains("'18-29', '30-49', '50+' are not groups of 'age' (genz, millennial, genx-plus)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_number_answers_a_question_of_any_numeric_shape()
    {
        Assert.Equal("25-34", IdentityGroupCoder.AnswerFromNumber(IdentityPresets.Livs()[0], 30, 2026));
        Assert.Equal("75+", IdentityGroupCoder.AnswerFromNumber(IdentityPresets.Livs()[0], 80, 2026));
        Assert.Null(IdentityGroupCoder.AnswerFromNumber(IdentityPresets.Livs()[0], 16, 2026));
        Assert.Equal("30", IdentityGroupCoder.AnswerFromNumber(Age(), 30, 2026));
        Assert.Equal("1996", IdentityGroupCoder.AnswerFromNumber(new IdentityQuestion { Key = "born", Kind = IdentityQuestionKind.Year }, 30, 2026));
        Assert.Null(IdentityGroupCoder.AnswerFromNumber(IdentityQuestion.FreeText("x"), 30, 2026));
    }
}
