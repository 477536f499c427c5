using System.Reflection;
using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Model;

public class StudySettingsTests
{
    // What CopySettingsFrom leaves to its callers; every other property of Study is a setting it must copy.
    private static readonly string[] NotSettings =
        [nameof(Study.Id), nameof(Study.Key), nameof(Study.Title), nameof(Study.Description), nameof(Study.CreatedAt),
         nameof(Study.Criteria), nameof(Study.Batches), nameof(Study.ConsentDocuments)];

    private static Study Source() => new()
    {
        TaskType = TaskType.Both,
        CriteriaPerPair = 2,
        SliderSteps = 7,
        ShowPrompt = false,
        RequireEmail = true,
        SessionCap = 40,
        BreakMinutes = 3,
        AttentionCheckRate = 0.05,
        GoldRate = 0.1,
        WithdrawalPolicy = WithdrawalPolicy.DeleteAnnotations,
        MinGroupSize = 8,
        IdentityMarkers = ["age-band", "gender"],
        IdentityQuestions = [.. IdentityPresets.Dive()],
        GroupQuotas = new GroupQuotas { Dimensions = [new QuotaDimension { Marker = "gender", Values = ["woman", "man"] }], PerGroup = 12, Unstratified = 3 },
        LikertQuestions = [LikertItem.Of("harm", "Is it harmful?", "Est-ce nuisible ?")],
        LikertCategories = [LikertItem.Of("stereotype", "Stereotype", "Stéréotype")],
        Protocol = LocalizedText.Of("Judge the space, not the people.", "Jugez l'espace, pas les personnes."),
        Contact = "Dr. A. Researcher, livs@example.org",
        Panel = new PanelSettings
        {
            ParticipantParameter = "PROLIFIC_PID",
            OtherParameters = ["STUDY_ID", "SESSION_ID"],
            Exits = { [PanelOutcome.Completed] = new PanelExit { Code = "C1ABC", RedirectUrl = "https://app.prolific.com/submissions/complete?cc=C1ABC" } },
        },
    };

    [Fact]
    public void Every_setting_is_copied()
    {
        var source = Source();
        var copy = new Study();
        copy.CopySettingsFrom(source);

        var settings = typeof(Study).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && !NotSettings.Contains(p.Name)).ToList();
        Assert.Equal(19, settings.Count);
        foreach (var p in settings)
        {
            var expected = p.GetValue(source);
            var actual = p.GetValue(copy);
            // A setting left at its default would pass unnoticed: the source sets each one away from it.
            Assert.NotEqual(Describe(p.GetValue(new Study())), Describe(expected));
            Assert.True(Describe(expected) == Describe(actual), $"{p.Name}: expected {Describe(expected)}, copied {Describe(actual)}");
        }
    }

    [Fact]
    public void The_copy_shares_nothing_with_its_source()
    {
        var source = Source();
        var copy = new Study();
        copy.CopySettingsFrom(source);

        copy.IdentityMarkers.Add("language");
        copy.GroupQuotas!.Dimensions[0].Values.Add("non-binary");
        copy.LikertQuestions[0].Text = LocalizedText.Of("changed", "changé");
        copy.LikertCategories.Clear();
        copy.IdentityQuestions[0].Options[0].Label = LocalizedText.Of("changed", "changé");
        copy.IdentityQuestions[1].Bands[0].Max = 99;

        Assert.Equal(["age-band", "gender"], source.IdentityMarkers);
        Assert.Equal(["woman", "man"], source.GroupQuotas!.Dimensions[0].Values);
        Assert.Equal("Is it harmful?", source.LikertQuestions[0].Text.Get("en"));
        Assert.Single(source.LikertCategories);
        Assert.Equal("Woman", source.IdentityQuestions[0].Options[0].Label.Get("en"));
        Assert.Equal(28, source.IdentityQuestions[1].Bands[0].Max);

        copy.Protocol["en"] = "changed";
        copy.Panel!.OtherParameters.Add("X");
        copy.Panel.Exits[PanelOutcome.Completed].Code = "OTHER";
        Assert.Equal("Judge the space, not the people.", source.Protocol.Get("en"));
        Assert.Equal(["STUDY_ID", "SESSION_ID"], source.Panel!.OtherParameters);
        Assert.Equal("C1ABC", source.Panel.Exits[PanelOutcome.Completed].Code);
    }

    [Fact]
    public void Ids_keys_texts_criteria_batches_and_consent_are_left_to_the_caller()
    {
        var source = Source();
        source.Id = 7;
        source.Key = "riverside";
        source.Title = LocalizedText.Of("The riverside", "Le bord de l'eau");
        source.Criteria.Add(new Criterion { Key = "safety" });
        var copy = new Study { Key = "copy" };
        copy.CopySettingsFrom(source);

        Assert.Equal(0, copy.Id);
        Assert.Equal("copy", copy.Key);
        Assert.Empty(copy.Criteria);
        Assert.Empty(copy.Title.Get("en"));
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        GroupQuotas q => $"{string.Join(";", q.Dimensions.Select(d => d.Marker + "=" + string.Join(",", d.Values)))}/{q.PerGroup}/{q.Unstratified}",
        IEnumerable<IdentityQuestion> questions => string.Join(";", questions.Select(q =>
            $"{q.Key}:{q.Kind}:{q.Text.Get("en")}|{q.Text.Get("fr")}:{string.Join(",", q.Options.Select(o => o.Code + "=" + o.Label.Get("en")))}:{string.Join(",", q.Bands.Select(b => $"{b.Code}={b.Min}..{b.Max}"))}:{q.Min}..{q.Max}:{q.PreferNotToSay}:{q.Consent.Get("en")}")),
        LocalizedText text => text.Get("en") + "|" + text.Get("fr"),
        IEnumerable<LikertItem> items => string.Join(";", items.Select(i => i.Key + ":" + i.Text.Get("en") + "|" + i.Text.Get("fr"))),
        IEnumerable<string> strings => string.Join(";", strings),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
