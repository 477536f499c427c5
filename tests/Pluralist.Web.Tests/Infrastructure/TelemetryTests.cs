using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Pluralist.Core.Model;
using Pluralist.Studies.Diagnostics;
using Pluralist.Studies.Reports;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Tests.Infrastructure;

/// <summary>
/// The "Pluralist" meter and activity source listen to every app in the process, so these tests run alone
/// (after the parallel ones), each app's exporter seeing only its own app's measurements.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}

/// <summary>OpenTelemetry over real HTTP with the in-memory exporter wired into the real app (docs/observability.md).</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private static readonly HashSet<string> OwnTagKeys =
        [PluralistTelemetry.StudyTag, PluralistTelemetry.OutcomeTag, PluralistTelemetry.KindTag, "pluralist.batch.size"];

    [Fact]
    public async Task One_answer_counts_one_stored_commit_with_a_batch_point_a_request_span_and_a_commit_span_and_no_identity_in_any_tag()
    {
        var metrics = new List<MetricSnapshot>();
        var spans = new List<Activity>();
        await using var server = await AppServer.StartAsync(telemetry: o => o
            .WithMetrics(m => m.AddInMemoryExporter(metrics))
            .WithTracing(t => t.AddInMemoryExporter(spans)));
        var code = server.Codes.Peek();
        var p = await server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var sent = await p.SubmitAsync(task, ParticipantClient.Answer(task, "telemetry-req-1", 0.5, -0.5, 0));
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

        long studyId;
        string pseudonym;
        long participantId;
        string prompt;
        await using (var db = server.Database.CreateContext())
        {
            var assignment = await db.Assignments.SingleAsync(a => a.Id == task.AssignmentId);
            participantId = assignment.ParticipantId;
            pseudonym = (await db.Participants.SingleAsync(x => x.Id == participantId)).Pseudonym;
            studyId = (await db.Studies.SingleAsync(s => s.Key == "livs-default")).Id;
            var pair = await db.Pairs.SingleAsync(x => x.Id == assignment.PairId);
            var image = await db.Images.SingleAsync(i => i.Id == pair.Image0Id);
            prompt = (await db.Prompts.SingleAsync(x => x.Id == image.PromptId)).Text;
        }

        var request = await WaitForAsync(spans, a => a.Kind == ActivityKind.Server && Tag(a, "http.route") == "/api/assignments/{id:long}/annotation");
        Flush(server);

        // The commit counter: exactly one answer, stored, of this study.
        var commits = Points(metrics, "pluralist.answer.commits");
        var commit = Assert.Single(commits);
        Assert.Equal(1, commit.GetSumLong());
        Assert.Equal(PluralistTelemetry.Stored, PointTag(commit, PluralistTelemetry.OutcomeTag));
        Assert.Equal(studyId.ToString(CultureInfo.InvariantCulture), PointTag(commit, PluralistTelemetry.StudyTag));
        // SQLite's group-commit writer: at least the answer's batch (assignments go through it too).
        var batches = Points(metrics, "pluralist.group_commit.batch.size");
        Assert.True(batches.Sum(b => b.GetHistogramCount()) >= 2, "the assignment's and the answer's batches");
        Assert.Contains(Points(metrics, "pluralist.group_commit.duration"), b => b.GetHistogramCount() >= 1);
        Assert.Contains(Points(metrics, "pluralist.next_task.duration"), b => PointTag(b, PluralistTelemetry.OutcomeTag) == "task");
        Assert.Contains(Points(metrics, "http.server.request.duration"), b => PointTag(b, "http.route") == "/api/assignments/{id:long}/annotation");

        // The request span holds the commit span; the group commit's span links to it.
        var commitSpan = Assert.Single(spans, a => a.OperationName == "pluralist.answer.commit");
        Assert.Equal(request.SpanId, commitSpan.ParentSpanId);
        Assert.Equal(request.TraceId, commitSpan.TraceId);
        Assert.Equal(PluralistTelemetry.Stored, Tag(commitSpan, PluralistTelemetry.OutcomeTag));
        var groupCommit = Assert.Single(spans, a => a.OperationName == "pluralist.group_commit" && a.Links.Any(l => l.Context.SpanId == commitSpan.SpanId));
        // The writer's loop began inside some earlier request: its spans are roots all the same.
        Assert.All(spans.Where(a => a.OperationName == "pluralist.group_commit"), a => Assert.Equal(default, a.ParentSpanId));
        Assert.Equal("committed", Tag(groupCommit, PluralistTelemetry.OutcomeTag));
        Assert.Equal("/api/assignments/{id:long}/annotation", Tag(request, "url.path"));

        // No tag anywhere carries the code, the pseudonym, the participant's or the assignment's id, the request id or the prompt.
        var forbidden = new[] { code, pseudonym, "telemetry-req-1", prompt, "/api/assignments/" + task.AssignmentId.ToString(CultureInfo.InvariantCulture) };
        var tags = spans.SelectMany(a => a.TagObjects.Select(t => (Source: a.Source.Name, t.Key, Value: Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")))
            .Concat(metrics.SelectMany(m => m.MetricPoints.SelectMany(pt => Tags(pt).Select(t => (Source: m.MeterName, t.Key, Value: Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")))))
            .ToList();
        Assert.NotEmpty(tags);
        foreach (var (source, key, value) in tags)
        {
            Assert.DoesNotContain(forbidden, f => value.Contains(f, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(new[] { "participant", "pseudonym", "invitation", "user_agent", "url.query", "client.address" }, k => key.Contains(k, StringComparison.OrdinalIgnoreCase));
            if (source == PluralistTelemetry.Name)
            {
                Assert.Contains(key, OwnTagKeys);
            }
        }

        // The only id among the app's own tags is the study's, whatever the participant's id is.
        Assert.All(tags.Where(t => t.Key == PluralistTelemetry.StudyTag), t => Assert.Equal(studyId.ToString(CultureInfo.InvariantCulture), t.Value));
        Assert.True(participantId > 0);
    }

    [Fact]
    public async Task A_report_job_records_its_duration_by_kind_and_outcome_and_the_queues_report_their_depth()
    {
        var metrics = new List<MetricSnapshot>();
        var spans = new List<Activity>();
        await using var server = await AppServer.StartAsync(codes: 4, settings: new Dictionary<string, string?>
        {
            ["Pluralist:Reports:Permutations"] = "20",
            ["Pluralist:Reports:Bootstrap"] = "20",
        }, telemetry: o => o
            .WithMetrics(m => m.AddInMemoryExporter(metrics))
            .WithTracing(t => t.AddInMemoryExporter(spans)));
        for (var i = 0; i < 3; i++)
        {
            var p = await server.JoinAsync();
            for (var j = 0; j < 2 && await p.NextTaskAsync() is { } task; j++)
            {
                Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, $"r{i}-{j}", 0.5, -0.5, 0))).StatusCode);
            }
        }

        Study study;
        await using (var db = server.Database.CreateContext())
        {
            study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
        }

        var jobs = server.Services.GetRequiredService<ReportJobs>();
        var job = (await jobs.StartAsync(1, study)).Job!;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (job.State is ReportJobState.Queued or ReportJobState.Running && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            job = (await jobs.FindAsync(study, job.Id))!;
        }

        Assert.True(job.State is ReportJobState.Done or ReportJobState.Failed, $"the report job is still {job.State}");
        await Task.Delay(TimeSpan.FromSeconds(6)); // the gauge's count of waiting jobs is read every 5 s
        Flush(server);
        var outcome = job.State == ReportJobState.Done ? "done" : "failed";
        var point = Assert.Single(Points(metrics, "pluralist.job.duration"));
        Assert.Equal(1, point.GetHistogramCount());
        Assert.Equal("report", PointTag(point, PluralistTelemetry.KindTag));
        Assert.Equal(outcome, PointTag(point, PluralistTelemetry.OutcomeTag));
        Assert.True(point.GetHistogramSum() > 0);
        var span = Assert.Single(spans, a => a.OperationName == "pluralist.job report");
        Assert.Equal(outcome, Tag(span, PluralistTelemetry.OutcomeTag));

        // The gauge: one series per kind, nothing waiting once the job ran.
        var waiting = Points(metrics, "pluralist.jobs.waiting");
        Assert.Equal(["images", "raters", "report"], waiting.Select(w => PointTag(w, PluralistTelemetry.KindTag)).Distinct().Order(StringComparer.Ordinal));
        Assert.All(waiting, w => Assert.Equal(0, w.GetGaugeLastValueLong()));
    }

    [Fact]
    public async Task With_no_exporter_configured_the_app_runs_without_the_sdk()
    {
        await using var server = await AppServer.StartAsync();
        Assert.Null(server.Services.GetService<MeterProvider>());
        Assert.Null(server.Services.GetService<TracerProvider>());
        var p = await server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "quiet", 0.5))).StatusCode);
        // Nobody listens to the app's instruments: no span is even created.
        Assert.False(PluralistTelemetry.Source.HasListeners());
        Assert.False(PluralistTelemetry.AnswerCommits.Enabled);
    }

    [Theory]
    [InlineData(null, null, null, "none")]
    [InlineData(null, "http://collector:4317", null, "otlp")]
    [InlineData("none", "http://collector:4317", null, "none")]
    [InlineData(null, "http://collector:4317", "true", "none")]
    [InlineData("console", null, null, "console")]
    [InlineData("OTLP", null, null, "otlp")]
    public void The_exporter_is_the_setting_else_otlp_when_an_endpoint_is_set(string? setting, string? endpoint, string? disabled, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [Telemetry.Setting] = setting,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_SDK_DISABLED"] = disabled,
        }).Build();
        Assert.Equal(expected, Telemetry.ExporterOf(configuration));
    }

    [Fact]
    public void An_unknown_exporter_is_refused_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [Telemetry.Setting] = "zipkin" }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => Telemetry.ExporterOf(configuration));
        Assert.Contains("Pluralist:Telemetry", e.Message, StringComparison.Ordinal);
        Assert.Contains("zipkin", e.Message, StringComparison.Ordinal);
    }

    private static void Flush(AppServer server)
    {
        Assert.True(server.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));
        Assert.True(server.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
    }

    private static async Task<Activity> WaitForAsync(List<Activity> spans, Func<Activity, bool> match)
    {
        // The server span ends after the response is sent.
        for (var i = 0; i < 100; i++)
        {
            lock (spans)
            {
                if (spans.FirstOrDefault(match) is { } found)
                {
                    return found;
                }
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException("no such span: " + string.Join(", ", spans.Select(s => s.DisplayName)));
    }

    private static List<MetricPoint> Points(List<MetricSnapshot> metrics, string name)
    {
        // Cumulative: the last export holds the totals.
        var last = metrics.LastOrDefault(m => m.Name == name) ?? throw new Xunit.Sdk.XunitException($"no metric {name}: {string.Join(", ", metrics.Select(m => m.Name).Distinct())}");
        return last.MetricPoints.ToList();
    }

    private static IEnumerable<KeyValuePair<string, object?>> Tags(MetricPoint point)
    {
        var list = new List<KeyValuePair<string, object?>>();
        foreach (var tag in point.Tags)
        {
            list.Add(tag);
        }

        return list;
    }

    private static string? PointTag(MetricPoint point, string key) =>
        Tags(point).Where(t => t.Key == key).Select(t => Convert.ToString(t.Value, CultureInfo.InvariantCulture)).FirstOrDefault();

    private static string? Tag(Activity activity, string key) => Convert.ToString(activity.GetTagItem(key), CultureInfo.InvariantCulture);
}
