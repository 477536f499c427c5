using Microsoft.Extensions.DependencyInjection;


namespace Pluralist.Studies.Console.Jobs;

/// <summary>Registration of the console's pipeline jobs.</summary>
public static class PipelineJobsRegistration
{
    public static IServiceCollection AddPipelineJobs(this IServiceCollection services)
    {
        services.AddSingleton<PipelineJobs>();
        services.AddHostedService(sp => sp.GetRequiredService<PipelineJobs>());
        services.AddSingleton<RaterJobs>();
        services.AddHostedService(sp => sp.GetRequiredService<RaterJobs>());
        return services;
    }
}
