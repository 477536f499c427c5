using Microsoft.Extensions.DependencyInjection;
using Pluralist.Studies.Jobs;

namespace Pluralist.Studies.Console.Jobs;

/// <summary>Registration of the console's image and offline rater jobs (handlers of the database job queue).</summary>
public static class PipelineJobsRegistration
{
    public static IServiceCollection AddPipelineJobs(this IServiceCollection services)
    {
        services.AddJobWorker();
        services.AddSingleton<PipelineJobs>();
        services.AddSingleton<IJobHandler>(sp => sp.GetRequiredService<PipelineJobs>());
        services.AddSingleton<RaterJobs>();
        services.AddSingleton<IJobHandler>(sp => sp.GetRequiredService<RaterJobs>());
        return services;
    }
}
