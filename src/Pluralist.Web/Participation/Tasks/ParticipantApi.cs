using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>The JSON API a participant's page talks to, and the image files.</summary>
public static class ParticipantApi
{
    public static void AddParticipation(this IServiceCollection services, IConfiguration configuration)
    {
        var smtp = configuration.GetSection(PluralistWebOptions.Section + ":Smtp").Get<Pluralist.Studies.Accounts.SmtpOptions>() ?? new Pluralist.Studies.Accounts.SmtpOptions();
        if (smtp.Host is { Length: > 0 })
        {
            services.AddSingleton(smtp);
            services.AddSingleton<Pluralist.Studies.Accounts.IEmailSender, Pluralist.Studies.Accounts.SmtpEmailSender>();
        }
        else
        {
            services.AddSingleton<Pluralist.Studies.Accounts.IEmailSender, Pluralist.Studies.Accounts.OutboxEmailSender>();
        }

        services.AddScoped<Accounts.AccountService>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<CriteriaCounts>();
        services.AddSingleton<IItemProtector, DataProtectionItemProtector>();
        services.AddSingleton<LikertItemTokens>();
        // One use case per participant action, sharing the request's store.
        services.AddScoped<ParticipationStore>();
        services.AddScoped<JoinStudy>();
        services.AddScoped<PanelEntrance>();
        services.AddScoped<PanelExits>();
        services.AddScoped<IdentityAnswers>();
        services.AddScoped<GiveConsent>();
        services.AddScoped<SessionProgress>();
        services.AddScoped<QuotaPlaces>();
        services.AddScoped<NextRating>();
        services.AddScoped<NextAssignment>();
        services.AddScoped<SubmitAnswer>();
        services.AddScoped<RateImage>();
        services.AddScoped<AnswerHistory>();
        services.AddScoped<Withdrawal>();
        services.AddScoped<ParticipantImages>();
    }

    public static async Task SignInAsync(HttpContext ctx, Participant participant)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(participant);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, participant.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, participant.Pseudonym),
                new Claim(ClaimTypes.Role, participant.Role.ToString()),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await ctx.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }

    public static void MapParticipantApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/api").RequireAuthorization();
        api.MapGet("/assignments/{id:long}", GetAssignmentAsync);
        api.MapPost("/assignments/{id:long}/annotation", SubmitAsync);
        api.MapPost("/ratings", RateAsync);
        app.MapGet("/images/{id:long}", ImageAsync).RequireAuthorization();
    }

    internal static async Task<Results<Ok<AssignmentView>, NotFound>> GetAssignmentAsync(long id, HttpContext ctx, ParticipationStore store, CancellationToken ct)
    {
        var assignment = ctx.User.ParticipantId() is { } pid && await store.FindParticipantAsync(pid, ct) is not null
            ? await store.OwnAssignmentAsync(pid, id, ct)
            : null;
        if (assignment is null)
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok(new AssignmentView(assignment.Id, assignment.PairId, assignment.CriteriaShown, assignment.Image0OnLeft, assignment.Language, assignment.ServedAt));
    }

    internal static async Task<IResult> SubmitAsync(long id, SubmitRequest request, HttpContext ctx, ParticipationStore store, SubmitAnswer submit, SessionProgress sessions, CancellationToken ct)
    {
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var lang = Lang.Of(ctx);
        if (ctx.User.ParticipantId() is not { } pid || await store.FindParticipantAsync(pid, ct) is not { } participant
            || await store.StudyOfAsync(participant, ct) is not { } study)
        {
            return NotCurrent();
        }

        var assignment = await store.OwnAssignmentAsync(participant.Id, id, ct);
        if (assignment is null)
        {
            // A withdrawal that commits between the two reads deletes the assignment: say that the
            // participation ended, not that the assignment was never theirs.
            if (await store.FindParticipantAsync(participant.Id, ct) is null)
            {
                return NotCurrent();
            }

            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such assignment",
                detail: "This assignment does not exist or is not yours.");
        }

        var errors = AnswerErrors.ByField(SubmitAnswer.Validate(assignment, request, study.SliderSteps), lang);
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The answer was not saved", detail: string.Join(" ", errors.Values.SelectMany(v => v)));
        }

        var result = await submit.SubmitAsync(assignment, study, request, lang, ct);
        if (result.Refusal != Refusal.None || result.Annotation is not { } annotation)
        {
            return Refused(result.Refusal, lang);
        }

        var next = result.Changed ? "/history" : await NextPageAsync(sessions, participant, study, ct);
        var scores = annotation.Scores.OrderBy(s => s.Position).Select(s => new ScoreInput(s.CriterionKey, s.Score)).ToList();
        return Results.Ok(new SubmitResponse(annotation.Id, annotation.AssignmentId, request.ClientRequestId, scores, next, result.Duplicate, result.Changed));
    }

    internal static async Task<IResult> RateAsync(RatingRequest request, HttpContext ctx, ParticipationStore store, LikertItemTokens tokens, RateImage rate, SessionProgress sessions, CancellationToken ct)
    {
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var lang = Lang.Of(ctx);
        if (ctx.User.ParticipantId() is not { } pid || await store.FindParticipantAsync(pid, ct) is not { } participant
            || await store.StudyOfAsync(participant, ct) is not { } study)
        {
            return NotCurrent();
        }

        if (tokens.Read(participant.Id, request.ItemToken) is not { } item)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such item",
                detail: "The itemToken does not name an image given to you (or it has expired).");
        }

        var errors = AnswerErrors.ByField(RateImage.Validate(study, request, lang), lang);
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The answer was not saved", detail: string.Join(" ", errors.Values.SelectMany(v => v)));
        }

        var result = await rate.RateAsync(participant.Id, study, item.ImageId, item.ServedAt, request, lang, ct);
        if (result.Refusal != Refusal.None)
        {
            return Refused(result.Refusal, lang);
        }

        var next = result.Changed ? "/history" : await NextPageAsync(sessions, participant, study, ct);
        var answers = result.Rows.Select(r => new LikertAnswerInput(r.QuestionKey, r.Value)).ToList();
        return Results.Ok(new RatingResponse(item.ImageId, request.ClientRequestId, answers, result.Rows.Count > 0 ? result.Rows[0].SelectedCategories : [], next, result.Duplicate, result.Changed));
    }

    private static IResult NotCurrent() =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not a current participant",
            detail: "This session does not belong to a participant taking part in a study (they may have left it).");

    // The page shows the detail to the participant: in their language.
    private static IResult Refused(Refusal refusal, string lang)
    {
        var fr = lang == "fr";
        return refusal switch
        {
            Refusal.BatchClosed => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The batch is closed",
                detail: fr ? "Cette série est fermée : elle n'accepte plus de réponses." : "This batch is closed: it no longer takes answers."),
            Refusal.RequestIdReused => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "clientRequestId already used",
                detail: "This clientRequestId was already used for another answer; send a new one.",
                extensions: new Dictionary<string, object?> { ["field"] = "clientRequestId" }),
            _ => NotCurrent(),
        };
    }

    /// <summary>Where the page goes after an answer: the next task, or the break once the session cap is reached.</summary>
    private static async Task<string> NextPageAsync(SessionProgress sessions, Participant participant, Study study, CancellationToken ct) =>
        await sessions.OnBreakAsync(participant, study, ct) ? "/break" : "/task";

    internal static async Task<IResult> ImageAsync(long id, HttpContext ctx, ParticipationStore store, ParticipantImages images, DataDirectory data, CancellationToken ct)
    {
        var staff = ctx.User.IsInRole(nameof(Role.Researcher)) || ctx.User.IsInRole(nameof(Role.Admin)) || ctx.User.IsInRole(nameof(Role.Liaison));
        // A withdrawn participant's cookie stays valid until it expires: it must not show images any more.
        if (ctx.User.ParticipantId() is not { } pid || await store.FindParticipantAsync(pid, ct) is null
            || (!staff && !await images.MaySeeAsync(pid, id, ct)))
        {
            return Results.NotFound();
        }

        var image = await images.FindAsync(id, ct);
        if (image is null)
        {
            return Results.NotFound();
        }

        var root = Path.GetFullPath(data.ImagesPath) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(data.ImagesPath, image.StoragePath));
        if (!path.StartsWith(root, StringComparison.Ordinal) || !File.Exists(path))
        {
            return Results.NotFound();
        }

        var type = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            _ => "image/png",
        };
        ctx.Response.Headers.CacheControl = "private, max-age=86400";
        return Results.File(path, type);
    }
}

/// <summary>An assignment as the API returns it to its participant.</summary>
public sealed record AssignmentView(long Id, long PairId, IReadOnlyList<string> CriteriaShown, bool Image0OnLeft, string Language, DateTimeOffset ServedAt);
