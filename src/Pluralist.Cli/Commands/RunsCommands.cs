using System.CommandLine;
using Pluralist.Studies.Training;

namespace Pluralist.Cli;

/// <summary><c>pluralist runs</c>: torch run folders written by <c>train dpo --engine torch</c>.</summary>
public static class RunsCommands
{
    /// <summary>The <c>runs</c> group.</summary>
    public static Command Create()
    {
        var runs = new Command("runs", "Torch run folders (train dpo --engine torch): check them.");
        runs.Subcommands.Add(Check());
        return runs;
    }

    private static Command Check()
    {
        var run = new Argument<string>("RUN") { Description = "The run folder." };
        var cmd = new Command("check", "Validate a run folder: files present, dataset hashes, settings in range and consistent.") { run };
        cmd.SetAction(CliContext.Run((parse, _) =>
        {
            var dir = parse.GetValue(run)!;
            var problems = RunFolderCheck.Check(dir);
            if (problems.Count > 0)
            {
                throw new CliInputException($"{dir}: {problems.Count} problem(s):\n" + string.Join('\n', problems.Select(p => "  " + p)));
            }

            Console.WriteLine($"{Path.GetFullPath(dir)}: valid run folder");
            return Task.FromResult(0);
        }));
        return cmd;
    }
}
