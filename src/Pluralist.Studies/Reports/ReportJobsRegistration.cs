using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pluralist.Data;
using Pluralist.Data.Jobs;
using Pluralist.Studies.Jobs;

namespace Pluralist.Studies.Reports;

/// <summary>Registration of the console's report jobs.</summary>
public static class ReportJobsRegistration
{
    /// <summary>
    /// Report jobs with the CLI's defaults, or <paramref name="permutations"/> and <paramref name="bootstrap"/> when given.
    /// They read the registered <see cref="DatabaseOptions"/>, or what <paramref name="readFrom"/> gives (a read replica).
    /// </summary>
    public static IServiceCollection AddReportJobs(this IServiceCollection services, int? permutations = null, int? bootstrap = null, Func<IServiceProvider, DatabaseOptions>? readFrom = null)
    {
        var settings = new StudyReportInputs.Request { Study = "" };
        settings = settings with
        {
            Permutations = permutations ?? settings.Permutations,
            BootstrapReplicates = bootstrap ?? settings.BootstrapReplicates,
        };
        StudyReportInputs.Check(settings);
        services.AddJobWorker();
        services.AddSingleton(sp => new ReportJobs(sp.GetRequiredService<JobQueue>(), sp.GetRequiredService<DataDirectory>(), sp.GetRequiredService<ILogger<ReportJobs>>(), readFrom?.Invoke(sp)) { Settings = settings });
        services.AddSingleton<IJobHandler>(sp => sp.GetRequiredService<ReportJobs>());
        return services;
    }
}
