using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Evaluation;
using Pluralist.Studies.Console.Monitoring;
using Pluralist.Studies.Console.Pairs;
using Pluralist.Studies.Console.Pools;
using Pluralist.Studies.Console.Quotas;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console;

/// <summary>The researcher console's services and JSON API (<c>/api/console</c>).</summary>
public static class ConsoleApi
{
    public static void AddConsole(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddScoped<ConsoleService>();
        services.AddScoped<PoolUploads>();
        services.AddScoped<PairBuilder>();
        services.AddScoped<EvaluationStudies>();
        services.AddScoped<EvaluationTallies>();
        services.AddOptions<Data.Imports.ImportLimits>().Bind(configuration.GetSection(Data.Imports.ImportLimits.Section))
            .Validate(IsValid, $"every setting under {Data.Imports.ImportLimits.Section} must be positive").ValidateOnStart();
    }

    private static bool IsValid(Data.Imports.ImportLimits limits)
    {
        try
        {
            limits.Validated();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static void MapConsoleApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Every endpoint here goes through ConsoleAccessFilter and declares its role; one that does not is refused.
        var api = app.MapGroup("/api/console").AddEndpointFilter<ConsoleAccessFilter>();
        api.MapGet("/studies", StudiesAsync).RequireStaff(Role.Liaison);
        api.MapPost("/studies", CreateStudyAsync).RequireStaff(Role.Researcher);
        api.MapGet("/studies/{key}/progress", ProgressAsync).RequireStaff(Role.Liaison);
        api.MapPost("/studies/{key}/criteria", AddCriterionAsync).RequireStaff(Role.Researcher);
        api.MapGet("/studies/{key}/quotas", QuotasAsync).RequireStaff(Role.Liaison);
        api.MapPut("/studies/{key}/quotas", SetQuotasAsync).RequireStaff(Role.Researcher);
        api.MapDelete("/studies/{key}/quotas", RemoveQuotasAsync).RequireStaff(Role.Researcher);
        // Liaisons may: they hand out codes.
        api.MapPost("/studies/{key}/participants/{pseudonym}/code", ResetCodeAsync).RequireStaff(Role.Liaison);

        var console = app.MapGroup("/console").AddEndpointFilter<ConsoleAccessFilter>();
        // Researchers and admins only: the bundle may hold consented identity markers.
        console.MapGet("/studies/{key}/export.zip", ExportAsync).RequireStaff(Role.Researcher);
        // Open-source chart scripts, nothing about any study.
        console.MapGet("/assets/{name}", Asset).AllowAnonymous();
    }

    // Vega, Vega-Lite and vega-embed, from the builds embedded in Pluralist.Analysis (npm, no CDN).
    private static Results<ContentHttpResult, NotFound> Asset(HttpContext ctx, string name)
    {
        if (!Pluralist.Analysis.Reports.ReportHtml.Scripts.Contains(name))
        {
            return TypedResults.NotFound();
        }

        ctx.Response.Headers.CacheControl = "public, max-age=86400";
        return TypedResults.Text(Pluralist.Analysis.Reports.ReportHtml.Script(name), "text/javascript; charset=utf-8");
    }

    private static async Task<Ok<IReadOnlyList<StudySummary>>> StudiesAsync(HttpContext ctx, ConsoleService service) =>
        TypedResults.Ok(await service.StudiesAsync(ctx.RequestAborted));

    public sealed record NewStudyRequest(string? Key, Dictionary<string, string>? Title, Dictionary<string, string>? Description, string? Template);

    /// <summary>Where a new study or criterion can be found.</summary>
    public sealed record StudyCreated(long Id, string Key);

    /// <summary>A participant's new code.</summary>
    public sealed record CodeReset(string Participant, string Code, DateTimeOffset ExpiresAt);

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

    private static async Task<Ok<StudyProgressReport>> ProgressAsync(HttpContext ctx, ConsoleService service, long? batch) =>
        TypedResults.Ok(await StudyProgress.ComputeAsync(service.Db, ConsoleAccess.Of(ctx).AllowedStudy, batch, ctx.RequestAborted));

    private static async Task<Ok<QuotaReport>> QuotasAsync(HttpContext ctx, ConsoleService service) =>
        TypedResults.Ok(await QuotaFill.ComputeAsync(service.Db, ConsoleAccess.Of(ctx).AllowedStudy, ctx.RequestAborted));

    private static async Task<Results<Ok<QuotaSettings>, ValidationProblem, ProblemHttpResult>> SetQuotasAsync(HttpContext ctx, ConsoleService service, QuotaSettings request)
    {
        var access = ConsoleAccess.Of(ctx);
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var quotas = request.ToQuotas();
        var problems = Core.Assignments.QuotaPicker.Problems(quotas, access.AllowedStudy.IdentityMarkers);
        if (problems.Count > 0)
        {
            return TypedResults.ValidationProblem(problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()));
        }

        await service.SetQuotasAsync(access.AllowedStaff, access.AllowedStudy, quotas, ctx.RequestAborted);
        return TypedResults.Ok(QuotaSettings.Of(quotas));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveQuotasAsync(HttpContext ctx, ConsoleService service)
    {
        var access = ConsoleAccess.Of(ctx);
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        await service.SetQuotasAsync(access.AllowedStaff, access.AllowedStudy, null, ctx.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>A new code for a participant who lost theirs; the old ones stop working.</summary>
    private static async Task<Results<Ok<CodeReset>, ProblemHttpResult>> ResetCodeAsync(HttpContext ctx, ConsoleService service, string key, string pseudonym)
    {
        var access = ConsoleAccess.Of(ctx);
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var made = await service.ResetCodeAsync(access.AllowedStaff, access.AllowedStudy, pseudonym, People.PeopleModel.ResetDays, ctx.RequestAborted);
        return made is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such participant", detail: $"There is no participant '{pseudonym}' in '{key}' who has not withdrawn.")
            : TypedResults.Ok(new CodeReset(pseudonym, made.Code, made.ExpiresAt));
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

    /// <summary>The study bundle as a .zip.</summary>
    private static async Task<FileContentHttpResult> ExportAsync(HttpContext ctx, ConsoleService service, DataDirectory data, string key)
    {
        var (staff, study) = (ConsoleAccess.Of(ctx).AllowedStaff, ConsoleAccess.Of(ctx).AllowedStudy);
        var folder = Directory.CreateTempSubdirectory("pluralist-export-").FullName;
        var zip = Path.Combine(folder, $"{key}.zip");
        // By id: the route's key was already resolved, and an older all-digit key must not be read as an id.
        using (var bundle = await StudyExporter.LoadAsync(service.Db, data, StudyKeys.IdPrefix + study.Id.ToString(CultureInfo.InvariantCulture), ctx.RequestAborted))
        {
            BundleWriter.Write(bundle, zip, zip: true);
            service.Audit(staff, study, "export.bundle", new { via = "console", participants = bundle.Participants.Count, annotations = bundle.Annotations.Count, markers = bundle.IdentityAnswers.Count });
        }

        await service.Db.SaveChangesAsync(ctx.RequestAborted);
        var bytes = await File.ReadAllBytesAsync(zip, ctx.RequestAborted);
        Directory.Delete(folder, recursive: true);
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        return TypedResults.File(bytes, "application/zip", $"{key}-{stamp}.zip");
    }
}
