using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Dataset;
using Pluralist.Studies.Reports;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console.Dataset;

/// <summary>/console/studies/{key}/data: the dataset viewer, kept answers by default, the dropped ones with <c>dropped=true</c>.</summary>
public sealed class DataModel(ConsoleService service, ReadDatabase read) : ConsolePage(service)
{
    public const int PageSize = 50;

    public DatasetView View { get; private set; } = null!;

    public DatasetFilter Filter { get; private set; } = new(null, null, null, null, null, null);

    public string? GroupValue { get; private set; }

    /// <summary>Pseudonyms of the dropped answers' participants: researchers and admins only, as on the Reports page.</summary>
    public bool SeesParticipants => ReportAudience.SeesEverything(Staff.Role);

    public async Task OnGetAsync(long? prompt, string? criterion, long? batch, string? participant, string? group, string? dropped, double? min, double? max, [FromQuery(Name = "page")] int? pageNumber, CancellationToken ct)
    {
        GroupValue = string.IsNullOrEmpty(group) ? null : group;
        var split = GroupValue?.Split('=', 2);
        Filter = new DatasetFilter(prompt, string.IsNullOrEmpty(criterion) ? null : criterion, batch,
            string.IsNullOrWhiteSpace(participant) ? null : participant.Trim(), split?[0], split is { Length: 2 } ? split[1] : null,
            QueryFlag.IsOn(dropped), min, max, pageNumber ?? 1);
        await using var db = read.CreateContext();
        View = await DatasetViewer.LoadAsync(db, Study!, Filter, PageSize, ct);
    }

    /// <summary>This page's URL with its query, some parameters replaced (null removes one).</summary>
    public string Link(params (string Name, string? Value)[] changes) => DatasetLinks.With(Request, changes);
}

/// <summary>Links of the viewer pages that keep the current filters.</summary>
public static class DatasetLinks
{
    public static string With(HttpRequest request, params (string Name, string? Value)[] changes)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(changes);
        var query = new QueryBuilder();
        var names = changes.Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Query)
        {
            if (!names.Contains(name))
            {
                foreach (var v in values)
                {
                    if (!string.IsNullOrEmpty(v))
                    {
                        query.Add(name, v);
                    }
                }
            }
        }

        foreach (var (name, value) in changes)
        {
            if (value is not null)
            {
                query.Add(name, value);
            }
        }

        return request.PathBase + request.Path + query.ToQueryString();
    }
}
