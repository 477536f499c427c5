using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imports;

namespace Pluralist.Cli;

/// <summary><c>pluralist study import</c> and <c>pluralist study export</c>: study bundles and the labeling-platform export.</summary>
public static class StudyCommands
{
    /// <summary>The <c>study import PATH [--format bundle|aipithet] [--key KEY] [--prompt-language L]</c> verb.</summary>
    public static Command Import()
    {
        var path = new Argument<string>("PATH") { Description = "A study bundle (folder or .zip), or a labeling-platform survey export with --format aipithet." };
        var format = new Option<string>("--format") { Description = "bundle (default) or aipithet.", DefaultValueFactory = _ => "bundle" };
        var key = new Option<string?>("--key") { Description = "Import under this study key instead of the one in the file (lower-case letters, digits and '-', not digits only)." };
        var language = new Option<string>("--prompt-language") { Description = "aipithet only: the language of the survey's prompts and participants (default en).", DefaultValueFactory = _ => "en" };
        var import = new Command("import", "Import a study. The whole input is checked first; on any problem nothing is written.") { path, format, key, language };
        import.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            var source = parse.GetValue(path)!;
            var fmt = parse.GetValue(format)!.Trim().ToLowerInvariant();
            var lang = parse.GetValue(language)!.Trim().ToLowerInvariant();
            if (parse.GetValue(key) is { } newKey && StudyKeys.Problem(newKey) is { } keyProblem)
            {
                throw new CliInputException($"--key: {keyProblem}");
            }

            if (lang.Length is < 2 or > 8 || !lang.All(char.IsAsciiLetterLower))
            {
                throw new CliInputException($"--prompt-language '{lang}' is not a language tag (en, fr, …)");
            }

            var limits = ImportLimitsFromEnvironment();
            using var bundle = fmt switch
            {
                "bundle" => BundleReader.Read(source, limits),
                "aipithet" => AipithetReader.Read(source, parse.GetValue(key), lang, limits),
                _ => throw new CliInputException($"--format '{fmt}' is not bundle or aipithet"),
            };
            Console.WriteLine($"checked {source}: no problems found");
            data.EnsureCreated();
            await PluralistDatabase.MigrateAsync(options, ct: ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var summary = await StudyImporter.ImportAsync(db, data, bundle, parse.GetValue(key), "import." + fmt,
                new Progress<string>(m => Console.WriteLine("importing " + m)), ct).ConfigureAwait(false);
            Console.WriteLine($"imported study {summary.Key}: {StudyImporter.Describe(summary)}");
            if (summary.Assignments > summary.Annotations)
            {
                // aipithet: answer rows created but never answered (no answeredAt) are kept as shown, not answered.
                Console.WriteLine($"note: {summary.Assignments - summary.Annotations} assignment(s) shown and not answered, imported as such");
            }

            return 0;
        }));
        return import;
    }

    /// <summary>The import limits, from environment variables named as the web app's settings (<c>Pluralist__Imports__MaxImagePixels</c>).</summary>
    public static ImportLimits ImportLimitsFromEnvironment()
    {
        var limits = new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(ImportLimits.Section).Get<ImportLimits>() ?? new ImportLimits();
        return limits.Validated();
    }

    /// <summary>The <c>study export STUDY --out PATH [--zip]</c> verb.</summary>
    public static Command Export()
    {
        var study = new Argument<string>("STUDY") { Description = "Study key, or id (digits, or id:N; key:K for an older all-digit key)." };
        var output = new Option<string>("--out") { Description = "Folder (or .zip file with --zip) to create; it must not exist.", Required = true };
        var zip = new Option<bool>("--zip") { Description = "Write a .zip archive instead of a folder." };
        var export = new Command("export", "Export a study as a bundle: study.json and CSV files with images; identity markers only where consented.") { study, output, zip };
        export.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            await using var db = PluralistDatabase.CreateContext(options);
            using var bundle = await StudyExporter.LoadAsync(db, data, parse.GetValue(study)!, ct).ConfigureAwait(false);
            var target = parse.GetValue(output)!;
            BundleWriter.Write(bundle, target, parse.GetValue(zip));
            var stored = await StudyStore.FindAsync(db, parse.GetValue(study)!, ct).ConfigureAwait(false);
            db.AuditEntries.Add(new AuditEntry
            {
                StudyId = stored!.Id,
                Action = "export.bundle",
                Details = JsonSerializer.Serialize(new { path = Path.GetFullPath(target), zip = parse.GetValue(zip), participants = bundle.Participants.Count, annotations = bundle.Annotations.Count, markers = bundle.IdentityAnswers.Count }),
                At = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            Console.WriteLine($"exported {bundle.Study.Key} to {target}: {bundle.Prompts.Count} prompts, {bundle.Images.Count} images ({bundle.ImageFiles.Count} files), " +
                $"{bundle.Pairs.Count} pairs, {bundle.Participants.Count} participants ({bundle.IdentityAnswers.Count} consented identity answers), " +
                $"{bundle.Assignments.Count} assignments, {bundle.Annotations.Count} annotations");
            return 0;
        }));
        return export;
    }
}
