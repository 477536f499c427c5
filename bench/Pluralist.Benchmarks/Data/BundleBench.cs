using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Data.Bundles;

namespace Pluralist.Benchmarks.Data;

/// <summary>
/// A LIVS-sized study (3,350 prompts, 13,400 images, 20,100 pairs, 42,235 comparisons with three
/// criteria each) written as a bundle, read and validated, imported into SQLite (and PostgreSQL
/// when PLURALIST_TEST_PG is set) and exported again. Reference in the same process: parsing the
/// same CSV files without validating them.
/// </summary>
public sealed class BundleBench : IBenchSuite
{
    private static readonly string[] ImageParameters = ["$g", "$s", "$gu", "$st", "$w", "$h", "$p"];

    public string Name => "bundles";

    public string Description => "Study bundle write, read+validate, import and export at LIVS size (42,235 comparisons)";

    public async Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var comparisons = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 42_235;
        var root = Directory.CreateTempSubdirectory("pluralist-bundle-bench-").FullName;
        try
        {
            output.WriteLine($"# bundles: {comparisons:N0} comparisons, {Environment.ProcessorCount} logical CPUs (shared with other work), {DateTime.UtcNow:yyyy-MM-dd}");
            output.WriteLine();
            output.WriteLine("| step | time | rows/s | note |");
            output.WriteLine("|---|---:|---:|---|");
            var folder = Path.Combine(root, "bundle");
            var sw = Stopwatch.StartNew();
            using (var synthetic = Synthetic(comparisons))
            {
                BundleWriter.Write(synthetic, folder, zip: false);
            }

            var rows = 3 * comparisons;
            Line(output, "write bundle (CSV files)", sw.Elapsed, rows, $"{Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length) / 1e6:F1} MB");

            sw.Restart();
            var parsed = 0;
            foreach (var file in Directory.EnumerateFiles(folder, "*.csv"))
            {
                var errors = new List<CsvError>();
                parsed += CsvTable.Parse(new StringReader(File.ReadAllText(file)), Path.GetFileName(file), errors).Rows.Count;
            }

            Line(output, "reference: parse the CSV files only", sw.Elapsed, rows, $"{parsed:N0} CSV rows");

            sw.Restart();
            var bundle = BundleReader.Read(folder);
            Line(output, "read and validate (every check of the import)", sw.Elapsed, rows, "");

            var providers = new List<(string Name, DatabaseOptions Options)>
            {
                ("SQLite", new DatabaseOptions(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = Path.Combine(root, "bench.db") }.ToString())),
            };
            if (Environment.GetEnvironmentVariable("PLURALIST_TEST_PG") is { Length: > 0 } pg)
            {
                var name = "pluralist_bench_" + Guid.NewGuid().ToString("N");
                await using (var c = new Npgsql.NpgsqlConnection(pg))
                {
                    await c.OpenAsync(cancellationToken);
                    await using var cmd = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
                    await cmd.ExecuteNonQueryAsync(cancellationToken);
                }

                providers.Add(("PostgreSQL", new DatabaseOptions(DatabaseProvider.Postgres, new Npgsql.NpgsqlConnectionStringBuilder(pg) { Database = name }.ToString())));
            }

            foreach (var (name, options) in providers)
            {
                var data = new DataDirectory(Path.Combine(root, "data-" + name));
                await PluralistDatabase.MigrateAsync(options, ct: cancellationToken);
                using (var again = name == providers[0].Name ? bundle : BundleReader.Read(folder))
                {
                    sw.Restart();
                    await using var db = PluralistDatabase.CreateContext(options);
                    var phases = new List<(string Step, TimeSpan At)>();
                    await StudyImporter.ImportAsync(db, data, again, progress: new SyncProgress(m => phases.Add((m, sw.Elapsed))), ct: cancellationToken);
                    var total = sw.Elapsed;
                    var split = string.Join(", ", phases.Select((p, i) => $"{p.Step.Split(' ')[^1]} {((i + 1 < phases.Count ? phases[i + 1].At : total) - p.At).TotalSeconds:F1} s"));
                    Line(output, $"import into {name} (one transaction)", total, rows, split);
                }

                if (name == "SQLite")
                {
                    // Reference: the image rows again, with one prepared INSERT and no EF, in one transaction.
                    using var images = BundleReader.Read(folder);
                    await using var connection = await PluralistDatabase.OpenAsync(options, cancellationToken);
                    sw.Restart();
                    await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                    await using var cmd = connection.CreateCommand();
                    cmd.Transaction = tx;
                    cmd.CommandText = "INSERT INTO images (study_id, prompt_id, generator, seed, guidance, steps, width, height, content_hash, storage_path, flags, external_id, created_at) " +
                                      "VALUES (1, (SELECT MIN(id) FROM prompts), $g, $s, $gu, $st, $w, $h, NULL, $p, 0, NULL, 0)";
                    var ps = ImageParameters.Select(n => { var x = cmd.CreateParameter(); x.ParameterName = n; cmd.Parameters.Add(x); return x; }).ToArray();
                    await cmd.PrepareAsync(cancellationToken);
                    foreach (var i in images.Images)
                    {
                        ps[0].Value = i.Generator;
                        ps[1].Value = i.Seed;
                        ps[2].Value = i.Guidance;
                        ps[3].Value = i.Steps;
                        ps[4].Value = i.Width;
                        ps[5].Value = i.Height;
                        ps[6].Value = i.StoragePath;
                        await cmd.ExecuteNonQueryAsync(cancellationToken);
                    }

                    await tx.RollbackAsync(cancellationToken);
                    Line(output, $"reference: {images.Images.Count:N0} image rows by prepared ADO.NET INSERT (rolled back)", sw.Elapsed, images.Images.Count, "");
                }

                sw.Restart();
                await using (var db = PluralistDatabase.CreateContext(options))
                using (var exported = await StudyExporter.LoadAsync(db, data, "bench", cancellationToken))
                {
                    BundleWriter.Write(exported, Path.Combine(root, "export-" + name), zip: false);
                }

                Line(output, $"export from {name}", sw.Elapsed, rows, "");
            }

            output.WriteLine();
            output.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Line(TextWriter output, string step, TimeSpan elapsed, int rows, string note) =>
        output.WriteLine($"| {step} | {elapsed.TotalSeconds:F2} s | {rows / elapsed.TotalSeconds:N0} | {note} |");

    // The shape of the LIVS data: 3,350 prompts with 4 images each, all 6 pairs per prompt, 35
    // participants, 3 of 6 criteria per comparison, about a third neutral and a tenth unanswered.
    private static StudyBundle Synthetic(int comparisons)
    {
        var t0 = new DateTimeOffset(2024, 4, 1, 0, 0, 0, TimeSpan.Zero);
        var study = Defaults.LivsStudy(t0);
        study.Key = "bench";
        study.Batches[0].Id = 1;
        var b = new StudyBundle(study);
        var random = new Random(7);
        for (var p = 1; p <= 3350; p++)
        {
            b.Prompts.Add(new Prompt { Id = p, Text = $"A public space number {p} with benches and trees", Language = p % 3 == 0 ? "fr" : "en", Source = (PromptSource)(p % 6), CreatedAt = t0 });
            for (var k = 0; k < 4; k++)
            {
                var id = ((p - 1) * 4) + k + 1;
                b.Images.Add(new Image { Id = id, PromptId = p, Generator = "sdxl", Seed = id, Guidance = 7.5, Steps = 30, Width = 1024, Height = 1024, StoragePath = $"s3://livs/{id}.png", CreatedAt = t0 });
            }

            var first = ((p - 1) * 4) + 1;
            for (var i = 0; i < 4; i++)
            {
                for (var j = i + 1; j < 4; j++)
                {
                    b.Pairs.Add(new Pair { Id = b.Pairs.Count + 1, BatchId = 1, Image0Id = first + i, Image1Id = first + j, CreatedAt = t0 });
                }
            }
        }

        for (var u = 1; u <= 35; u++)
        {
            b.Participants.Add(new Participant { Id = u, Pseudonym = $"P-B{u:0000}", PreferredLanguage = u % 2 == 0 ? "fr" : "en", CreatedAt = t0 });
        }

        var keys = study.Criteria.Select(c => c.Key).ToArray();
        for (var a = 1; a <= comparisons; a++)
        {
            var shown = keys.OrderBy(_ => random.Next()).Take(3).ToList();
            var left = random.Next(2) == 0;
            var participant = (a % 35) + 1;
            var served = t0.AddSeconds(a * 20);
            b.Assignments.Add(new Assignment { Id = a, ParticipantId = participant, PairId = random.Next(b.Pairs.Count) + 1, BatchId = 1, CriteriaShown = shown, Image0OnLeft = left, Language = "en", ServedAt = served });
            b.Annotations.Add(new Annotation
            {
                Id = a,
                AssignmentId = a,
                ParticipantId = participant,
                PairId = b.Assignments[^1].PairId,
                ClientDurationMs = 4000 + random.Next(20000),
                ServerDurationMs = 5000 + random.Next(20000),
                ClientRequestId = $"r-{a}",
                Language = "en",
                SubmittedAt = served.AddSeconds(15),
                Scores = [.. shown.Select((k, i) => new AnnotationScore
                {
                    CriterionKey = k, Position = i,
                    Score = random.NextDouble() switch { < 0.1 => null, < 0.4 => 0, var x => Math.Round((x * 2) - 1, 2) },
                })],
            });
        }

        return b;
    }
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, too late for timing).</summary>
internal sealed class SyncProgress(Action<string> report) : IProgress<string>
{
    public void Report(string value) => report(value);
}
