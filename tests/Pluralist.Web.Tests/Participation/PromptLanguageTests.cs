using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Participation;

/// <summary>Prompts written in one language shown on a page in another: marked for screen readers, and the researcher told.</summary>
public sealed class PromptLanguageTests
{
    [Fact]
    public async Task An_English_prompt_on_a_French_task_page_is_marked_as_English()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var participant = await server.JoinAsync();
        await participant.Http.GetAsync("/lang/fr?back=/");

        var doc = new HtmlParser().ParseDocument(await participant.Http.GetStringAsync("/task"));
        Assert.Equal("fr", doc.DocumentElement.GetAttribute("lang"));
        var prompt = doc.QuerySelector("p.prompt span[lang]");
        Assert.NotNull(prompt);
        Assert.Equal("en", prompt.GetAttribute("lang"));
        await using var db = server.Database.CreateContext();
        var texts = await db.Prompts.Select(p => p.Text).ToListAsync();
        Assert.Contains(prompt.TextContent, texts);
    }

    [Fact]
    public async Task The_study_page_counts_prompts_per_language_and_warns_when_none_is_in_French()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var researcher = await Staff.SignInAsync(server, "lead@example.org", Role.Researcher);
        string key;
        int english;
        await using (var db = server.Database.CreateContext())
        {
            key = await db.Studies.Select(s => s.Key).SingleAsync();
            english = await db.Prompts.CountAsync(p => p.Language == "en");
        }

        var hint = await HintAsync(researcher, key);
        Assert.Equal($"Prompts by language: English {english}. None is in French: participants who read French see them as written, marked with their language for screen readers.", hint);

        await using (var db = server.Database.CreateContext())
        {
            var study = await db.Studies.SingleAsync();
            db.Prompts.Add(new Prompt { StudyId = study.Id, Text = "Une place publique au bord de l'eau", Language = "fr", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        Assert.Equal($"Prompts by language: English {english}, French 1.", await HintAsync(researcher, key));
    }

    private static async Task<string?> HintAsync(HttpClient researcher, string key)
    {
        var doc = new HtmlParser().ParseDocument(await researcher.GetStringAsync($"/console/studies/{key}"));
        var text = doc.QuerySelector("#prompt-languages")?.TextContent;
        return text is null ? null : System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
    }
}
