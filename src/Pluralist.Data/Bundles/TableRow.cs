using Pluralist.Core.Model;
using Pluralist.Core.Text;

namespace Pluralist.Data.Bundles;

/// <summary>
/// One row of a bundle table with typed field access. Nothing throws on bad data: each problem is
/// recorded against the row's file, line, column and field, and a default is returned.
/// </summary>
internal sealed class TableRow(CsvTable table, CsvRecord record)
{
    public delegate bool TryToken<T>(string? token, out T value);

    public int Line => record.Line;

    public bool HasColumn(string column) => table.HasColumn(column);

    public void Error(string column, string message) => table.AddError(record, column, message);

    public string? Raw(string column) => table.Raw(record, column);

    public string String(string column) => table.String(record, column);

    public string? OptionalString(string column) => table.OptionalString(record, column);

    public int Int(string column) => table.Int(record, column);

    public int? OptionalInt(string column) => table.OptionalInt(record, column);

    public long Long(string column) => table.Long(record, column);

    public long? OptionalLong(string column) => table.OptionalLong(record, column);

    public double? OptionalDouble(string column) => table.OptionalDouble(record, column);

    public bool? OptionalBool(string column) => table.OptionalBool(record, column);

    public DateTimeOffset DateTime(string column) => table.DateTime(record, column);

    public DateTimeOffset? OptionalDateTime(string column) => table.OptionalDateTime(record, column);

    /// <summary>An optional token of <typeparamref name="T"/> (<c>human</c>, <c>attention-check</c>); <paramref name="fallback"/> when empty or wrong.</summary>
    public T Token<T>(string column, T fallback, TryToken<T> parse)
        where T : struct, Enum
    {
        var s = OptionalString(column);
        if (s is null)
        {
            return fallback;
        }

        if (parse(s, out var v))
        {
            return v;
        }

        Error(column, $"'{s}' is not one of {string.Join(", ", Tokens.All<T>())}");
        return fallback;
    }

    /// <summary><c>left</c> → true, <c>right</c> → false, empty → null.</summary>
    public bool? Side(string column)
    {
        var s = String(column);
        switch (s.ToUpperInvariant())
        {
            case "LEFT": return true;
            case "RIGHT": return false;
            case "": return null;
            default:
                Error(column, $"'{s}' is not left or right");
                return null;
        }
    }
}
