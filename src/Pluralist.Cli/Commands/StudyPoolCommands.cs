using System.CommandLine;
using Pluralist.Data;
using Pluralist.Data.Imports;
using Pluralist.Studies;
using Pluralist.Studies.Accounts;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Pairs;
using Pluralist.Studies.Console.Pools;

namespace Pluralist.Cli;

/// <summary><c>pluralist study pool add STUDY FOLDER</c> and <c>pluralist study pairs build STUDY</c>: the console's pool and pair actions on the command line.</summary>
public static class StudyPoolCommands
{
    /// <summary>The <c>study pool</c> group.</summary>
    public static Command Pool()
    {
        var pool = new Command("pool", "A study's image pool.");
        pool.Subcommands.Add(Add());
        return pool;
    }

    /// <summary>The <c>study pairs</c> group.</summary>
    public static Command Pairs()
    {
        var pairs = new Command("pairs", "A study's pairs.");
        pairs.Subcommands.Add(Build());
        return pairs;
    }

    private static Command Add()
    {
        var study = new Argument<string>("STUDY") { Description = "The study's key or id." };
        var folder = new Argument<string>("FOLDER") { Description = "A folder written by pluralist images generate (manifest.csv, images/; with selection.csv from images select, only the selected images), or a folder with pool.csv and its image files." };
        var command = new Command("add", "Add images to a study's pool, keeping each prompt's text, language and source and each image's generator and parameters. Every file is checked first (PNG, JPEG or WebP, pixel limit); on any problem nothing is stored.") { study, folder };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            var limits = StudyCommands.ImportLimitsFromEnvironment();
            var errors = new ImportErrors(limits.MaxReportedErrors);
            using var upload = PoolUploads.ReadFolder(parse.GetValue(folder)!, limits, errors);
            if (errors.Count > 0)
            {
                throw errors.ToException();
            }

            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var target = await StudyLookup.FindStudyAsync(db, parse.GetValue(study)!, ct).ConfigureAwait(false);
            var console = new ConsoleService(db, new OutboxEmailSender(data, TimeProvider.System));
            var added = await new PoolUploads(db, data, console).AddAsync(null, target, upload, ct).ConfigureAwait(false);
            var sources = upload.Images.GroupBy(i => Core.Model.Tokens.ToToken(i.Source)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
            Console.WriteLine($"added {added} images of {upload.Images.Select(i => (i.Prompt, i.Language)).Distinct().Count()} prompts to study {target.Key} (prompt sources: {string.Join(", ", sources)}; generators: {string.Join(", ", upload.Images.Select(i => i.Generator).Distinct().Order(StringComparer.Ordinal))})");
            return 0;
        }));
        return command;
    }

    private static Command Build()
    {
        var study = new Argument<string>("STUDY") { Description = "The study's key or id." };
        var perPrompt = new Option<int?>("--per-prompt") { Description = "At most N new pairs per prompt, drawn with --seed (default: every pair of images of the same prompt)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the draw with --per-prompt.", DefaultValueFactory = _ => 1 };
        var command = new Command("build", "Pair the images of each prompt (leaving out excluded and broken images and pairs that exist), as the console's Build pairs does.") { study, perPrompt, seed };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            if (parse.GetValue(perPrompt) is < 1)
            {
                throw new CliInputException($"--per-prompt {parse.GetValue(perPrompt)} must be at least 1");
            }

            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var target = await StudyLookup.FindStudyAsync(db, parse.GetValue(study)!, ct).ConfigureAwait(false);
            var console = new ConsoleService(db, new OutboxEmailSender(data, TimeProvider.System));
            var made = await new PairBuilder(db, console).BuildPairsAsync(null, target, parse.GetValue(perPrompt), parse.GetValue(seed), null, ct).ConfigureAwait(false);
            Console.WriteLine($"built {made} pairs in study {target.Key}");
            return 0;
        }));
        return command;
    }
}
