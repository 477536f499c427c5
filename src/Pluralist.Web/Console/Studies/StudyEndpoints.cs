using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Studies.Console;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console.Studies;

/// <summary>The console's study endpoints: list the studies, create one, add a criterion (the JSON twins of the studies pages).</summary>
public static class StudyEndpoints
{
    internal static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/studies", StudiesAsync).RequireStaff(Role.Liaison);
        api.MapPost("/studies", CreateStudyAsync).RequireStaff(Role.Researcher);
        api.MapPost("/studies/{key}/criteria", AddCriterionAsync).RequireStaff(Role.Researcher);
    }

    private static async Task<Ok<IReadOnlyList<StudySummary>>> StudiesAsync(HttpContext ctx, ConsoleService service) =>
        TypedResults.Ok(await service.StudiesAsync(ctx.RequestAborted));

    public sealed record NewStudyRequest(string? Key, Dictionary<string, string>? Title, Dictionary<string, string>? Description, string? Template);

    /// <summary>Where a new study or criterion can be found.</summary>
    public sealed record StudyCreated(long Id, string Key);

    /// <summary>Creates a study (researchers): the same rules as the console's form, errors as problem details naming the field.</summary>
    private static async Task<Results<Created<StudyCreated>, ValidationProblem, ProblemHttpResult>> CreateStudyAsync(HttpContext ctx, ConsoleService service, NewStudyRequest request)
    {
        var staff = ConsoleAccess.Of(ctx).AllowedStaff;
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var key = request.Key?.Trim();
        var title = request.Title ?? [];
        var template = string.IsNullOrWhiteSpace(request.Template) ? null : request.Template;
        var studies = await service.StudiesAsync(ctx.RequestAborted);
        var errors = ConsoleService.ValidateNewStudy(key, title.GetValueOrDefault("en"), title.GetValueOrDefault("fr"), template, studies);
        var study = errors.Count > 0 ? null : await service.CreateStudyAsync(staff, key!,
            LocalizedText.Of(title["en"].Trim(), title["fr"].Trim()),
            LocalizedText.Of(request.Description?.GetValueOrDefault("en")?.Trim() ?? "", request.Description?.GetValueOrDefault("fr")?.Trim() ?? ""),
            template, ctx.RequestAborted);
        if (errors.Count == 0 && study is null)
        {
            errors["key"] = $"A study with the key '{key}' already exists.";
        }

        if (study is null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(kv => kv.Key, kv => new[] { kv.Value }), title: "The study was not created");
        }

        return TypedResults.Created($"/api/console/studies/{study.Key}/progress", new StudyCreated(study.Id, study.Key));
    }

    public sealed record CriterionRequest(string? Key, Dictionary<string, string>? Name, Dictionary<string, string>? Definition);

    /// <summary>Where a new criterion can be found.</summary>
    public sealed record CriterionCreated(string? Key);

    private static async Task<Results<Created<CriterionCreated>, ValidationProblem, ProblemHttpResult>> AddCriterionAsync(HttpContext ctx, ConsoleService service, string key, CriterionRequest request)
    {
        var access = ConsoleAccess.Of(ctx);
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var errors = ValidateCriterion(access.AllowedStudy, request.Key, request.Name ?? [], creating: true);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await service.AddCriterionAsync(access.AllowedStaff, access.AllowedStudy, request.Key!, new LocalizedText(request.Name!), new LocalizedText(request.Definition ?? []), ctx.RequestAborted);
        return TypedResults.Created($"/api/console/studies/{key}/criteria/{request.Key}", new CriterionCreated(request.Key));
    }

    /// <summary>Problems with a criterion, by field: a new, valid key and a name in English and in French.</summary>
    public static Dictionary<string, string[]> ValidateCriterion(Study study, string? key, IReadOnlyDictionary<string, string> name, bool creating)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(name);
        var errors = new Dictionary<string, string[]>();
        if (creating)
        {
            if (string.IsNullOrWhiteSpace(key) || !BundleFormat.IsKey(key))
            {
                errors["key"] = ["A key is required: lower-case letters, digits and '-' (for example 'shade')."];
            }
            else if (study.Criteria.Any(c => c.Key == key))
            {
                errors["key"] = [$"The study already has a criterion '{key}'."];
            }
        }

        foreach (var lang in new[] { "en", "fr" })
        {
            if (!name.TryGetValue(lang, out var n) || string.IsNullOrWhiteSpace(n))
            {
                errors[$"name.{lang}"] = [$"A name in {(lang == "en" ? "English" : "French")} is required: participants read the criterion in their language."];
            }
        }

        return errors;
    }
}
