using System.Globalization;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Studies.Load;

namespace Pluralist.Web.Tests.Load;

public sealed class TaskFormTests
{
    [Fact]
    public void Reads_the_answer_form_its_token_and_its_sliders_in_order()
    {
        const string html = """
            <html><body><nav><form id="lang" action="/lang"><input type="range" data-key="not-this"></form></nav>
            <FORM id="answer" class="stack" novalidate
                  data-assignment="42" data-url="/api/assignments/42/annotation"
                  data-token="CfDJ8&#x2B;a_b-c&amp;d">
              <fieldset class="criterion" data-key="safety">
                <input type="range" id="slider-safety" name="safety" data-key="safety" min="-1" max="1" step="any" data-note="a > b">
              </fieldset>
              <input type="hidden" name="x" data-key="hidden">
              <input type='range' data-key='fair&#x27;ness' />
            </form>
            <input type="range" data-key="after-the-form">
            </body></html>
            """;

        var form = TaskForm.Read(html)!;

        Assert.Equal("42", form.Assignment);
        Assert.Equal("CfDJ8+a_b-c&d", form.Token);
        Assert.Equal(["safety", "fair'ness"], form.Criteria);
    }

    [Fact]
    public void Comments_scripts_and_styles_hold_no_form()
    {
        const string html = """
            <!-- <form id="answer" data-assignment="1" data-token="old"> -->
            <script>const t = '<form id="answer" data-assignment="2">';</script>
            <style>form#answer::before { content: "<input type=range>"; }</style>
            <form id="answer" data-assignment="3" data-token="t">
              <script>document.write('<input type="range" data-key="scripted">');</script>
              <!-- <input type="range" data-key="commented"> -->
              <input type=range data-key=comfort>
            </form>
            """;

        var form = TaskForm.Read(html)!;

        Assert.Equal("3", form.Assignment);
        Assert.Equal("t", form.Token);
        Assert.Equal(["comfort"], form.Criteria);
    }

    [Fact]
    public void A_page_without_the_answer_form_has_none()
    {
        Assert.Null(TaskForm.Read("""<html><body><form id="rating" data-token="t"><input type="range" data-key="q"></form><p>All done</p></body></html>"""));
        Assert.Null(TaskForm.Read(""));
        Assert.Null(TaskForm.Read("<formx id=\"answer\">"));
    }

    [Fact]
    public void A_form_missing_its_attributes_reads_as_empty()
    {
        var form = TaskForm.Read("""<form id="answer"><input type="range"></form>""")!;
        Assert.Null(form.Assignment);
        Assert.Null(form.Token);
        Assert.Equal([""], form.Criteria);
    }

    [Fact]
    public async Task Reads_the_app_s_task_page_as_an_HTML_parser_does_and_the_load_tool_answers_with_it()
    {
        await using var server = await AppServer.StartAsync(codes: 2);
        var p = await server.JoinAsync();
        var html = await p.Http.GetStringAsync("/task");

        var form = TaskForm.Read(html)!;

        var parsed = new HtmlParser().ParseDocument(html).QuerySelector("form#answer")!;
        Assert.Equal(parsed.GetAttribute("data-assignment"), form.Assignment);
        Assert.Equal(parsed.GetAttribute("data-token"), form.Token);
        Assert.Equal(parsed.QuerySelectorAll("input[type=range]").Select(e => e.GetAttribute("data-key")!), form.Criteria);
        await using (var db = server.Database.CreateContext())
        {
            var assignment = await db.Assignments.AsNoTracking().SingleAsync(a => a.Id == long.Parse(form.Assignment!, CultureInfo.InvariantCulture));
            Assert.Equal(assignment.CriteriaShown, form.Criteria);
        }

        // The load tool's own session on the same page: its token passes the antiforgery check and the answer is stored once.
        using var session = await ParticipantSession.JoinAsync(server.Address, server.Codes.Dequeue(), TimeSpan.FromSeconds(30));
        var task = (await session.NextTaskAsync())!;
        double?[] scores = [.. task.Criteria.Select((_, k) => (double?)(k % 2 == 0 ? 0.5 : -0.25))];
        Assert.False(await session.SubmitAsync(task, "task-form-1", scores));
        Assert.True(await session.SubmitAsync(task, "task-form-1", scores));
        await using var check = server.Database.CreateContext();
        Assert.Equal(1, await check.Annotations.CountAsync(n => n.AssignmentId == task.AssignmentId));
    }
}
