using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Web.Tests.Security;

/// <summary>
/// Issue 16, finding 3: the minimum group size protects one person whatever filters are combined with an
/// identity group (dataset viewer, progress, quota fill), over real HTTP as a community liaison.
/// </summary>
public sealed class GroupSizeTests
{
    private const string Women = "gender%3Dwoman";

    private static void NoChecks(Study s)
    {
        s.AttentionCheckRate = 0;
        s.GoldRate = 0;
    }

    [Fact]
    public async Task A_participant_filter_with_a_group_shows_nothing_and_the_same_page_whether_the_person_is_in_the_group_or_not()
    {
        await using var server = await AppServer.StartAsync(codes: 8, configure: NoChecks);
        await Staff.FixedPairsAsync(server, 1);
        string[] genders = ["woman", "woman", "woman", "woman", "woman", "man", "man"];
        foreach (var (gender, i) in genders.Select((g, i) => (g, i)))
        {
            await Staff.AnswerAsync(await Staff.JoinAsync(server, gender), 1, $"p{i}");
        }

        List<string> pseudonyms;
        await using (var db = server.Database.CreateContext())
        {
            pseudonyms = await db.Participants.Where(p => p.Role == Role.Participant).OrderBy(p => p.Id).Select(p => p.Pseudonym).ToListAsync();
        }

        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);

        // The group alone: five women answered the one pair, three criteria each.
        var group = await DataAsync(liaison, $"group={Women}");
        Assert.Contains("1 pairs with 15 criterion answers match", group.QuerySelector("[role=status]")!.TextContent, StringComparison.Ordinal);
        Assert.Single(group.QuerySelectorAll("tbody tr"));

        // The attack: one pseudonym and the group. A woman and a man get the same page, with no number at all.
        string? first = null;
        foreach (var pseudonym in pseudonyms)
        {
            var page = await DataAsync(liaison, $"participant={pseudonym}&group={Women}");
            Assert.Contains("fewer than 5 people of that group remain", page.QuerySelector("[role=alert]")!.TextContent, StringComparison.Ordinal);
            Assert.Null(page.QuerySelector("[role=status]"));
            Assert.Empty(page.QuerySelectorAll("tbody tr"));
            var main = page.QuerySelector("main")!.InnerHtml.Replace(pseudonym, "P", StringComparison.Ordinal);
            first ??= main;
            Assert.Equal(first, main);
        }

        // Without the group the participant filter works as before (pseudonymous data).
        Assert.Single((await DataAsync(liaison, $"participant={pseudonyms[5]}")).QuerySelectorAll("tbody tr"));

        // Other narrowing filters: a criterion fewer than five women were shown, a prompt or batch no woman answered.
        Dictionary<string, int> womenPerCriterion;
        long prompt, otherPrompt, batch;
        await using (var db = server.Database.CreateContext())
        {
            var women = await db.Participants.OrderBy(p => p.Id).Where(p => p.Role == Role.Participant).Select(p => p.Id).Take(5).ToListAsync();
            var shown = await db.Assignments.Where(a => women.Contains(a.ParticipantId)).ToListAsync();
            womenPerCriterion = shown.SelectMany(a => a.CriteriaShown.Select(c => (c, a.ParticipantId))).Distinct()
                .GroupBy(x => x.c).ToDictionary(g => g.Key, g => g.Count());
            var pair = await db.Pairs.SingleAsync(p => p.Kind == PairKind.Annotation);
            prompt = await db.Images.Where(i => i.Id == pair.Image0Id).Select(i => i.PromptId).SingleAsync();
            otherPrompt = await db.Prompts.Where(p => p.Id != prompt).Select(p => p.Id).FirstAsync();
            batch = shown.Select(a => a.BatchId!.Value).Distinct().Single();
        }

        Assert.Contains(womenPerCriterion, kv => kv.Value < 5);
        foreach (var (criterion, count) in womenPerCriterion)
        {
            var page = await DataAsync(liaison, $"criterion={criterion}&group={Women}");
            Assert.Equal(count < 5, page.QuerySelector("[role=alert]") is not null);
        }

        Assert.NotNull((await DataAsync(liaison, $"prompt={otherPrompt}&group={Women}")).QuerySelector("[role=alert]"));
        Assert.NotNull((await DataAsync(liaison, $"batch={batch + 1000}&group={Women}")).QuerySelector("[role=alert]"));
        Assert.Null((await DataAsync(liaison, $"prompt={prompt}&batch={batch}&group={Women}")).QuerySelector("[role=alert]"));
        Assert.NotNull((await DataAsync(liaison, $"participant={pseudonyms[0]}&prompt={prompt}&batch={batch}&group={Women}")).QuerySelector("[role=alert]"));

        // A group smaller than five (the two men) is refused outright, alone or combined.
        Assert.Contains("smaller than 5 people", (await DataAsync(liaison, "group=gender%3Dman")).QuerySelector("[role=alert]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("smaller than 5 people", (await DataAsync(liaison, $"participant={pseudonyms[5]}&group=gender%3Dman")).QuerySelector("[role=alert]")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pair_answered_by_fewer_than_the_minimum_of_a_group_is_left_out_of_the_group_view()
    {
        await using var server = await AppServer.StartAsync(codes: 8, configure: NoChecks);
        await Staff.FixedPairsAsync(server, 2);
        for (var i = 0; i < 5; i++)
        {
            await Staff.AnswerAsync(await Staff.JoinAsync(server, "woman"), 1, $"w{i}"); // the first pair
        }

        await Staff.AnswerAsync(await Staff.JoinAsync(server, "woman"), 2, "lone"); // both pairs: alone on the second
        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);

        // Everyone: both pairs, the second with one person's answers (pseudonymous, shown).
        Assert.Equal(2, (await DataAsync(liaison, "")).QuerySelectorAll("tbody tr").Length);

        // The group: six women in all, but the second pair's row would be about one of them.
        var page = await DataAsync(liaison, $"group={Women}");
        var status = page.QuerySelector("[role=status]")!.TextContent;
        Assert.Contains("1 pairs with 18 criterion answers can be shown", status, StringComparison.Ordinal);
        Assert.Contains("Pairs answered by fewer than 5 people of this group are left out", status, StringComparison.Ordinal);
        var row = Assert.Single(page.QuerySelectorAll("tbody tr"));
        Assert.Contains("18", row.QuerySelectorAll("td")[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_and_quota_fill_show_group_numbers_only_when_drawn_from_the_minimum_of_distinct_people()
    {
        await using var server = await AppServer.StartAsync(codes: 8, configure: s =>
        {
            NoChecks(s);
            s.GroupQuotas = new GroupQuotas { Dimensions = [new QuotaDimension { Marker = "gender", Values = ["woman", "man"] }], PerGroup = 2, Unstratified = 0 };
        });
        await Staff.FixedPairsAsync(server, 3);
        var women = new List<ParticipantClient>();
        for (var i = 0; i < 5; i++)
        {
            women.Add(await Staff.JoinAsync(server, "woman"));
        }

        // One woman takes places and answers: the group has five members, but its places are one person's.
        await Staff.AnswerAsync(women[0], 2, "first");
        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);
        var quotas = await liaison.GetFromJsonAsync<JsonElement>("/api/console/studies/livs-default/quotas");
        var woman = Assert.Single(quotas.GetProperty("groups").EnumerateArray());
        Assert.Equal(5, woman.GetProperty("participants").GetInt32());
        Assert.Equal(JsonValueKind.Null, woman.GetProperty("places").ValueKind);
        Assert.Equal(JsonValueKind.Null, woman.GetProperty("answered").ValueKind);
        Assert.Equal(JsonValueKind.Null, woman.GetProperty("itemsFull").ValueKind);
        Assert.All(quotas.GetProperty("itemFills").EnumerateArray(), i =>
        {
            Assert.Equal(JsonValueKind.Null, i.GetProperty("places").GetProperty("woman").ValueKind);
            Assert.Equal(JsonValueKind.Null, i.GetProperty("answered").GetProperty("woman").ValueKind);
        });
        var page = new HtmlParser().ParseDocument(await liaison.GetStringAsync("/console/studies/livs-default/quotas"));
        Assert.Contains("<5", page.QuerySelector("tbody")!.TextContent, StringComparison.Ordinal);

        // Progress: one woman answered, so no group of five is among the people who answered.
        var progress = await liaison.GetFromJsonAsync<JsonElement>("/api/console/studies/livs-default/progress");
        Assert.Empty(progress.GetProperty("groups").EnumerateArray());

        // Once five women hold places (and answered), the group's own totals appear; items stay below five each (two places each).
        for (var i = 1; i < 5; i++)
        {
            await Staff.AnswerAsync(women[i], 1, $"w{i}");
        }

        quotas = await liaison.GetFromJsonAsync<JsonElement>("/api/console/studies/livs-default/quotas");
        woman = Assert.Single(quotas.GetProperty("groups").EnumerateArray());
        Assert.Equal((6, 6), (woman.GetProperty("places").GetInt32(), woman.GetProperty("answered").GetInt32()));
        Assert.All(quotas.GetProperty("itemFills").EnumerateArray(), i => Assert.Equal(JsonValueKind.Null, i.GetProperty("places").GetProperty("woman").ValueKind));
        progress = await liaison.GetFromJsonAsync<JsonElement>("/api/console/studies/livs-default/progress");
        var shown = Assert.Single(progress.GetProperty("groups").EnumerateArray());
        Assert.Equal(5, shown.GetProperty("participants").GetInt32());
    }

    private static async Task<IHtmlDocument> DataAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync("/console/studies/livs-default/data?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }
}
