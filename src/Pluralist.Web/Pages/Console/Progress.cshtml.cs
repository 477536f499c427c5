using Pluralist.Web.ResearchConsole;

namespace Pluralist.Web.Pages.Console;

/// <summary>/console/studies/{key}/progress[?batch=]: live progress; identity groups below the study's minimum are never shown.</summary>
public sealed class ProgressModel(ConsoleService service) : ConsolePage(service)
{
    public StudyProgressReport Report { get; private set; } = null!;

    public long? Batch { get; private set; }

    public async Task OnGetAsync(long? batch, CancellationToken ct)
    {
        Batch = batch;
        Report = await StudyProgress.ComputeAsync(Service.Db, Study!, batch, ct);
    }
}
