namespace Pluralist.Studies.Console.Jobs;

public enum PipelineJobState
{
    Queued,
    Running,
    Done,
    Failed,

    /// <summary>Cancelled by a researcher (console or CLI) before it finished.</summary>
    Cancelled,
}
