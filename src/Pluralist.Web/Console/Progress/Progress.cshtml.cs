using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Monitoring;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console.Progress;

/// <summary>/console/studies/{key}/progress[?batch=]: live progress; identity groups below the study's minimum are never shown.</summary>
public sealed class ProgressModel(ConsoleService service, ReadDatabase read) : ConsolePage(service)
{
    public StudyProgressReport Report { get; private set; } = null!;

    public long? Batch { get; private set; }

    /// <summary>The charts' data as JSON, with '&lt;' escaped so the script element cannot be closed early.</summary>
    public string ChartData => System.Text.Json.JsonSerializer.Serialize(new
    {
        criteria = Report.Criteria.SelectMany(c => new[]
        {
            new { criterion = c.Name, answer = "leaning to one image", count = c.Answered - c.Neutral },
            new { criterion = c.Name, answer = "neutral", count = c.Neutral },
        }),
        days = Report.Days.Select(d => new { day = d.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), answers = d.Answers }),
    }).Replace("<", "\\u003c", StringComparison.Ordinal);

    /// <summary>A text alternative for the criteria chart.</summary>
    public string CriteriaSummary => Report.Criteria.Count == 0 ? "No criteria."
        : "Answers per criterion, neutral and leaning: " + string.Join("; ", Report.Criteria.Select(c => $"{c.Name} {c.Answered} answered, {c.Neutral} neutral"));

    /// <summary>A text alternative for the answers-per-day chart.</summary>
    public string DaysSummary => Report.Days.Count == 0 ? "No answers yet, so no answers per day."
        : $"Answers per day from {Report.Days[0].Day:yyyy-MM-dd} to {Report.Days[^1].Day:yyyy-MM-dd}: {Report.Days.Sum(d => d.Answers)} in all, at most {Report.Days.Max(d => d.Answers)} in one day.";

    public async Task OnGetAsync(long? batch, CancellationToken ct)
    {
        Batch = batch;
        SecurityHeaders.AllowScriptEval(HttpContext); // Vega compiles its chart expressions
        await using var db = read.CreateContext();
        Report = await StudyProgress.ComputeAsync(db, Study!, batch, ct);
    }
}
