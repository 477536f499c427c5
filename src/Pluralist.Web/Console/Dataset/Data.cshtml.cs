using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Dataset;

namespace Pluralist.Web.Console.Dataset;

/// <summary>/console/studies/{key}/data: the dataset viewer.</summary>
public sealed class DataModel(ConsoleService service) : ConsolePage(service)
{
    public DatasetView View { get; private set; } = null!;

    public DatasetFilter Filter { get; private set; } = new(null, null, null, null, null, null);

    public string? GroupValue { get; private set; }

    public async Task OnGetAsync(long? prompt, string? criterion, long? batch, string? participant, string? group, CancellationToken ct)
    {
        GroupValue = string.IsNullOrEmpty(group) ? null : group;
        var split = GroupValue?.Split('=', 2);
        Filter = new DatasetFilter(prompt, string.IsNullOrEmpty(criterion) ? null : criterion, batch,
            string.IsNullOrWhiteSpace(participant) ? null : participant.Trim(), split?[0], split is { Length: 2 } ? split[1] : null);
        View = await DatasetViewer.LoadAsync(Service.Db, Study!, Filter, 200, ct);
    }
}
