using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Pluralist.Data;
using Pluralist.Studies.Demo;
using Pluralist.Web;

namespace Pluralist.Cli;

/// <summary><c>pluralist serve [--urls URL] [--demo] [--telemetry none|console|otlp]</c>: runs the participant app.</summary>
public static class ServeCommands
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Address to listen on (default http://127.0.0.1:5080).",
            DefaultValueFactory = _ => "http://127.0.0.1:5080",
        };
        var demo = new Option<bool>("--demo") { Description = "Seed a demo study with images, pairs, an open batch and invitation codes, and print the codes." };
        var simulate = new Option<int>("--simulate") { Description = "With --demo: pre-fill the study with answers from this many simulated participants (30 pairs each)." };
        var telemetry = new Option<string?>("--telemetry")
        {
            Description = "OpenTelemetry metrics and traces: none, console (stdout) or otlp (OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4317). Unset: otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none.",
        };
        var serve = new Command("serve", "Run the participant app on the data directory's database.") { urls, demo, simulate, telemetry };
        serve.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var exporter = parse.GetValue(telemetry);
            CommandHelpers.Require(exporter is null || Pluralist.Web.Infrastructure.Telemetry.Exporters.Contains(exporter), "--telemetry", $"'{exporter}' is not one of none, console, otlp");
            var (data, options) = CliContext.Resolve(parse);
            data.EnsureCreated();
            var address = parse.GetValue(urls)!;
            var settings = new Dictionary<string, string?>
            {
                ["Pluralist:Data"] = data.Root,
                ["Pluralist:Db"] = options.Provider == DatabaseProvider.Postgres ? "postgres" : "sqlite",
                ["Pluralist:Connection"] = options.ConnectionString,
            };
            if (exporter is not null)
            {
                settings[Pluralist.Web.Infrastructure.Telemetry.Setting] = exporter;
            }

            await using var app = await PluralistWebApp.CreateAsync(["--urls", address], settings).ConfigureAwait(false);
            if (parse.GetValue(demo))
            {
                await using var db = PluralistDatabase.CreateContext(options);
                var seed = await DemoSeeder.SeedAsync(db, data, DateTimeOffset.UtcNow, ct: ct, attentionChecks: true).ConfigureAwait(false);
                Console.WriteLine($"Demo study '{seed.Study.Key}': {seed.Prompts} prompts, {seed.Images} images, {seed.Pairs} pairs.");
                if (parse.GetValue(simulate) > 0)
                {
                    var sim = await DemoSeeder.SimulateAsync(db, data, seed.Study.Key, parse.GetValue(simulate), 30, World.Simulation.BehaviourMix.Default, 1, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
                    Console.WriteLine($"Simulated {sim.Participants} participants: {sim.Annotations} annotations.");
                }

                Console.WriteLine("Invitation codes (each works once):");
                var first = address.Split(';')[0].TrimEnd('/');
                foreach (var code in seed.InvitationCodes)
                {
                    Console.WriteLine($"  {code}   {first}/?code={code}");
                }
            }

            var exporterName = Pluralist.Web.Infrastructure.Telemetry.ExporterOf(app.Configuration);
            Console.WriteLine($"Participant app: {address} (data: {data.Root}, database: {options}, telemetry: {exporterName}). Press Ctrl+C to stop.");
            await app.StartAsync(ct).ConfigureAwait(false);
            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return 0;
        }));
        return serve;
    }
}
