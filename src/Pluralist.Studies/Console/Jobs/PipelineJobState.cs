namespace Pluralist.Studies.Console.Jobs;

public enum PipelineJobState
{
    Queued,
    Running,
    Done,
    Failed,
}
