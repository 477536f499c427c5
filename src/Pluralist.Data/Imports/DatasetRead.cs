namespace Pluralist.Data.Imports;

/// <summary>A validated dataset import: the study to write and what the reader wants the user told (rows skipped and why, columns left out).</summary>
public sealed class DatasetRead(Bundles.StudyBundle bundle, IReadOnlyList<string> notes) : IDisposable
{
    public Bundles.StudyBundle Bundle { get; } = bundle;

    public IReadOnlyList<string> Notes { get; } = notes;

    public void Dispose() => Bundle.Dispose();
}
