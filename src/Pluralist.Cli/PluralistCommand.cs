using System.CommandLine;

namespace Pluralist.Cli;

/// <summary>The root of the <c>pluralist</c> command; each verb lives in its own file under Commands/.</summary>
public static class PluralistCommand
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Pluralist: participatory preference studies on generated images.");

        CliContext.AddGlobalOptions(root);
        root.Subcommands.Add(FoundationCommands.Init());
        root.Subcommands.Add(FoundationCommands.Db());
        root.Subcommands.Add(FoundationCommands.Study());

        // One line per command group; each group builds its own subcommands.
        root.Subcommands.Add(ServeCommands.Create());
        root.Subcommands.Add(LoadtestCommand.Create());
        root.Subcommands.Add(ViewerCommands.Create());
        root.Subcommands.Add(AnalyzeCommands.Create());
        root.Subcommands.Add(StaffCommands.Create());
        root.Subcommands.Add(JobsCommands.Create());
        root.Subcommands.Add(CleanCommands.Create());
        root.Subcommands.Add(DatasetCommands.Create());
        root.Subcommands.Add(ImportCommands.Create());
        WorldCommands.AddTo(root);
        PipelineCommands.AddTo(root);

        // The embedded diffusion model: training, generation, perception probe and the closed alignment experiment.
        root.Subcommands.Add(TrainCommands.Create());
        root.Subcommands.Add(RunsCommands.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ProbeCommands.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        root.Subcommands.Add(RatersCommands.Create());
        root.Subcommands.Add(RewardCommands.Create());
        return root;
    }

    /// <summary>Parses a command line: the tree of <see cref="Build"/>, with unknown options refused (<see cref="OptionCheck"/>).</summary>
    public static ParseResult Parse(IReadOnlyList<string> args) => OptionCheck.Parse(Build(), args);

    public static async Task<int> RunAsync(string[] args)
    {
        // Ctrl+C cancels the action's token; long runs finish their step and write a checkpoint, which can take longer than
        // the library's default 2 s before it ends the process.
        return await Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
    }
}
