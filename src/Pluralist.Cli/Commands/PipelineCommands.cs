using System.CommandLine;
using Pluralist.Pipeline.Prompts;

namespace Pluralist.Cli;

/// <summary>
/// The prompt and image pipeline verbs (docs/pipeline.md): <c>prompts import|augment|compare</c>,
/// <c>images generate|select</c> and <c>embedder train|evaluate</c>. Progress goes to stderr (Spectre.Console), results to stdout.
/// </summary>
public static class PipelineCommands
{
    /// <summary>Adds <c>prompts</c>, <c>images</c> and <c>embedder</c> to the root command.</summary>
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(PromptsCommands.Create());
        root.Subcommands.Add(ImagesCommands.Create());
        root.Subcommands.Add(EmbedderCommands.Create());
    }

    /// <summary>Runs a pipeline action, turning the library's located errors into bad input (exit 1).</summary>
    internal static Task<int> RunAsync(Func<Task<int>> action) => CliContext.RunAsync(async () =>
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (PromptImportException e)
        {
            throw new CliInputException(e.Errors);
        }
        catch (InvalidDataException e)
        {
            throw new CliInputException(e.Message);
        }
        catch (FileNotFoundException e)
        {
            throw new CliInputException(e.Message.Contains(e.FileName ?? "\u0000", StringComparison.Ordinal) ? e.Message : $"file not found: {e.FileName}");
        }
        catch (DirectoryNotFoundException e)
        {
            throw new CliInputException(e.Message);
        }
    });
}
