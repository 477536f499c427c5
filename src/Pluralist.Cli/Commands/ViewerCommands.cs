using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Pluralist.Studies.Viewer;
using Pluralist.Web.PublicViewer;

namespace Pluralist.Cli;

/// <summary><c>pluralist viewer serve BUNDLE [--urls URL] [--clean] [--rules FILE] [--requests-per-minute N]</c>: the public read-only viewer of a released bundle.</summary>
public static class ViewerCommands
{
    public static Command Create()
    {
        var bundle = new Argument<FileSystemInfo>("BUNDLE") { Description = "A study bundle (folder or .zip), as `study export` writes it." };
        var urls = new Option<string>("--urls")
        {
            Description = "Address to listen on (default http://127.0.0.1:5090).",
            DefaultValueFactory = _ => "http://127.0.0.1:5090",
        };
        var clean = new Option<bool>("--clean") { Description = "Clean the answers with the LIVS default rules (and the ratings with the Likert rules) when the bundle is opened; the viewer then shows the kept ones by default." };
        var rules = new Option<FileInfo?>("--rules") { Description = "Clean with this rules file (JSON, see docs/cleaning.md) instead; implies --clean." };
        var perMinute = new Option<int>("--requests-per-minute")
        {
            Description = $"Requests a minute each client address may make; past it the viewer answers 429 with Retry-After (default {PublicViewerApp.DefaultRequestsPerMinute}; 0: no limit, when a proxy in front limits instead).",
            DefaultValueFactory = _ => PublicViewerApp.DefaultRequestsPerMinute,
        };
        var serve = new Command("serve", "Serve a released bundle read-only: pairs, answers, Likert ratings and images, with no identity data, no sign-in and no writes.") { bundle, urls, clean, rules, perMinute };
        serve.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var limit = parse.GetValue(perMinute);
            if (limit < 0)
            {
                throw new CliInputException($"--requests-per-minute must be 0 or more; got {limit}");
            }

            var path = parse.GetValue(bundle)!.FullName;
            var ruleFile = parse.GetValue(rules);
            var ruleSet = ruleFile is not null || parse.GetValue(clean) ? CleanCommands.ReadRules(ruleFile).Rules : null;
            using var data = PublicDataset.Open(path, ruleSet, DateTimeOffset.UtcNow);
            var address = parse.GetValue(urls)!;
            await using var app = PublicViewerApp.Create(data, ["--urls", address], limit);
            Console.WriteLine($"Public viewer of '{data.Study.Key}' ({(data.Cleaned ? "cleaned when opened" : "uncleaned: the bundle carries no cleaning results")}): {address}. Press Ctrl+C to stop.");
            await app.StartAsync(ct).ConfigureAwait(false);
            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return 0;
        }));
        var viewer = new Command("viewer", "The public dataset viewer.") { serve };
        return viewer;
    }
}
