using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;

namespace Pluralist.Web.Tests.Participation;

/// <summary>The study's slider resolution drives the page's step, is enforced by the server and is stored with each answer.</summary>
public sealed class SliderResolutionTests
{
    [Fact]
    public async Task A_four_step_slider_refuses_an_answer_between_its_positions_and_records_its_resolution()
    {
        await using var server = await AppServer.StartAsync(configure: s => s.SliderSteps = 4);
        var p = await server.JoinAsync();
        var html = await p.Http.GetStringAsync("/task");
        var steps = new HtmlParser().ParseDocument(html).QuerySelectorAll("input[type=range]").Select(e => e.GetAttribute("step")).ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, s => Assert.Equal("0.25", s));

        var task = (await p.NextTaskAsync())!;
        var off = await p.SubmitAsync(task, ParticipantClient.Answer(task, "off", 0.3));
        Assert.Equal(HttpStatusCode.BadRequest, off.StatusCode);
        using (var doc = JsonDocument.Parse(await off.Content.ReadAsStringAsync()))
        {
            var message = doc.RootElement.GetProperty("errors").GetProperty("scores." + task.Criteria[0])[0].GetString();
            Assert.Equal("This answer falls between two positions of the slider. Please move it to one of its 4 steps on each side.", message);
        }

        await using (var db = server.Database.CreateContext())
        {
            Assert.False(await db.Annotations.AnyAsync(a => a.AssignmentId == task.AssignmentId));
        }

        var on = await p.SubmitAsync(task, ParticipantClient.Answer(task, "on", -0.75, 0.25));
        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var stored = await db.Annotations.Include(a => a.Scores).SingleAsync(a => a.AssignmentId == task.AssignmentId);
            Assert.Equal(4, stored.SliderSteps);
            Assert.Equal([-0.75, 0.25, null], stored.Scores.OrderBy(s => s.Position).Select(s => s.Score));
        }
    }

    [Fact]
    public async Task A_continuous_slider_takes_any_value_and_records_zero()
    {
        await using var server = await AppServer.StartAsync(configure: s => s.SliderSteps = 0);
        var p = await server.JoinAsync();
        var html = await p.Http.GetStringAsync("/task");
        Assert.All(new HtmlParser().ParseDocument(html).QuerySelectorAll("input[type=range]"), e => Assert.Equal("any", e.GetAttribute("step")));

        var task = (await p.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "c", 0.37, -0.913))).StatusCode);
        await using var db = server.Database.CreateContext();
        var stored = await db.Annotations.Include(a => a.Scores).SingleAsync(a => a.AssignmentId == task.AssignmentId);
        Assert.Equal(0, stored.SliderSteps);
        Assert.Equal([0.37, -0.913, null], stored.Scores.OrderBy(s => s.Position).Select(s => s.Score));
    }
}
