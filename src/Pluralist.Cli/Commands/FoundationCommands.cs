using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Data;

namespace Pluralist.Cli;

/// <summary><c>pluralist init</c>, <c>pluralist db migrate</c> and <c>pluralist study list</c>.</summary>
public static class FoundationCommands
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The <c>init</c> verb: creates the data directory, migrates the database and adds the default LIVS study.</summary>
    public static Command Init()
    {
        var init = new Command("init", "Create the data directory, the database and the default LIVS study.");
        init.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            data.EnsureCreated();
            var version = await PluralistDatabase.MigrateAsync(options, ct: ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var study = await StudyStore.EnsureDefaultStudyAsync(db, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
            Console.WriteLine($"data directory: {data.Root}");
            Console.WriteLine($"database: {options} (schema version {version.ToString(CultureInfo.InvariantCulture)})");
            Console.WriteLine($"study: {study.Key}");
            return 0;
        }));
        return init;
    }

    /// <summary>The <c>db</c> group with <c>migrate</c>.</summary>
    public static Command Db()
    {
        var db = new Command("db", "Database maintenance.");
        var to = new Option<int?>("--to") { Description = "Target schema version (default: latest)." };
        var migrate = new Command("migrate", "Upgrade the database schema, keeping its data.") { to };
        migrate.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            data.EnsureCreated();
            var progress = new Progress<string>(m => Console.WriteLine(m));
            var version = await PluralistDatabase.MigrateAsync(options, parse.GetValue(to), progress, ct).ConfigureAwait(false);
            Console.WriteLine($"schema version {version.ToString(CultureInfo.InvariantCulture)}");
            return 0;
        }));
        db.Subcommands.Add(migrate);
        return db;
    }

    /// <summary>The <c>study list</c> verb.</summary>
    public static Command StudyList()
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable JSON output." };
        var list = new Command("list", "List the studies with their row counts.") { json };
        list.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (_, options) = CliContext.Resolve(parse);
            await using var db = PluralistDatabase.CreateContext(options);
            var studies = await StudyStore.ListAsync(db, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(studies, JsonOptions));
                return 0;
            }

            Console.WriteLine("key\ttitle\tcriteria\tbatches\tprompts\timages\tpairs\tparticipants\tannotations");
            foreach (var s in studies)
            {
                Console.WriteLine(string.Join('\t', s.Key, s.Title, s.Criteria, s.Batches, s.Prompts, s.Images, s.Pairs, s.Participants, s.Annotations));
            }

            return 0;
        }));
        return list;
    }

    /// <summary>The <c>study</c> group.</summary>
    public static Command Study()
    {
        var study = new Command("study", "Studies: list, import and export them; show or set their questions; add images to their pool and build pairs.");
        study.Subcommands.Add(StudyList());
        study.Subcommands.Add(StudyCommands.Import());
        study.Subcommands.Add(StudyCommands.Export());
        study.Subcommands.Add(StudyQuestionsCommand.Create());
        study.Subcommands.Add(StudyPoolCommands.Pool());
        study.Subcommands.Add(StudyPoolCommands.Pairs());
        study.Subcommands.Add(StudyPanelCommand.Create());
        study.Subcommands.Add(StudyEvaluationCommand.Create());
        study.Subcommands.Add(StudyProtocolCommand.Create());
        return study;
    }
}
