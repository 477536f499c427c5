using Pluralist.Core.Text;
using Pluralist.Data.Imports;

namespace Pluralist.Data.Bundles;

/// <summary>A bundle (or another import) that failed validation: every problem, located (the first ones, when there are very many).</summary>
public sealed class BundleException : Exception
{
    public BundleException(IReadOnlyList<CsvError> errors, int omitted = 0)
        : base(errors is { Count: > 0 } ? errors[0].ToString() : "invalid bundle")
    {
        Errors = errors;
        Omitted = omitted;
    }

    public BundleException()
        : this([])
    {
    }

    public BundleException(string message)
        : this([new CsvError(string.Empty, 0, 0, string.Empty, message)])
    {
    }

    public BundleException(string message, Exception innerException)
        : base(message, innerException) => Errors = [];

    public IReadOnlyList<CsvError> Errors { get; }

    /// <summary>Further problems found but not listed (past <see cref="ImportLimits.MaxReportedErrors"/>).</summary>
    public int Omitted { get; }
}
