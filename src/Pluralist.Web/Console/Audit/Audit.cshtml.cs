using Pluralist.Core.Model;
using Pluralist.Studies.Console;

namespace Pluralist.Web.Console.Audit;

/// <summary>/console/studies/{key}/audit: the study's audit entries. Researchers and admins.</summary>
public sealed class AuditModel(ConsoleService service) : ConsolePage(service)
{
    protected override Role MinimumRole => Role.Researcher;

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    public Dictionary<long, string> Names { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Entries = await Service.AuditAsync(Study, 500, ct);
        Names = Service.StaffNames(Entries.Select(e => e.ActorParticipantId));
    }
}
