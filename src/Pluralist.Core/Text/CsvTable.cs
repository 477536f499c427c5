using System.Globalization;

namespace Pluralist.Core.Text;

/// <summary>
/// A CSV file with a header row and typed, located access to its fields. Accessors never throw on bad
/// data: each failure is appended to <see cref="Errors"/> (file, line, column, field) and a default is returned,
/// so a validator can collect every problem in one pass.
/// </summary>
public sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns = new(StringComparer.Ordinal);
    private readonly List<CsvError> _errors;

    private CsvTable(string file, CsvRecord? header, IReadOnlyList<CsvRecord> rows, List<CsvError> errors)
    {
        File = file;
        Rows = rows;
        _errors = errors;
        if (header is null)
        {
            return;
        }

        foreach (var f in header.Fields)
        {
            if (!_columns.TryAdd(f.Value, f.Column - 1))
            {
                _errors.Add(new CsvError(file, 1, f.Column, f.Value, "duplicate column name"));
            }
        }
    }

    /// <summary>File name used in errors.</summary>
    public string File { get; }

    /// <summary>Data rows (header excluded).</summary>
    public IReadOnlyList<CsvRecord> Rows { get; }

    /// <summary>Errors found so far, in the order found.</summary>
    public IReadOnlyList<CsvError> Errors => _errors;

    /// <summary>Header names in file order.</summary>
    public IEnumerable<string> Columns => _columns.OrderBy(kv => kv.Value).Select(kv => kv.Key);

    /// <summary>
    /// Parses <paramref name="reader"/>. Syntax errors are recorded in <paramref name="errors"/> (no rows then);
    /// an empty file is reported as missing its header.
    /// </summary>
    public static CsvTable Parse(TextReader reader, string file, List<CsvError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        IReadOnlyList<CsvRecord> records;
        try
        {
            records = CsvReader.ReadAll(reader, file);
        }
        catch (CsvFormatException ex)
        {
            errors.Add(ex.Error);
            return new CsvTable(file, null, [], errors);
        }

        if (records.Count == 0)
        {
            errors.Add(new CsvError(file, 1, 0, string.Empty, "the file is empty; a header row is required"));
            return new CsvTable(file, null, [], errors);
        }

        var rows = records.Skip(1).Where(r => !(r.Fields.Count == 1 && r.Fields[0].Value.Length == 0)).ToArray();
        var table = new CsvTable(file, records[0], rows, errors);
        foreach (var row in rows)
        {
            if (row.Fields.Count != table._columns.Count)
            {
                errors.Add(new CsvError(file, row.Line, 0, string.Empty, $"expected {table._columns.Count} fields, found {row.Fields.Count}"));
            }
        }

        return table;
    }

    /// <summary>
    /// Reads only the header of <paramref name="reader"/>; the data rows then come one at a time from
    /// <see cref="StreamRows"/>, so a long file is never held whole (<see cref="Rows"/> stays empty).
    /// A syntax error in the header, or an empty file, is recorded in <paramref name="errors"/>.
    /// </summary>
    public static CsvTable Open(TextReader reader, string file, List<CsvError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var records = CsvReader.Read(reader, file).GetEnumerator();
        try
        {
            if (!records.MoveNext())
            {
                errors.Add(new CsvError(file, 1, 0, string.Empty, "the file is empty; a header row is required"));
                records.Dispose();
                return new CsvTable(file, null, [], errors);
            }
        }
        catch (CsvFormatException ex)
        {
            errors.Add(ex.Error);
            records.Dispose();
            return new CsvTable(file, null, [], errors);
        }

        return new CsvTable(file, records.Current, [], errors) { _stream = records };
    }

    private IEnumerator<CsvRecord>? _stream;

    /// <summary>
    /// The data rows of a table made by <see cref="Open"/>, read as they are asked for (blank lines skipped). A row with the
    /// wrong number of fields is reported and still given; a syntax error is reported and ends the rows.
    /// </summary>
    public IEnumerable<CsvRecord> StreamRows()
    {
        if (_stream is not { } records)
        {
            yield break;
        }

        _stream = null;
        using (records)
        {
            while (true)
            {
                try
                {
                    if (!records.MoveNext())
                    {
                        yield break;
                    }
                }
                catch (CsvFormatException ex)
                {
                    _errors.Add(ex.Error);
                    yield break;
                }

                var row = records.Current;
                if (row.Fields.Count == 1 && row.Fields[0].Value.Length == 0)
                {
                    continue;
                }

                if (row.Fields.Count != _columns.Count)
                {
                    _errors.Add(new CsvError(File, row.Line, 0, string.Empty, $"expected {_columns.Count} fields, found {row.Fields.Count}"));
                }

                yield return row;
            }
        }
    }

    /// <summary>Whether the header has <paramref name="column"/>.</summary>
    public bool HasColumn(string column) => _columns.ContainsKey(column);

    /// <summary>Reports every missing required column against line 1; returns true when all are present.</summary>
    public bool RequireColumns(params IEnumerable<string> columns)
    {
        var ok = true;
        foreach (var c in columns)
        {
            if (!_columns.ContainsKey(c))
            {
                _errors.Add(new CsvError(File, 1, 0, c, "required column is missing"));
                ok = false;
            }
        }

        return ok;
    }

    /// <summary>Adds an error located at a field of a row.</summary>
    public void AddError(CsvRecord row, string column, string message)
    {
        ArgumentNullException.ThrowIfNull(row);
        _errors.Add(new CsvError(File, LineOf(row, column), ColumnOf(column), column, message));
    }

    /// <summary>
    /// The text of a field, or null when the column or the field is absent. The apostrophe that
    /// <see cref="CsvWriter.Neutralise"/> puts before a would-be formula is removed (<see cref="CsvWriter.Restore"/>).
    /// </summary>
    public string? Raw(CsvRecord row, string column)
    {
        ArgumentNullException.ThrowIfNull(row);
        return _columns.TryGetValue(column, out var i) && i < row.Fields.Count ? CsvWriter.Restore(row.Fields[i].Value) : null;
    }

    /// <summary>A required, non-empty string.</summary>
    public string String(CsvRecord row, string column)
    {
        var v = Raw(row, column);
        if (string.IsNullOrEmpty(v))
        {
            if (_columns.ContainsKey(column))
            {
                AddError(row, column, "a value is required");
            }

            return string.Empty;
        }

        return v;
    }

    /// <summary>An optional string: null when empty or when the column is absent.</summary>
    public string? OptionalString(CsvRecord row, string column)
    {
        var v = Raw(row, column);
        return string.IsNullOrEmpty(v) ? null : v;
    }

    /// <summary>A required double (invariant culture, finite).</summary>
    public double Double(CsvRecord row, string column) => OptionalDouble(row, column, required: true) ?? 0;

    /// <summary>An optional double (invariant culture, finite): null when empty.</summary>
    public double? OptionalDouble(CsvRecord row, string column) => OptionalDouble(row, column, required: false);

    /// <summary>A required int.</summary>
    public int Int(CsvRecord row, string column) => Parse(row, column, true, (string s, out int v) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), "an integer") ?? 0;

    /// <summary>An optional int: null when empty.</summary>
    public int? OptionalInt(CsvRecord row, string column) => Parse(row, column, false, (string s, out int v) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), "an integer");

    /// <summary>A required long.</summary>
    public long Long(CsvRecord row, string column) => Parse(row, column, true, (string s, out long v) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), "an integer") ?? 0;

    /// <summary>An optional long: null when empty.</summary>
    public long? OptionalLong(CsvRecord row, string column) => Parse(row, column, false, (string s, out long v) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), "an integer");

    /// <summary>A required bool: true/false (any case), 1/0, t/f.</summary>
    public bool Bool(CsvRecord row, string column) => Parse<bool>(row, column, true, TryBool, "a boolean (true/false)") ?? false;

    /// <summary>An optional bool: null when empty.</summary>
    public bool? OptionalBool(CsvRecord row, string column) => Parse<bool>(row, column, false, TryBool, "a boolean (true/false)");

    /// <summary>A required timestamp (ISO 8601, invariant culture; no offset = UTC).</summary>
    public DateTimeOffset DateTime(CsvRecord row, string column) => Parse<DateTimeOffset>(row, column, true, TryDate, "a date and time (ISO 8601)") ?? default;

    /// <summary>An optional timestamp: null when empty.</summary>
    public DateTimeOffset? OptionalDateTime(CsvRecord row, string column) => Parse<DateTimeOffset>(row, column, false, TryDate, "a date and time (ISO 8601)");

    private delegate bool TryParser<T>(string s, out T value);

    private double? OptionalDouble(CsvRecord row, string column, bool required)
    {
        var v = Parse(row, column, required, (string s, out double d) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d), "a number");
        if (v is { } d && !double.IsFinite(d))
        {
            AddError(row, column, $"{Raw(row, column)} is not a finite number");
            return null;
        }

        return v;
    }

    private T? Parse<T>(CsvRecord row, string column, bool required, TryParser<T> parser, string what)
        where T : struct
    {
        var s = Raw(row, column);
        if (string.IsNullOrEmpty(s))
        {
            if (required && _columns.ContainsKey(column))
            {
                AddError(row, column, "a value is required");
            }

            return null;
        }

        if (parser(s, out var value))
        {
            return value;
        }

        AddError(row, column, $"'{s}' is not {what}");
        return null;
    }

    private static bool TryBool(string s, out bool value)
    {
        switch (s.ToUpperInvariant())
        {
            case "TRUE" or "1" or "T":
                value = true;
                return true;
            case "FALSE" or "0" or "F":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static bool TryDate(string s, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out value);

    private int ColumnOf(string column) => _columns.TryGetValue(column, out var i) ? i + 1 : 0;

    private int LineOf(CsvRecord row, string column) =>
        _columns.TryGetValue(column, out var i) && i < row.Fields.Count ? row.Fields[i].Line : row.Line;
}
