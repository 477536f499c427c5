using Pluralist.Data;
using Pluralist.Studies.Console;

namespace Pluralist.Web.Console.Studies;

/// <summary>GET /console: the studies with their sizes.</summary>
public sealed class IndexModel(ConsoleService service) : ConsolePage(service)
{
    public IReadOnlyList<StudySummary> Studies { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Studies = await Service.StudiesAsync(ct);
}
