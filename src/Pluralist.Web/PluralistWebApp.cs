using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Pluralist.Web.Console;
using Pluralist.Web.Infrastructure;
using Pluralist.Web.Participation.Tasks;

namespace Pluralist.Web;

/// <summary>Builds the participant app; used by Program, by <c>pluralist serve</c> and by tests.</summary>
public static class PluralistWebApp
{
    /// <summary>Builds the app, migrates the database and makes sure the default study exists.</summary>
    /// <param name="args">Command-line style settings (<c>--urls</c>, <c>--Pluralist:Data=...</c>).</param>
    /// <param name="settings">Configuration values that override the others (<c>Pluralist:Data</c>, <c>Pluralist:Db</c>, <c>Pluralist:Connection</c>).</param>
    /// <param name="telemetry">Exporters added to the OpenTelemetry pipeline (the tests' in-memory one); given, the pipeline is built even when none is configured.</param>
    public static async Task<WebApplication> CreateAsync(string[] args, IReadOnlyDictionary<string, string?>? settings = null, Action<OpenTelemetry.OpenTelemetryBuilder>? telemetry = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(PluralistWebApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddPluralistLogging();
        builder.AddPluralistTelemetry(telemetry);
        builder.AddPluralistStorage();
        builder.Services.AddParticipantSecurity(builder.Configuration);
        builder.Services.AddParticipantLocalization();
        builder.Services.AddParticipation(builder.Configuration);
        builder.Services.AddConsole(builder.Configuration);
        // One worker per instance runs every kind of background job from the database queue (Pluralist:Jobs tunes it).
        Pluralist.Studies.Jobs.JobsRegistration.AddJobWorker(builder.Services,
            builder.Configuration.GetSection("Pluralist:Jobs").Get<Pluralist.Studies.Jobs.JobWorkerOptions>() ?? new());
        Pluralist.Studies.Console.Jobs.PipelineJobsRegistration.AddPipelineJobs(builder.Services);
        // The console's study reports: the CLI's 1000 permutations and bootstrap replicates unless Pluralist:Reports says otherwise.
        Pluralist.Studies.Reports.ReportJobsRegistration.AddReportJobs(builder.Services,
            builder.Configuration.GetValue<int?>("Pluralist:Reports:Permutations"), builder.Configuration.GetValue<int?>("Pluralist:Reports:Bootstrap"),
            sp => sp.GetRequiredService<ReadDatabase>().Options);
        // Feature folders under the project root; every page declares its absolute URL (see PageRoutes).
        builder.Services.AddRazorPages(o =>
        {
            o.RootDirectory = "/";
            o.Conventions.Add(new PageRoutes());
        });
        builder.Services.AddProblemDetails();

        var app = builder.Build();
        app.Environment.WebRootFileProvider = new EmbeddedFileProvider(typeof(PluralistWebApp).Assembly, "Pluralist.Web.wwwroot");
        await app.PrepareDatabaseAsync();
        Configure(app);
        return app;
    }

    /// <summary>The middleware and endpoints.</summary>
    public static void Configure(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<PluralistWebOptions>>().Value;
        if (options.BehindProxy)
        {
            // First, so that everything after sees the client's address (rate limits) and scheme (cookies, links).
            app.UseForwardedHeaders();
        }

        app.UseRequestLog();
        app.UseSecurityHeaders();
        app.UseExceptionHandler("/error");
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.UseStaticFiles();
        app.UseRouting();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapParticipantApi();
        app.MapLanguageSwitch();
        app.MapConsoleApi();
        app.MapHealth();
    }
}
