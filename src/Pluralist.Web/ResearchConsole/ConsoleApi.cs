using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.ResearchConsole;

/// <summary>The researcher console's services and JSON API (<c>/api/console</c>).</summary>
public static class ConsoleApi
{
    public static void AddConsole(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddScoped<ConsoleService>();
        services.AddScoped<ImagePools>();
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
        var api = app.MapGroup("/api/console");
        api.MapGet("/studies", StudiesAsync);
        api.MapPost("/studies", CreateStudyAsync);
        api.MapGet("/studies/{key}/progress", ProgressAsync);
        api.MapPost("/studies/{key}/criteria", AddCriterionAsync);
        api.MapGet("/studies/{key}/quotas", QuotasAsync);
        api.MapPut("/studies/{key}/quotas", SetQuotasAsync);
        api.MapDelete("/studies/{key}/quotas", RemoveQuotasAsync);
        api.MapPost("/studies/{key}/participants/{pseudonym}/code", ResetCodeAsync);
        app.MapGet("/console/studies/{key}/export.zip", ExportAsync);
        app.MapGet("/console/assets/{name}", Asset);
    }

    // Vega, Vega-Lite and vega-embed, from the builds embedded in Pluralist.Analysis (npm, no CDN).
    private static IResult Asset(HttpContext ctx, string name)
    {
        if (!Pluralist.Analysis.Reports.ReportHtml.Scripts.Contains(name))
        {
            return Results.NotFound();
        }

        ctx.Response.Headers.CacheControl = "public, max-age=86400";
        return Results.Text(Pluralist.Analysis.Reports.ReportHtml.Script(name), "text/javascript; charset=utf-8");
    }

    /// <summary>The signed-in staff member if their role is at least <paramref name="minimum"/>; else the refusal (401 or 403).</summary>
    public static async Task<(Participant? Staff, IResult? Denied)> RequireAsync(HttpContext ctx, Role minimum)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (ctx.User.ParticipantId() is not { } id)
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in to the console first"));
        }

        var service = ctx.RequestServices.GetRequiredService<ConsoleService>();
        var staff = await service.FindStaffAsync(id, ctx.RequestAborted);
        if (staff is null || staff.Role < minimum)
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed",
                detail: $"This needs the {minimum.ToToken()} role or higher."));
        }

        return (staff, null);
    }

    private static async Task<IResult> StudiesAsync(HttpContext ctx, ConsoleService service)
    {
        var (_, denied) = await RequireAsync(ctx, Role.Liaison);
        return denied ?? TypedResults.Ok(await service.StudiesAsync(ctx.RequestAborted));
    }

    public sealed record NewStudyRequest(string? Key, Dictionary<string, string>? Title, Dictionary<string, string>? Description, string? Template);

    /// <summary>Creates a study (researchers): the same rules as the console's form, errors as problem details naming the field.</summary>
    private static async Task<IResult> CreateStudyAsync(HttpContext ctx, ConsoleService service, NewStudyRequest request)
    {
        var (staff, denied) = await RequireAsync(ctx, Role.Researcher);
        if (denied is not null)
        {
            return denied;
        }

        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var key = request.Key?.Trim();
        var title = request.Title ?? [];
        var template = string.IsNullOrWhiteSpace(request.Template) ? null : request.Template;
        var studies = await service.StudiesAsync(ctx.RequestAborted);
        var errors = ConsoleService.ValidateNewStudy(key, title.GetValueOrDefault("en"), title.GetValueOrDefault("fr"), template, studies);
        var study = errors.Count > 0 ? null : await service.CreateStudyAsync(staff!, key!,
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

        return TypedResults.Created($"/api/console/studies/{study.Key}/progress", new { id = study.Id, key = study.Key });
    }

    private static async Task<IResult> ProgressAsync(HttpContext ctx, ConsoleService service, string key, long? batch)
    {
        var (_, denied) = await RequireAsync(ctx, Role.Liaison);
        if (denied is not null)
        {
            return denied;
        }

        var study = await service.FindStudyAsync(key, ctx.RequestAborted);
        return study is null ? NotFound(key) : TypedResults.Ok(await StudyProgress.ComputeAsync(service.Db, study, batch, ctx.RequestAborted));
    }

    private static async Task<IResult> QuotasAsync(HttpContext ctx, ConsoleService service, string key)
    {
        var (_, denied) = await RequireAsync(ctx, Role.Liaison);
        if (denied is not null)
        {
            return denied;
        }

        var study = await service.FindStudyAsync(key, ctx.RequestAborted);
        return study is null ? NotFound(key) : TypedResults.Ok(await QuotaFill.ComputeAsync(service.Db, study, ctx.RequestAborted));
    }

    private static async Task<IResult> SetQuotasAsync(HttpContext ctx, ConsoleService service, string key, QuotaSettings request)
    {
        var (staff, study, refused) = await StudyChangeAsync(ctx, service, key, Role.Researcher);
        if (refused is not null)
        {
            return refused;
        }

        var quotas = request.ToQuotas();
        var problems = Core.Assignments.QuotaPicker.Problems(quotas, study.IdentityMarkers);
        if (problems.Count > 0)
        {
            return TypedResults.ValidationProblem(problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()));
        }

        await service.SetQuotasAsync(staff, study, quotas, ctx.RequestAborted);
        return TypedResults.Ok(QuotaSettings.Of(quotas));
    }

    private static async Task<IResult> RemoveQuotasAsync(HttpContext ctx, ConsoleService service, string key)
    {
        var (staff, study, refused) = await StudyChangeAsync(ctx, service, key, Role.Researcher);
        if (refused is not null)
        {
            return refused;
        }

        await service.SetQuotasAsync(staff, study, null, ctx.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>A new code for a participant who lost theirs (liaisons may: they hand out codes); the old ones stop working.</summary>
    private static async Task<IResult> ResetCodeAsync(HttpContext ctx, ConsoleService service, string key, string pseudonym)
    {
        var (staff, study, refused) = await StudyChangeAsync(ctx, service, key, Role.Liaison);
        if (refused is not null)
        {
            return refused;
        }

        var made = await service.ResetCodeAsync(staff, study, pseudonym, Pages.Console.PeopleModel.ResetDays, ctx.RequestAborted);
        return made is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such participant", detail: $"There is no participant '{pseudonym}' in '{key}' who has not withdrawn.")
            : TypedResults.Ok(new { participant = pseudonym, code = made.Code, expiresAt = made.ExpiresAt });
    }

    public sealed record CriterionRequest(string? Key, Dictionary<string, string>? Name, Dictionary<string, string>? Definition);

    private static async Task<IResult> AddCriterionAsync(HttpContext ctx, ConsoleService service, string key, CriterionRequest request)
    {
        var (staff, study, refused) = await StudyChangeAsync(ctx, service, key, Role.Researcher);
        if (refused is not null)
        {
            return refused;
        }

        var errors = ValidateCriterion(study, request.Key, request.Name ?? [], creating: true);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await service.AddCriterionAsync(staff, study, request.Key!, new LocalizedText(request.Name!), new LocalizedText(request.Definition ?? []), ctx.RequestAborted);
        return TypedResults.Created($"/api/console/studies/{key}/criteria/{request.Key}", new { key = request.Key });
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

    /// <summary>The study bundle as a .zip. Researchers and admins only: it may hold consented identity markers.</summary>
    private static async Task<IResult> ExportAsync(HttpContext ctx, ConsoleService service, DataDirectory data, string key)
    {
        var (staff, denied) = await RequireAsync(ctx, Role.Researcher);
        if (denied is not null)
        {
            return denied;
        }

        var study = await service.FindStudyAsync(key, ctx.RequestAborted);
        if (study is null)
        {
            return NotFound(key);
        }

        var folder = Directory.CreateTempSubdirectory("pluralist-export-").FullName;
        var zip = Path.Combine(folder, $"{key}.zip");
        // By id: the route's key was already resolved, and an older all-digit key must not be read as an id.
        using (var bundle = await StudyExporter.LoadAsync(service.Db, data, StudyKeys.IdPrefix + study.Id.ToString(CultureInfo.InvariantCulture), ctx.RequestAborted))
        {
            BundleWriter.Write(bundle, zip, zip: true);
            service.Audit(staff!, study, "export.bundle", new { via = "console", participants = bundle.Participants.Count, annotations = bundle.Annotations.Count, markers = bundle.IdentityAnswers.Count });
        }

        await service.Db.SaveChangesAsync(ctx.RequestAborted);
        var bytes = await File.ReadAllBytesAsync(zip, ctx.RequestAborted);
        Directory.Delete(folder, recursive: true);
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        return TypedResults.File(bytes, "application/zip", $"{key}-{stamp}.zip");
    }

    /// <summary>
    /// The checks every change to a study goes through, in this order: signed in with at least <paramref name="minimum"/>
    /// (401/403), the anti-forgery token (400), the study exists (404).
    /// </summary>
    private static async Task<(Participant Staff, Study Study, IResult? Refused)> StudyChangeAsync(HttpContext ctx, ConsoleService service, string key, Role minimum)
    {
        var (staff, denied) = await RequireAsync(ctx, minimum);
        if (denied is not null)
        {
            return (null!, null!, denied);
        }

        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return (null!, null!, csrf);
        }

        var study = await service.FindStudyAsync(key, ctx.RequestAborted);
        return study is null ? (null!, null!, NotFound(key)) : (staff!, study, null);
    }

    private static ProblemHttpResult NotFound(string key) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such study", detail: $"There is no study with key '{key}'.");
}
