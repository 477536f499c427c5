using System.CommandLine;

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
}
