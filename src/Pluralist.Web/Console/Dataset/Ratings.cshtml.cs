using Microsoft.AspNetCore.Mvc;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Dataset;
using Pluralist.Studies.Reports;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console.Dataset;

/// <summary>/console/studies/{key}/data/ratings: the study's Likert ratings, kept by the Likert cleaning by default, the dropped ones with <c>dropped=true</c>.</summary>
public sealed class RatingsModel(ConsoleService service, ReadDatabase read) : ConsolePage(service)
{
    public LikertView View { get; private set; } = null!;

    public LikertFilter Filter { get; private set; } = new(null, null);

    public bool SeesParticipants => ReportAudience.SeesEverything(Staff.Role);

    public async Task OnGetAsync(string? question, string? category, string? dropped, [FromQuery(Name = "page")] int? pageNumber, CancellationToken ct)
    {
        Filter = new LikertFilter(string.IsNullOrEmpty(question) ? null : question, string.IsNullOrEmpty(category) ? null : category, QueryFlag.IsOn(dropped), pageNumber ?? 1);
        await using var db = read.CreateContext();
        View = await LikertViewer.LoadAsync(db, Study!, Filter, "en", DataModel.PageSize, ct);
    }

    public string Link(params (string Name, string? Value)[] changes) => DatasetLinks.With(Request, changes);
}
