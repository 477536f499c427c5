using System.Net;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Web.Tests.Participation;

/// <summary>
/// A study's own identity questions on /consent and /about over real HTTP: each kind renders in its own form, any key
/// renders (none crashes a page), answers are checked against their question and stored in its form, and a refused post
/// stores nothing and says what is wrong on the field, in the participant's language.
/// </summary>
public sealed class IdentityQuestionPageTests
{
    private static void Configure(Study study)
    {
        study.IdentityMarkers = ["transport", "mobility-aid", "birth-year", "street-memory"];
        study.IdentityQuestions =
        [
            new IdentityQuestion
            {
                Key = "transport",
                Text = LocalizedText.Of("How do you usually get around?", "Comment vous déplacez-vous d'habitude ?"),
                Kind = IdentityQuestionKind.SingleChoice,
                Options = [IdentityOption.Of("walk", "On foot", "À pied"), IdentityOption.Of("bus", "By bus", "En bus"), IdentityOption.Of("car", "By car", "En voiture")],
                Consent = LocalizedText.Of("Keep my answer about transport", "Conserver ma réponse sur les déplacements"),
            },
            new IdentityQuestion
            {
                Key = "mobility-aid",
                Text = LocalizedText.Of("Do you use any of these?", "Utilisez-vous l'un de ces équipements ?"),
                Kind = IdentityQuestionKind.MultipleChoice,
                Options = [IdentityOption.Of("wheelchair", "A wheelchair", "Un fauteuil roulant"), IdentityOption.Of("cane", "A cane", "Une canne"), IdentityOption.Of("stroller", "A stroller", "Une poussette")],
                PreferNotToSay = false,
                Consent = IdentityPresets.DefaultConsent(),
            },
            new IdentityQuestion
            {
                Key = "birth-year",
                Text = LocalizedText.Of("Year of birth", "Année de naissance"),
                Kind = IdentityQuestionKind.Year,
                Min = 1920,
                Consent = IdentityPresets.DefaultConsent(),
            },
        ];
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string page, params (string Name, string Value)[] fields)
    {
        var html = await client.GetStringAsync(page);
        var token = new HtmlParser().ParseDocument(html).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        return await client.PostAsync(page, new FormUrlEncodedContent([new("__RequestVerificationToken", token), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]));
    }

    private static async Task<HttpClient> JoinedAsync(AppServer server, string? lang = null)
    {
        var client = server.NewClient();
        if (lang is not null)
        {
            await client.GetAsync($"/lang/{lang}?back=/");
        }

        var join = await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = server.Codes.Dequeue() });
        Assert.Equal(HttpStatusCode.Redirect, join.StatusCode);
        return client;
    }

    [Fact]
    public async Task Every_kind_renders_in_its_own_form_and_a_key_without_a_definition_does_not_crash_the_page()
    {
        await using var server = await AppServer.StartAsync(configure: Configure);
        using var client = await JoinedAsync(server);
        var response = await client.GetAsync("/consent");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var legends = doc.QuerySelectorAll("fieldset.marker > legend").Select(l => l.TextContent.Trim()).ToList();
        Assert.Equal(["How do you usually get around?", "Do you use any of these?", "Year of birth", "street-memory"], legends);
        Assert.Equal(["walk", "bus", "car"], doc.QuerySelectorAll("input[type=radio][name=value-transport]").Select(i => i.GetAttribute("value")));
        Assert.Equal(3, doc.QuerySelectorAll("input[type=checkbox][name=value-mobility-aid]").Length);
        Assert.Equal("numeric", doc.QuerySelector("#value-birth-year")!.GetAttribute("inputmode"));
        Assert.NotNull(doc.QuerySelector("input[type=text][name=value-street-memory]"));
        Assert.Contains("Keep my answer about transport", doc.Body!.TextContent, StringComparison.Ordinal);
        Assert.Null(doc.QuerySelector("input[name=prefer-not-mobility-aid]")); // the question does not offer it
        Assert.NotNull(doc.QuerySelector("input[name=prefer-not-transport]"));

        using var french = await JoinedAsync(server, "fr");
        var fr = new HtmlParser().ParseDocument(await french.GetStringAsync("/consent"));
        Assert.Equal("Comment vous déplacez-vous d'habitude ?", fr.QuerySelector("fieldset.marker > legend")!.TextContent.Trim());
        Assert.Contains("En bus", fr.Body!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_consent_text_names_the_studys_own_questions_in_each_language()
    {
        await using var server = await AppServer.StartAsync(codes: 4, configure: s =>
        {
            s.IdentityQuestions = [.. IdentityPresets.Dive()];
            s.IdentityMarkers = [.. s.IdentityQuestions.Select(q => q.Key)];
        });
        using var client = await JoinedAsync(server);
        var consent = new HtmlParser().ParseDocument(await client.GetStringAsync("/consent")).QuerySelector("section.consent")!.TextContent;
        Assert.Contains("Questions about who you are (gender, your age in years, ethnic or cultural background) are optional", consent, StringComparison.Ordinal);
        Assert.DoesNotContain("disability", consent, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Defaults.IdentityQuestionsPlaceholder, consent, StringComparison.Ordinal);

        using var french = await JoinedAsync(server, "fr");
        var fr = new HtmlParser().ParseDocument(await french.GetStringAsync("/consent")).QuerySelector("section.consent")!.TextContent;
        Assert.Contains("Les questions sur qui vous êtes (genre, votre âge en années, origine ethnique ou culturelle) sont facultatives", fr, StringComparison.Ordinal);
        Assert.DoesNotContain("handicap", fr, StringComparison.OrdinalIgnoreCase);

        // A study that asks nothing says so; a study still holding the old default text (which named LIVS's markers) reads the new one.
        await using (var db = server.Database.CreateContext())
        {
            var study = await db.Studies.Include(x => x.ConsentDocuments).SingleAsync(x => x.Key == "livs-default");
            study.IdentityMarkers = [];
            study.ConsentDocuments.Single(d => d.Language == "en").Text =
                "You are invited to compare images of public spaces. Taking part is voluntary and you can stop at any time. " +
                "We record your answers under a pseudonym. Questions about who you are (age, gender, disability, background, languages, neighbourhood) " +
                "are optional; each is stored only if you agree to it, kept apart from your answers, and erased if you withdraw. " +
                "Results are reported only for groups of several people, so that no one can be singled out.";
            await db.SaveChangesAsync();
        }

        using var none = await JoinedAsync(server);
        var asksNothing = new HtmlParser().ParseDocument(await none.GetStringAsync("/consent")).QuerySelector("section.consent")!.TextContent;
        Assert.Contains("We ask nothing about who you are.", asksNothing, StringComparison.Ordinal);
        Assert.DoesNotContain("disability", asksNothing, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_refused_answer_stores_nothing_and_a_corrected_post_stores_each_answer_in_its_question_form()
    {
        await using var server = await AppServer.StartAsync(configure: Configure);
        using var client = await JoinedAsync(server, "fr");
        (string, string)[] answers =
        [
            ("agree", "true"),
            ("consent-transport", "true"), ("value-transport", "bus"),
            ("consent-mobility-aid", "true"), ("value-mobility-aid", "stroller"), ("value-mobility-aid", "wheelchair"),
            ("consent-street-memory", "true"), ("value-street-memory", "  the old market  "),
        ];

        var refused = await PostAsync(client, "/consent", [.. answers, ("consent-birth-year", "true"), ("value-birth-year", "1875")]);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var doc = new HtmlParser().ParseDocument(await refused.Content.ReadAsStringAsync());
        Assert.Equal("#value-birth-year", doc.QuerySelector("#markers-errors a")!.GetAttribute("href"));
        Assert.StartsWith("Écrivez une année à quatre chiffres entre 1920 et", doc.QuerySelector("#error-birth-year")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("1875", doc.QuerySelector("#value-birth-year")!.GetAttribute("value")); // what was typed comes back
        Assert.NotNull(doc.QuerySelector("input[name=value-transport][value=bus][checked]"));
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(0, await db.ConsentRecords.CountAsync());
            Assert.Equal(0, await db.IdentityAnswers.CountAsync());
        }

        var accepted = await PostAsync(client, "/consent", [.. answers, ("consent-birth-year", "true"), ("value-birth-year", "1975")]);
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var stored = await db.IdentityAnswers.AsNoTracking().ToDictionaryAsync(a => a.Marker, a => a.Value);
            Assert.Equal("bus", stored["transport"]);
            Assert.Equal("wheelchair;stroller", stored["mobility-aid"]); // option order, codes
            Assert.Equal("1975", stored["birth-year"]);
            Assert.Equal("the old market", stored["street-memory"]);
        }
    }

    [Fact]
    public async Task About_refuses_an_answer_that_is_not_an_option_and_keeps_what_was_stored()
    {
        await using var server = await AppServer.StartAsync(configure: Configure);
        using var client = await JoinedAsync(server);
        var consent = await PostAsync(client, "/consent", ("agree", "true"), ("consent-transport", "true"), ("value-transport", "walk"));
        Assert.Equal(HttpStatusCode.Redirect, consent.StatusCode);

        var refused = await PostAsync(client, "/about", ("consent-transport", "true"), ("value-transport", "plane"), ("consent-birth-year", "true"), ("value-birth-year", "1980"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var doc = new HtmlParser().ParseDocument(await refused.Content.ReadAsStringAsync());
        Assert.Equal("Choose one of the answers offered, or untick the box to leave this question out.", doc.QuerySelector("#error-transport")!.TextContent.Trim());
        await using (var db = server.Database.CreateContext())
        {
            var stored = await db.IdentityAnswers.AsNoTracking().ToListAsync();
            Assert.Equal(("transport", "walk"), (stored.Single().Marker, stored.Single().Value));
        }

        // Hostile free text: too long, or carrying a line break or control character, is refused and nothing changes.
        foreach (var hostile in new[] { new string('x', IdentityQuestion.MaxLength + 1), "first line\nsecond line", "bell\u0007" })
        {
            var bad = await PostAsync(client, "/about", ("consent-transport", "true"), ("value-transport", "walk"), ("consent-street-memory", "true"), ("value-street-memory", hostile));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.NotNull(new HtmlParser().ParseDocument(await bad.Content.ReadAsStringAsync()).QuerySelector("#error-street-memory"));
        }

        await using (var db = server.Database.CreateContext())
        {
            Assert.False(await db.IdentityAnswers.AnyAsync(a => a.Marker == "street-memory"));
        }

        var saved = await PostAsync(client, "/about", ("consent-transport", "true"), ("value-transport", "car"), ("consent-mobility-aid", "false"), ("value-mobility-aid", "cane"));
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var stored = await db.IdentityAnswers.AsNoTracking().ToListAsync();
            Assert.Equal(("transport", "car"), (stored.Single().Marker, stored.Single().Value)); // the unticked answer is not kept
        }
    }
}
