using Microsoft.AspNetCore.Mvc.ApplicationModels;

namespace Pluralist.Web.Infrastructure;

/// <summary>
/// Pages live in feature folders under the project root (Razor Pages' root directory is <c>/</c>), so a page's
/// folder is not its URL: every page declares an absolute route in its <c>@page "/..."</c> directive. This
/// convention stops the app at start when a page has none (its route would follow the folder, and a move would
/// change a URL), and gives the home page its <c>/Index</c> alias, which Razor Pages gave an <c>Index.cshtml</c>
/// under <c>Pages/</c>.
/// </summary>
public sealed class PageRoutes : IPageRouteModelConvention
{
    /// <summary>The page that answers <c>/</c>.</summary>
    public const string Home = "/Participation/Join/Index";

    public void Apply(PageRouteModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        // The public viewer's pages belong to its own app (PublicViewerApp), never to this one.
        if (model.ViewEnginePath.StartsWith(PublicViewer.PublicViewerApp.Folder + "/", StringComparison.Ordinal))
        {
            model.Selectors.Clear();
            return;
        }

        var path = model.ViewEnginePath.TrimStart('/');
        var folder = path.EndsWith("/Index", StringComparison.Ordinal) ? path[..^"/Index".Length] : null;
        foreach (var selector in model.Selectors)
        {
            var template = selector.AttributeRouteModel?.Template;
            if (template is null || string.Equals(template, path, StringComparison.OrdinalIgnoreCase) || string.Equals(template, folder, StringComparison.OrdinalIgnoreCase)
                || template.StartsWith(path + "/", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"{model.RelativePath}: a page in a feature folder needs an absolute route, @page \"/...\"; '{template}' follows its folder");
            }
        }

        if (model.ViewEnginePath == Home)
        {
            model.Selectors.Add(new SelectorModel { AttributeRouteModel = new AttributeRouteModel { Template = "Index", SuppressLinkGeneration = true } });
        }
    }
}
