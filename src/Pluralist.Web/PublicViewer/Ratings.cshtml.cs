using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Studies.Console.Dataset;
using Pluralist.Studies.Viewer;
using Pluralist.Web.Console.Dataset;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.PublicViewer;

/// <summary>/ratings of the public viewer: the bundle's Likert ratings (kept by the Likert cleaning when the viewer cleans).</summary>
public sealed class PublicRatingsModel(PublicDataset data) : PageModel
{
    public PublicDataset Data { get; } = data;

    public LikertView View { get; private set; } = null!;

    public LikertFilter Filter { get; private set; } = new(null, null);

    public void OnGet(string? question, string? category, string? dropped, [FromQuery(Name = "page")] int? pageNumber)
    {
        Filter = new LikertFilter(string.IsNullOrEmpty(question) ? null : question, string.IsNullOrEmpty(category) ? null : category, QueryFlag.IsOn(dropped), pageNumber ?? 1);
        View = Data.Ratings(Filter, DatasetTexts.Language(HttpContext), DataModel.PageSize);
    }

    public string Link(params (string Name, string? Value)[] changes) => DatasetLinks.With(Request, changes);
}
