using System.Globalization;
using System.Text;

namespace Pluralist.Core.Text;

/// <summary>One problem found in a text file, located by 1-based line and column.</summary>
/// <param name="File">File name as the user should see it (e.g. <c>annotations.csv</c>).</param>
/// <param name="Line">1-based line where the field starts.</param>
/// <param name="Column">1-based column (field index) of the field, 0 when the whole row or file is meant.</param>
/// <param name="Field">Header name of the column, or empty.</param>
/// <param name="Message">What is wrong.</param>
public sealed record CsvError(string File, int Line, int Column, string Field, string Message)
{
    /// <summary>Formats as <c>file:line:col (field): message</c> (<c>file (field): message</c> when no line applies).</summary>
    public override string ToString()
    {
        var where = Line <= 0 ? File : Column > 0 ? $"{File}:{Line}:{Column}" : $"{File}:{Line}";
        return string.IsNullOrEmpty(Field) ? $"{where}: {Message}" : $"{where} ({Field}): {Message}";
    }
}

/// <summary>A field's text with the 1-based line and column (field index) where it starts.</summary>
public readonly record struct CsvField(string Value, int Line, int Column);

/// <summary>One record of a CSV file: its fields and the line where it starts.</summary>
public sealed class CsvRecord
{
    internal CsvRecord(int line, IReadOnlyList<CsvField> fields)
    {
        Line = line;
        Fields = fields;
    }

    /// <summary>1-based line where the record starts.</summary>
    public int Line { get; }

    /// <summary>The fields, in file order.</summary>
    public IReadOnlyList<CsvField> Fields { get; }
}

/// <summary>Thrown when a CSV file is malformed at the syntax level (e.g. an unterminated quote).</summary>
public sealed class CsvFormatException : Exception
{
    /// <summary>Creates the exception from the error it reports.</summary>
    public CsvFormatException(CsvError error)
        : base(error.ToString()) => Error = error;

    /// <summary>The located error.</summary>
    public CsvError Error { get; }
}

/// <summary>RFC 4180 CSV parsing: quoted fields, doubled quotes, embedded newlines, CRLF or LF line ends.</summary>
public static class CsvReader
{
    /// <summary>Reads every record. A syntax error is thrown as <see cref="CsvFormatException"/> naming <paramref name="file"/>.</summary>
    public static IReadOnlyList<CsvRecord> ReadAll(TextReader reader, string file) => Read(reader, file).ToList();

    /// <summary>
    /// Reads records one at a time as the caller asks for them, so a file of any length is held one record at a time.
    /// A syntax error is thrown as <see cref="CsvFormatException"/> naming <paramref name="file"/> when its record is reached.
    /// </summary>
    public static IEnumerable<CsvRecord> Read(TextReader reader, string file)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return Records(reader, file);
    }

    private static IEnumerable<CsvRecord> Records(TextReader reader, string file)
    {
        var fields = new List<CsvField>();
        var sb = new StringBuilder();
        int line = 1, recordLine = 1, fieldLine = 1;
        int c = reader.Read();
        if (c == 0xFEFF)
        {
            c = reader.Read();
        }

        if (c < 0)
        {
            yield break;
        }

        while (true)
        {
            // Start of a field.
            fieldLine = line;
            sb.Clear();
            if (c == '"')
            {
                var startLine = line;
                c = reader.Read();
                while (true)
                {
                    if (c < 0)
                    {
                        throw new CsvFormatException(new CsvError(file, startLine, fields.Count + 1, string.Empty, "quoted field is not closed"));
                    }

                    if (c == '"')
                    {
                        c = reader.Read();
                        if (c == '"')
                        {
                            sb.Append('"');
                            c = reader.Read();
                            continue;
                        }

                        break;
                    }

                    if (c == '\n')
                    {
                        line++;
                    }

                    sb.Append((char)c);
                    c = reader.Read();
                }

                if (c >= 0 && c != ',' && c != '\r' && c != '\n')
                {
                    throw new CsvFormatException(new CsvError(file, line, fields.Count + 1, string.Empty, "unexpected character after closing quote"));
                }
            }
            else
            {
                while (c >= 0 && c != ',' && c != '\r' && c != '\n')
                {
                    if (c == '"')
                    {
                        throw new CsvFormatException(new CsvError(file, line, fields.Count + 1, string.Empty, "quote inside an unquoted field"));
                    }

                    sb.Append((char)c);
                    c = reader.Read();
                }
            }

            fields.Add(new CsvField(sb.ToString(), fieldLine, fields.Count + 1));
            if (c == ',')
            {
                c = reader.Read();
                continue;
            }

            // End of record (newline or end of input).
            if (c == '\r')
            {
                c = reader.Read();
                if (c == '\n')
                {
                    c = reader.Read();
                }
            }
            else if (c == '\n')
            {
                c = reader.Read();
            }

            yield return new CsvRecord(recordLine, fields.ToArray());
            fields.Clear();
            line++;
            recordLine = line;
            if (c < 0)
            {
                yield break;
            }
        }
    }
}

/// <summary>
/// Writes RFC 4180 CSV with LF line ends, quoting only where needed. Text that a spreadsheet would run as a
/// formula is written with a leading apostrophe (<see cref="Neutralise"/>); <see cref="CsvTable"/> removes it again.
/// </summary>
public sealed class CsvWriter
{
    private const string FormulaStarts = "=+-@\t\r";

    private readonly TextWriter _writer;

    /// <summary>Wraps a writer.</summary>
    public CsvWriter(TextWriter writer) => _writer = writer ?? throw new ArgumentNullException(nameof(writer));

    /// <summary>Writes one record.</summary>
    public void WriteRow(params IEnumerable<string?> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var first = true;
        foreach (var f in fields)
        {
            if (!first)
            {
                _writer.Write(',');
            }

            first = false;
            _writer.Write(Escape(f ?? string.Empty));
        }

        _writer.Write('\n');
    }

    /// <summary>
    /// A field as written: neutralised (<see cref="Neutralise"/>), then quoted when it holds a comma, quote,
    /// CR or LF, or starts/ends with a space.
    /// </summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        value = Neutralise(value);
        var needs = value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (value.Length > 0 && (value[0] == ' ' || value[^1] == ' '));
        return needs ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>
    /// Formula injection (CWE-1236): a cell starting with <c>= + - @</c>, tab or CR runs as a formula in
    /// spreadsheets. Such text gets a leading apostrophe, as does text that is apostrophes followed by one of
    /// those characters, so that <see cref="Restore"/> is its exact inverse. Plain numbers (<c>-0.5</c>,
    /// <c>-1E-05</c>) are not formulas and are left as they are.
    /// </summary>
    public static string Neutralise(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return NeedsApostrophe(value) && !IsPlainNumber(value) ? "'" + value : value;
    }

    /// <summary>The text <see cref="Neutralise"/> was given: one leading apostrophe removed where it added one.</summary>
    public static string Restore(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Length > 1 && field[0] == '\'' && NeedsApostrophe(field[1..]) ? field[1..] : field;
    }

    // Starts with a formula character, possibly after apostrophes.
    private static bool NeedsApostrophe(string value)
    {
        var i = 0;
        while (i < value.Length && value[i] == '\'')
        {
            i++;
        }

        return i < value.Length && FormulaStarts.Contains(value[i], StringComparison.Ordinal);
    }

    // An optional minus, digits with an optional fraction, an optional exponent: what Format writes for a finite double.
    private static bool IsPlainNumber(string value)
    {
        var s = value.AsSpan();
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
        }

        var digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            digits++;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        if (i < s.Length && (s[i] == 'E' || s[i] == 'e'))
        {
            i++;
            if (i < s.Length && (s[i] == '+' || s[i] == '-'))
            {
                i++;
            }

            var exponent = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                exponent++;
            }

            if (exponent == 0)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    /// <summary>Invariant, round-trippable text for a double.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Invariant text for an optional double (empty when null).</summary>
    public static string Format(double? value) => value is { } v ? Format(v) : string.Empty;

    /// <summary>ISO 8601 round-trip text for a timestamp.</summary>
    public static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601 text for an optional timestamp (empty when null).</summary>
    public static string Format(DateTimeOffset? value) => value is { } v ? Format(v) : string.Empty;
}

/// <summary>Strict UTF-8 text reading for callers that do I/O: decoding failures become a located error.</summary>
public static class StrictUtf8
{
    /// <summary>UTF-8 without BOM emission that throws on invalid bytes.</summary>
    public static readonly UTF8Encoding Encoding = new(false, true);

    /// <summary>Decodes <paramref name="bytes"/>; on invalid UTF-8 returns null and sets <paramref name="error"/>.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> bytes, string file, out CsvError? error)
    {
        try
        {
            var text = Encoding.GetString(bytes);
            error = null;
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException ex)
        {
            var line = 1;
            var index = Math.Clamp(ex.Index, 0, bytes.Length);
            for (var i = 0; i < index; i++)
            {
                if (bytes[i] == (byte)'\n')
                {
                    line++;
                }
            }

            error = new CsvError(file, line, 0, string.Empty, "wrong encoding: the file is not valid UTF-8");
            return null;
        }
    }
}
