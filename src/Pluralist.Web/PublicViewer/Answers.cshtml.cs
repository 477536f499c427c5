using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Studies.Console.Dataset;
using Pluralist.Studies.Viewer;
using Pluralist.Web.Console.Dataset;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.PublicViewer;

/// <summary>/ of the public viewer: the bundle's pairs and answers, kept by cleaning by default, the dropped ones with <c>dropped=true</c>.</summary>
public sealed class AnswersModel(PublicDataset data) : PageModel
{
    public PublicDataset Data { get; } = data;

    public DatasetView View { get; private set; } = null!;

    public DatasetFilter Filter { get; private set; } = new(null, null, null, null, null, null);

    public void OnGet(long? prompt, string? criterion, string? dropped, double? min, double? max, [FromQuery(Name = "page")] int? pageNumber)
    {
        Filter = new DatasetFilter(prompt, string.IsNullOrEmpty(criterion) ? null : criterion, null, null, null, null, QueryFlag.IsOn(dropped), min, max, pageNumber ?? 1);
        View = Data.Answers(Filter, DataModel.PageSize);
    }

    public string Link(params (string Name, string? Value)[] changes) => DatasetLinks.With(Request, changes);
}
