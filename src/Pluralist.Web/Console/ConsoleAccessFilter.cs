using Pluralist.Core.Model;

namespace Pluralist.Web.Console;

/// <summary>Endpoint metadata: the least role that may call a console endpoint (see <see cref="ConsoleAccessFilter"/>).</summary>
/// <param name="Minimum">Liaison, researcher or admin.</param>
public sealed record StaffRequirement(Role Minimum);

/// <summary>
/// The console endpoints' authorisation: runs <see cref="ConsoleAccess.CheckAsync"/> with the endpoint's
/// <see cref="StaffRequirement"/> and answers refusals with problem details. An endpoint that declares no role is
/// refused (403) unless it is explicitly anonymous (<c>AllowAnonymous()</c>, for public assets).
/// </summary>
public sealed partial class ConsoleAccessFilter(ILogger<ConsoleAccessFilter> logger) : IEndpointFilter
{
    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var ctx = context.HttpContext;
        var endpoint = ctx.GetEndpoint();
        var requirement = endpoint?.Metadata.GetMetadata<StaffRequirement>();
        if (requirement is null)
        {
            if (endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null)
            {
                return await next(context);
            }

            Undeclared(logger, endpoint?.DisplayName ?? ctx.Request.Path.ToString());
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed",
                detail: "This console endpoint declares no staff role, so nobody may call it.");
        }

        var access = await ConsoleAccess.CheckAsync(ctx, requirement.Minimum);
        if (access.Problem() is { } refused)
        {
            return refused;
        }

        ctx.Features.Set(access);
        return await next(context);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "console endpoint {Endpoint} declares no staff role (RequireStaff) and was refused")]
    private static partial void Undeclared(ILogger logger, string endpoint);
}

/// <summary>Declares the staff role a console endpoint needs.</summary>
public static class StaffRequirementExtensions
{
    /// <summary>Only staff with <paramref name="minimum"/> or a higher role may call the endpoint (liaison by default).</summary>
    public static TBuilder RequireStaff<TBuilder>(this TBuilder builder, Role minimum = Role.Liaison) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (minimum < Role.Liaison)
        {
            throw new ArgumentOutOfRangeException(nameof(minimum), minimum, "console endpoints need a staff role: liaison, researcher or admin");
        }

        return builder.WithMetadata(new StaffRequirement(minimum));
    }
}
