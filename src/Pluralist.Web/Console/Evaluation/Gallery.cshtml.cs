using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Evaluation;

namespace Pluralist.Web.Console.Evaluation;

/// <summary>
/// /console/studies/{key}/evaluation/gallery?a=&amp;b=: the base and aligned images side by side per prompt, with the answers per
/// criterion (LIVS Fig. 5, 12-14). Every staff role: it shows counts of answers, never who gave them.
/// </summary>
public sealed class GalleryModel(ConsoleService service, EvaluationStudies evaluations, EvaluationTallies tallies) : ConsolePage(service)
{
    public string? A { get; private set; }

    public string? B { get; private set; }

    public string? Error { get; private set; }

    public IReadOnlyList<EvaluationGalleryPrompt> Prompts { get; private set; } = [];

    public async Task OnGetAsync(string? a, string? b, CancellationToken ct)
    {
        (A, B) = (a, b);
        var generators = (await evaluations.GeneratorsAsync(Study!, ct)).Select(g => g.Generator).ToHashSet(StringComparer.Ordinal);
        if (a is null || b is null || a == b || !generators.Contains(a) || !generators.Contains(b))
        {
            Error = "Choose two different generators of this study on the evaluation page.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Prompts = await tallies.GalleryAsync(Study!, a, b, ct);
    }
}
