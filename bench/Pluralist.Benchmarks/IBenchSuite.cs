namespace Pluralist.Benchmarks;

/// <summary>
/// A group of measurements run by <c>dotnet run -c Release --project bench/Pluralist.Benchmarks -- NAME</c>.
/// Suites are found by reflection, so adding one touches no shared file.
/// </summary>
public interface IBenchSuite
{
    /// <summary>Name on the command line (<c>tensors</c>, <c>world</c>, <c>analysis</c>).</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Runs the suite, printing a Markdown table to <paramref name="output"/>.</summary>
    Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken);
}
