using System.Text;
using Pluralist.Core.Text;

namespace Pluralist.Core.Tests.Text;

public class CsvTests
{
    [Fact]
    public void ReadsQuotedFieldsWithEmbeddedNewlinesAndQuotes()
    {
        var text = "id,comment\r\n1,\"a, \"\"quoted\"\"\nline\"\r\n2,plain\n";
        var records = CsvReader.ReadAll(new StringReader(text), "x.csv");
        Assert.Equal(3, records.Count);
        Assert.Equal("a, \"quoted\"\nline", records[1].Fields[1].Value);
        Assert.Equal(2, records[1].Line);
        Assert.Equal(2, records[1].Fields[1].Column);
        Assert.Equal(4, records[2].Line);
        Assert.Equal("plain", records[2].Fields[1].Value);
    }

    [Fact]
    public void UnclosedQuoteIsASyntaxErrorWithItsLine()
    {
        var ex = Assert.Throws<CsvFormatException>(() => CsvReader.ReadAll(new StringReader("a,b\n1,\"open\n"), "f.csv"));
        Assert.Equal(2, ex.Error.Line);
        Assert.Equal(2, ex.Error.Column);
        Assert.StartsWith("f.csv:2:2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriterRoundTripsAwkwardFields()
    {
        var sw = new StringWriter();
        var writer = new CsvWriter(sw);
        string[] row = ["a,b", "say \"hi\"", "multi\nline", " padded ", "", "plain"];
        writer.WriteRow("c1", "c2", "c3", "c4", "c5", "c6");
        writer.WriteRow(row);
        var back = CsvReader.ReadAll(new StringReader(sw.ToString()), "t.csv");
        Assert.Equal(row, back[1].Fields.Select(f => f.Value));
    }

    [Fact]
    public void TypedAccessorsCollectEveryErrorWithLocation()
    {
        var text = "id,score,when,flag\n1,0.5,2025-01-02T03:04:05Z,true\nx,1e999,yesterday,maybe\n3,,,\n";
        var errors = new List<CsvError>();
        var table = CsvTable.Parse(new StringReader(text), "a.csv", errors);
        Assert.True(table.RequireColumns("id", "score"));
        var r1 = table.Rows[0];
        Assert.Equal(1, table.Int(r1, "id"));
        Assert.Equal(0.5, table.Double(r1, "score"));
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), table.DateTime(r1, "when"));
        Assert.True(table.Bool(r1, "flag"));
        Assert.Empty(errors);

        var r2 = table.Rows[1];
        table.Int(r2, "id");
        table.Double(r2, "score");
        table.DateTime(r2, "when");
        table.OptionalBool(r2, "flag");
        Assert.Equal(
            ["a.csv:3:1 (id)", "a.csv:3:2 (score)", "a.csv:3:3 (when)", "a.csv:3:4 (flag)"],
            errors.Select(e => e.ToString().Split(':')[0] + ":" + e.ToString().Split(':')[1] + ":" + e.ToString().Split(':')[2]));

        errors.Clear();
        var r3 = table.Rows[2];
        Assert.Null(table.OptionalDouble(r3, "score"));
        Assert.Empty(errors);
        table.Double(r3, "score");
        Assert.Equal("a.csv:4:2 (score): a value is required", Assert.Single(errors).ToString());
    }

    [Fact]
    public void MissingRequiredColumnsAreReportedOnLineOne()
    {
        var errors = new List<CsvError>();
        var table = CsvTable.Parse(new StringReader("id\n1\n"), "p.csv", errors);
        Assert.False(table.RequireColumns("id", "text", "lang"));
        Assert.Equal(["p.csv:1 (text): required column is missing", "p.csv:1 (lang): required column is missing"], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void RowWithWrongFieldCountIsReported()
    {
        var errors = new List<CsvError>();
        CsvTable.Parse(new StringReader("a,b\n1,2\n3\n"), "w.csv", errors);
        Assert.Equal("w.csv:3: expected 2 fields, found 1", Assert.Single(errors).ToString());
    }

    [Fact]
    public void InvalidUtf8IsAWrongEncodingErrorOnItsLine()
    {
        var bytes = Encoding.UTF8.GetBytes("a,b\n1,x").Concat(new byte[] { 0xE9, (byte)'\n' }).ToArray();
        Assert.Null(StrictUtf8.TryDecode(bytes, "latin.csv", out var error));
        Assert.NotNull(error);
        Assert.Equal("latin.csv", error.File);
        Assert.Contains("wrong encoding", error.Message, StringComparison.Ordinal);
        Assert.Equal("a,b\nété", StrictUtf8.TryDecode(Encoding.UTF8.GetBytes("\uFEFFa,b\nété"), "ok.csv", out var none));
        Assert.Null(none);
    }
}
