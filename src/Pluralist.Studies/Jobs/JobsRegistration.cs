using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pluralist.Data;
using Pluralist.Data.Jobs;

namespace Pluralist.Studies.Jobs;

/// <summary>Registration of the database job queue and this instance's worker.</summary>
public static class JobsRegistration
{
    /// <summary>The queue, the worker (a hosted service) and <paramref name="options"/>; handlers are registered by each kind as <see cref="IJobHandler"/>.</summary>
    public static IServiceCollection AddJobWorker(this IServiceCollection services, JobWorkerOptions? options = null)
    {
        services.TryAddSingleton(options ?? new JobWorkerOptions());
        services.TryAddSingleton(sp => new JobQueue(sp.GetRequiredService<DatabaseOptions>()));
        services.TryAddSingleton<JobCancellation>();
        if (!services.Any(d => d.ServiceType == typeof(JobWorker)))
        {
            services.AddSingleton<JobWorker>();
            services.AddHostedService(sp => sp.GetRequiredService<JobWorker>());
        }

        return services;
    }
}
