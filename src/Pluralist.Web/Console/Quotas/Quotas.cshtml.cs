using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Quotas;

namespace Pluralist.Web.Console.Quotas;

/// <summary>/console/studies/{key}/quotas: fill of the group quotas per item and group. Groups below the study's minimum are never shown.</summary>
public sealed class QuotasModel(ConsoleService service) : ConsolePage(service)
{
    /// <summary>Items listed on the page (the JSON API lists all).</summary>
    public const int ItemsShown = 200;

    public QuotaReport Report { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) =>
        Report = await QuotaFill.ComputeAsync(Service.Db, Study!, ct);
}
