using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Evaluation;

namespace Pluralist.Web.Console.Evaluation;

/// <summary>/console/studies/{key}/evaluation: blind A/B pairs between two generators and their tally as answers come in.</summary>
public sealed class EvaluationModel(ConsoleService service, EvaluationStudies evaluations, EvaluationTallies tallies) : ConsolePage(service)
{
    public IReadOnlyList<(string Generator, int Images, int Prompts)> Generators { get; private set; } = [];

    public string? A { get; private set; }

    public string? B { get; private set; }

    public EvaluationTally? Tally { get; private set; }

    public string? Message { get; private set; }

    public string? Error { get; private set; }

    public async Task OnGetAsync(string? a, string? b, string? message, CancellationToken ct)
    {
        Message = message;
        Generators = await evaluations.GeneratorsAsync(Study!, ct);
        (A, B) = (a, b);
        if (a is not null && b is not null && a != b)
        {
            Tally = await tallies.TallyAsync(Study!, a, b, ct);
        }
    }

    public async Task<IActionResult> OnPostAsync(string? a, string? b, long? batch, int? seeds, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        Generators = await evaluations.GeneratorsAsync(Study!, ct);
        if (a is null || b is null || a == b || Generators.All(g => g.Generator != a) || Generators.All(g => g.Generator != b))
        {
            Error = "Choose two different generators of this study.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        EvaluationCreated made;
        try
        {
            made = await evaluations.CreateEvaluationAsync(Staff, Study!, new EvaluationDesign(a, b, seeds ?? 1, BatchId: batch), ct);
        }
        catch (Pluralist.Studies.StudyInputException e)
        {
            Error = e.Message;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var message = $"{made.Pairs} evaluation pairs created over {made.Prompts} prompts ({made.MatchedBySeed} with the same seed for both models, {made.ByOrder} of images without seeds, paired in order)" +
            (made.AlreadyThere > 0 ? $"; {made.AlreadyThere} existed already" : "") +
            (made.NoCommonSeed.Count > 0 ? $"; {made.NoCommonSeed.Count} prompts have no seed in common and got no pair" : "") + ".";
        return Redirect($"/console/studies/{Study!.Key}/evaluation?a={Uri.EscapeDataString(a)}&b={Uri.EscapeDataString(b)}&message={Uri.EscapeDataString(message)}");
    }
}
