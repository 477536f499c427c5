using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;
using Pluralist.Testing;
using Pluralist.Web.Tests.Participation;

namespace Pluralist.Web.Tests.Console;

/// <summary>DIVE-style quotas per identity group over real HTTP: assignment, races, the fill report, who may change them.</summary>
public sealed class QuotaTests
{
    private const string Password = "correct horse battery staple";

    private static GroupQuotas Genders(int perGroup, int unstratified = 0) => new()
    {
        Dimensions = [new QuotaDimension { Marker = "gender", Values = ["woman", "man"] }],
        PerGroup = perGroup,
        Unstratified = unstratified,
    };

    private static void Quotas(Study s, GroupQuotas quotas)
    {
        s.GroupQuotas = quotas;
        s.AttentionCheckRate = 0;
        s.GoldRate = 0;
    }

    private static Task<ParticipantClient> JoinAsync(AppServer server, string? gender) =>
        server.JoinAsync(form =>
        {
            if (gender is not null)
            {
                form["consent-gender"] = "true";
                form["value-gender"] = gender;
            }
        });

    /// <summary>Leaves the study with its first <paramref name="keep"/> annotation pairs only.</summary>
    private static async Task KeepPairsAsync(AppServer server, int keep)
    {
        await using var db = server.Database.CreateContext();
        var kept = await db.Pairs.Where(p => p.Kind == PairKind.Annotation).OrderBy(p => p.Id).Select(p => p.Id).Take(keep).ToListAsync();
        await db.Pairs.Where(p => !kept.Contains(p.Id)).ExecuteDeleteAsync();
    }

    [Fact]
    public Task Participants_of_one_group_racing_for_the_last_place_do_not_both_get_it_on_sqlite() => RaceAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Participants_of_one_group_racing_for_the_last_place_do_not_both_get_it_on_postgres() => RaceAsync(DatabaseProvider.Postgres);

    private static async Task RaceAsync(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 10, configure: s => Quotas(s, Genders(perGroup: 1)));
        await KeepPairsAsync(server, 1);
        var women = new List<ParticipantClient>();
        for (var i = 0; i < 6; i++)
        {
            women.Add(await JoinAsync(server, "woman"));
        }

        var man = await JoinAsync(server, "Man");
        var unconsented = await JoinAsync(server, null);

        // Six women ask for a task at the same moment: one place, one task.
        var tasks = await Task.WhenAll(women.Select(w => w.NextTaskAsync()));
        Assert.Single(tasks, t => t is not null);
        Assert.NotNull(await man.NextTaskAsync());
        Assert.Null(await unconsented.NextTaskAsync()); // outside the groups, and the remainder is 0

        await using var db = server.Database.CreateContext();
        var slots = await db.QuotaSlots.OrderBy(s => s.GroupKey).ToListAsync();
        Assert.Equal([("man", 1), ("woman", 1)], slots.Select(s => (s.GroupKey, s.Slot)));
        Assert.Equal(2, await db.Assignments.CountAsync());
    }

    [Fact]
    public Task Each_group_fills_its_quota_per_pair_exactly_and_small_groups_are_not_shown_on_sqlite() => FillAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Each_group_fills_its_quota_per_pair_exactly_and_small_groups_are_not_shown_on_postgres() => FillAsync(DatabaseProvider.Postgres);

    private static async Task FillAsync(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 10, configure: s => Quotas(s, Genders(perGroup: 2)));
        await KeepPairsAsync(server, 3);
        var people = new List<ParticipantClient>();
        foreach (var gender in new[] { "woman", "woman", "woman", "woman", "woman", "man", "man" })
        {
            people.Add(await JoinAsync(server, gender));
        }

        // Everyone answers, one task per turn, until nothing is left for anyone: the five women all hold places.
        var n = 0;
        var answering = people.ToList();
        while (answering.Count > 0)
        {
            foreach (var p in answering.ToList())
            {
                if (await p.NextTaskAsync() is { } task)
                {
                    Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, $"r-{n++}", 0.5))).StatusCode);
                }
                else
                {
                    answering.Remove(p);
                }
            }
        }

        await using (var db = server.Database.CreateContext())
        {
            var perPair = await db.Annotations.Join(db.QuotaSlots, a => new { a.PairId, a.ParticipantId }, s => new { PairId = s.ItemId, s.ParticipantId }, (a, s) => new { a.PairId, s.GroupKey })
                .GroupBy(x => new { x.PairId, x.GroupKey }).Select(g => g.Count()).ToListAsync();
            Assert.Equal(6, perPair.Count); // 3 pairs x 2 groups
            Assert.All(perPair, c => Assert.Equal(2, c));
            Assert.Equal(12, await db.Annotations.CountAsync());
        }

        // A liaison sees the fill of the group of five, not of the two men.
        var liaison = await SignInAsync(server, "liaison@example.org", Role.Liaison);
        var report = await liaison.GetFromJsonAsync<JsonElement>("/api/console/studies/livs-default/quotas");
        var group = Assert.Single(report.GetProperty("groups").EnumerateArray());
        Assert.Equal(("woman", 5, 2, 6, 6, 3), (group.GetProperty("group").GetString(), group.GetProperty("participants").GetInt32(), group.GetProperty("quota").GetInt32(),
            group.GetProperty("places").GetInt32(), group.GetProperty("answered").GetInt32(), group.GetProperty("itemsFull").GetInt32()));
        Assert.Equal((1, 2, 3, 3), (report.GetProperty("suppressedGroups").GetInt32(), report.GetProperty("suppressedParticipants").GetInt32(),
            report.GetProperty("items").GetInt32(), report.GetProperty("itemsComplete").GetInt32()));
        Assert.All(report.GetProperty("itemFills").EnumerateArray(), i => Assert.Equal(["woman"], i.GetProperty("places").EnumerateObject().Select(p => p.Name)));
        // Two women per pair: below the minimum of five, so no per-item number.
        Assert.All(report.GetProperty("itemFills").EnumerateArray(), i => Assert.Equal(JsonValueKind.Null, i.GetProperty("places").GetProperty("woman").ValueKind));
        var page = new HtmlParser().ParseDocument(await liaison.GetStringAsync("/console/studies/livs-default/quotas"));
        var headers = page.QuerySelectorAll("th").Select(th => th.TextContent.Trim()).ToList();
        Assert.Contains("woman", headers);
        Assert.DoesNotContain("man", headers);
        Assert.Contains("1 group has fewer than 5 participants", page.Body!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Likert_images_are_handed_out_per_group_and_a_held_place_is_served_again()
    {
        await using var server = await AppServer.StartAsync(codes: 6, configure: s =>
        {
            s.TaskType = TaskType.Likert;
            Quotas(s, Genders(perGroup: 1, unstratified: 1));
        });
        await using (var db = server.Database.CreateContext())
        {
            var two = await db.Images.OrderBy(i => i.Id).Select(i => i.Id).Take(2).ToListAsync();
            await db.Images.Where(i => !two.Contains(i.Id)).ExecuteUpdateAsync(s => s.SetProperty(i => i.Flags, ImageFlags.Excluded));
        }

        var first = await JoinAsync(server, "woman");
        var second = await JoinAsync(server, "woman");
        var outside = await JoinAsync(server, "prefer to describe myself");
        var item = (await RatingPage.NextAsync(first))!;
        Assert.Equal(item.ImageId, (await RatingPage.NextAsync(first))!.ImageId); // the held place, until answered
        var other = (await RatingPage.NextAsync(second))!;
        Assert.NotEqual(item.ImageId, other.ImageId); // the second woman takes the other image's place
        Assert.Equal(HttpStatusCode.OK, (await item.PostAsync(first, item.Body("a", [3, 3], []))).StatusCode);
        Assert.Null(await RatingPage.NextAsync(first)); // the other image's place for women is held by the second

        // Outside the groups: the remainder of one per image.
        var seen = new List<long>();
        while (await RatingPage.NextAsync(outside) is { } mine)
        {
            Assert.Equal(HttpStatusCode.OK, (await mine.PostAsync(outside, mine.Body($"o-{seen.Count}", [1, 1], []))).StatusCode);
            seen.Add(mine.ImageId);
        }

        Assert.Equal(2, seen.Distinct().Count());

        // Withdrawing gives back the place not answered: the first woman now gets it.
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(second.Http, "/withdraw", "/withdraw", new() { ["confirm"] = "true" })).StatusCode);
        Assert.Equal(other.ImageId, (await RatingPage.NextAsync(first))!.ImageId);
    }

    [Fact]
    public async Task Researchers_set_quotas_liaisons_and_participants_cannot()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var participant = await server.JoinAsync();
        foreach (var path in new[] { "/console/studies/livs-default/quotas", "/api/console/studies/livs-default/quotas" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await participant.Http.GetAsync(path)).StatusCode);
        }

        var liaison = await SignInAsync(server, "liaison@example.org", Role.Liaison);
        var researcher = await SignInAsync(server, "lead@example.org", Role.Researcher);
        var body = new { dimensions = new[] { new { marker = "gender", values = new[] { "woman", "man" } }, new { marker = "age-band", values = new[] { "18-29", "30-49", "50+" } } }, perGroup = 20, unstratified = 0 };
        Assert.Equal(HttpStatusCode.Forbidden, (await PutAsync(liaison, body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Form(liaison, new() { ["quotaDimensions"] = "gender: woman, man", ["perGroup"] = "2", ["unstratified"] = "0" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PutAsync(participant.Http, body, "/")).StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            Assert.Null((await db.Studies.SingleAsync()).GroupQuotas);
        }

        // Bad settings name the field; nothing is stored.
        var bad = await PutAsync(researcher, new { dimensions = new[] { new { marker = "shoe-size", values = Array.Empty<string>() } }, perGroup = 0, unstratified = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["dimensions[0].marker", "perGroup"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        var badForm = await Form(researcher, new() { ["quotaDimensions"] = ": woman\ngender: woman, woman", ["perGroup"] = "20", ["unstratified"] = "0" });
        Assert.Equal(HttpStatusCode.BadRequest, badForm.StatusCode);
        var html = await badForm.Content.ReadAsStringAsync();
        Assert.Contains("Line 1: write the identity question", html, StringComparison.Ordinal);
        Assert.Contains("A value of &#x27;gender&#x27; is listed twice", html, StringComparison.Ordinal);

        // DIVE's 2 x 3 design through the API; the form shows it, the report lists its groups, the audit log has it.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(researcher, body)).StatusCode);
        var settings = new HtmlParser().ParseDocument(await researcher.GetStringAsync("/console/studies/livs-default"));
        Assert.Equal("gender: woman, man\nage-band: 18-29, 30-49, 50+", settings.QuerySelector("#quotaDimensions")!.TextContent);
        var liaisonView = new HtmlParser().ParseDocument(await liaison.GetStringAsync("/console/studies/livs-default"));
        Assert.NotNull(liaisonView.QuerySelector("form[aria-labelledby=quotas-heading] fieldset[disabled]"));
        var report = await liaison.GetFromJsonAsync<JsonElement>("/api/console/studies/livs-default/quotas");
        Assert.Equal(7, report.GetProperty("suppressedGroups").GetInt32()); // the 6 groups, empty, and the one participant outside them
        await using (var db = server.Database.CreateContext())
        {
            var stored = (await db.Studies.SingleAsync()).GroupQuotas!;
            Assert.Equal((20, 0, "age-band"), (stored.PerGroup, stored.Unstratified, stored.Dimensions[1].Marker));
            Assert.Contains(await db.AuditEntries.Select(a => a.Action).ToListAsync(), a => a == "quotas.set");
        }

        // The form changes them; the API removes them.
        Assert.Equal(HttpStatusCode.Redirect, (await Form(researcher, new() { ["quotaDimensions"] = "gender: woman, man", ["perGroup"] = "25", ["unstratified"] = "3" })).StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var stored = (await db.Studies.SingleAsync()).GroupQuotas!;
            Assert.Equal((25, 3, 1), (stored.PerGroup, stored.Unstratified, stored.Dimensions.Count));
        }

        using var remove = new HttpRequestMessage(HttpMethod.Delete, "/api/console/studies/livs-default/quotas");
        remove.Headers.Add("X-CSRF-TOKEN", await TokenAsync(researcher, "/console/studies/livs-default"));
        Assert.Equal(HttpStatusCode.NoContent, (await researcher.SendAsync(remove)).StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            Assert.Null((await db.Studies.SingleAsync()).GroupQuotas);
        }
    }

    private static async Task<string> TokenAsync(HttpClient client, string page) =>
        new HtmlParser().ParseDocument(await client.GetStringAsync(page)).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;

    private static async Task<HttpResponseMessage> PutAsync(HttpClient client, object body, string tokenPage = "/console/studies/livs-default")
    {
        var page = await client.GetAsync(tokenPage);
        var token = page.StatusCode == HttpStatusCode.OK
            ? new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync()).QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value")
            : null;
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/console/studies/livs-default/quotas") { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Add("X-CSRF-TOKEN", token);
        }

        return await client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> Form(HttpClient client, Dictionary<string, string> fields) =>
        ParticipantClient.PostFormAsync(client, "/console/studies/livs-default", "/console/studies/livs-default?handler=Quotas", fields);

    private static async Task<HttpClient> SignInAsync(AppServer server, string email, Role role)
    {
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, email, role, Password);
        }

        var client = server.NewClient();
        var response = await ParticipantClient.PostFormAsync(client, "/console/login", "/console/login", new() { ["email"] = email, ["password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }
}
