using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Evaluation;
using Pluralist.Studies.Console.Pairs;
using Pluralist.Studies.Console.Pools;

namespace Pluralist.Web.Console;

/// <summary>The researcher console's services, and its endpoint groups (<c>/api/console</c>, <c>/console</c>) behind the one staff filter; each area maps its own endpoints.</summary>
public static class ConsoleApi
{
    public static void AddConsole(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddScoped<ConsoleService>();
        services.AddScoped<PoolUploads>();
        services.AddSingleton<Thumbnails>();
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
        // Each area maps its own endpoints (its folder holds its page, its endpoints and their handlers).
        var api = app.MapGroup("/api/console").AddEndpointFilter<ConsoleAccessFilter>();
        var console = app.MapGroup("/console").AddEndpointFilter<ConsoleAccessFilter>();
        Studies.StudyEndpoints.Map(api);
        Progress.ProgressEndpoints.Map(api, console);
        Quotas.QuotaEndpoints.Map(api);
        People.PeopleEndpoints.Map(api);
        Dataset.ExportEndpoint.Map(console);
        Pools.ThumbnailEndpoint.Map(console);
        Reports.ReportEndpoints.Map(console);
    }
}
