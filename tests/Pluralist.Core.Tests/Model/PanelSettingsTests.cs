using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Model;

public class PanelSettingsTests
{
    private static PanelSettings Prolific() => new()
    {
        ParticipantParameter = "PROLIFIC_PID",
        OtherParameters = ["STUDY_ID", "SESSION_ID"],
        Exits =
        {
            [PanelOutcome.Completed] = new PanelExit { Code = "C7Q2", RedirectUrl = "https://app.prolific.com/submissions/complete?cc=C7Q2" },
            [PanelOutcome.ScreenedOut] = new PanelExit { Code = "SCREENED" },
        },
    };

    [Fact]
    public void Prolific_style_settings_are_valid()
    {
        Assert.Empty(Prolific().Problems());
        Assert.Equal(["PROLIFIC_PID", "STUDY_ID", "SESSION_ID"], Prolific().Parameters);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("//evil.example/complete")]
    [InlineData("/local/path")]
    [InlineData("ftp://example.org/x")]
    [InlineData("https://user:pw@example.org/x")]
    [InlineData("https://example.org/a b")]
    public void A_redirect_that_is_not_an_absolute_http_url_is_refused_with_its_field(string url)
    {
        var settings = Prolific();
        settings.Exits[PanelOutcome.Withdrawn] = new PanelExit { RedirectUrl = url };
        var problem = Assert.Single(settings.Problems());
        Assert.Equal("exits.withdrawn.redirectUrl", problem.Field);
    }

    [Fact]
    public void Parameter_names_codes_and_empty_exits_are_checked()
    {
        var settings = Prolific();
        settings.OtherParameters = ["study id", "prolific_pid"];
        settings.Exits[PanelOutcome.NoWorkLeft] = new PanelExit();
        settings.Exits[PanelOutcome.Completed].Code = "C<1>";
        var fields = settings.Problems().Select(p => p.Field).ToList();
        Assert.Equal(["parameters[0]", "parameters[1]", "exits.completed.code", "exits.no-work"], fields);
        Assert.NotEmpty(new PanelSettings().Problems());
    }

    [Theory]
    [InlineData("5f7a9c0e1b2d3e4f5a6b7c8d", null)]
    [InlineData("A1B2-C3.d_4", null)]
    [InlineData("", "is missing")]
    [InlineData("id with space", "may hold only ASCII letters, digits, '_', '-' and '.'")]
    [InlineData("<script>", "may hold only ASCII letters, digits, '_', '-' and '.'")]
    public void Panel_ids_are_short_and_plain(string value, string? problem) =>
        Assert.Equal(problem, PanelSettings.IdProblem(value));

    [Fact]
    public void A_panel_id_longer_than_64_characters_is_refused() =>
        Assert.NotNull(PanelSettings.IdProblem(new string('a', 65)));

    [Fact]
    public void Outcome_tokens_round_trip()
    {
        foreach (var o in Enum.GetValues<PanelOutcome>())
        {
            Assert.True(PanelSettings.TryParseOutcome(PanelSettings.OutcomeToken(o), out var back));
            Assert.Equal(o, back);
        }

        Assert.False(PanelSettings.TryParseOutcome("done", out _));
    }
}
