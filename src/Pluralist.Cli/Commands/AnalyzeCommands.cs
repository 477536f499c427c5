using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Analysis.Agreement;
using Pluralist.Core.Text;

namespace Pluralist.Cli;

/// <summary>
/// <c>pluralist analyze</c>: agreement statistics on long CSV files (one row per rating).
/// Bad input exits 1 with a message naming the file, line and column (<see cref="ExitCodes"/>).
/// </summary>
public static class AnalyzeCommands
{
    public static Command Create()
    {
        var analyze = new Command("analyze", "Statistics on study data: agreement, cross-replication reliability, group association, the study report, A/B evaluation statistics.");
        analyze.Subcommands.Add(Agreement());
        analyze.Subcommands.Add(Xrr());
        analyze.Subcommands.Add(AnalyzeStudyCommand.Create());
        analyze.Subcommands.Add(AnalyzeAbCommand.Create());
        return analyze;
    }

    private static Option<string> Column(string name, string what) => new(name) { Description = what, Required = true };

    private static Option<string> LevelOption() => new("--level")
    {
        Description = "Level of measurement: nominal, ordinal, interval or ratio (default interval).",
        DefaultValueFactory = _ => "interval",
    };

    private static Command Agreement()
    {
        var ratings = new Option<FileInfo>("--ratings") { Description = "Long CSV with one row per rating and a header row.", Required = true };
        var item = Column("--item", "Column naming the rated item.");
        var rater = Column("--rater", "Column naming the rater.");
        var value = Column("--value", "Column holding the rating (empty = missing).");
        var level = LevelOption();
        var groupBy = new Option<string?>("--group-by") { Description = "Comma-separated columns describing the rater (identity axes); each group, and each intersection of axes, gets IRR, xRR and GAI." };
        var permutations = new Option<int>("--permutations") { Description = "Permutations of identity profiles for the GAI p-values (default 1000).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the permutations (default 1).", DefaultValueFactory = _ => 1 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file." };
        var command = new Command("agreement", "Krippendorff's alpha of a long CSV; with --group-by, the group association index (GAI = IRR / xRR) of every group with permutation p-values, BH-adjusted values and the DSI per axis.")
        {
            ratings, item, rater, value, level, groupBy, permutations, seed, json,
        };
        command.SetAction(CliContext.Run((parse, _) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var lvl = ParseLevel(parse.GetValue(level)!);
            var axes = (parse.GetValue(groupBy) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var perms = parse.GetValue(permutations);
            if (perms < 0)
            {
                throw new CliInputException("--permutations must be 0 or more");
            }

            var file = parse.GetValue(ratings)!;
            var table = RatingsTable.Read(file.FullName);
            var columns = new[] { parse.GetValue(item)!, parse.GetValue(rater)!, parse.GetValue(value)! }.Concat(axes).ToArray();
            var index = table.Require(columns);
            var rows = LoadRatings(table, index[0], index[1], index[2], lvl, Codebook(lvl, (table, index[2])));
            var profiles = LoadProfiles(table, index[1], axes, index[3..]);
            RequireTwoRaters(rows, file.Name);

            var alpha = Krippendorff.Alpha(rows, lvl);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"alpha ({lvl.ToString().ToLowerInvariant()}) {Format(alpha.Alpha)}  items {alpha.Items}  raters {alpha.Raters}  ratings {rows.Count}"));
            GaiReport? report = null;
            if (axes.Length > 0)
            {
                report = GroupAssociationIndex.Analyze(rows, profiles, axes, new GaiOptions { Level = lvl, Permutations = perms, Seed = parse.GetValue(seed) });
                WriteGroups(output, report);
            }

            if (parse.GetValue(json) is { } jsonFile)
            {
                WriteJson(jsonFile.FullName, alpha, rows.Count, report);
            }

            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }

    private static Command Xrr()
    {
        var a = new Option<FileInfo>("--a") { Description = "Long CSV of the first rater pool.", Required = true };
        var b = new Option<FileInfo>("--b") { Description = "Long CSV of the second rater pool.", Required = true };
        var item = Column("--item", "Column naming the rated item (in both files).");
        var rater = Column("--rater", "Column naming the rater (in both files).");
        var value = Column("--value", "Column holding the rating (in both files; empty = missing).");
        var level = LevelOption();
        var command = new Command("xrr", "Cross-replication reliability (Wong, Paritosh and Aroyo 2021) between two rater pools, over the items both rated.")
        {
            a, b, item, rater, value, level,
        };
        command.SetAction(CliContext.Run((parse, _) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var lvl = ParseLevel(parse.GetValue(level)!);
            var tableA = RatingsTable.Read(parse.GetValue(a)!.FullName);
            var tableB = RatingsTable.Read(parse.GetValue(b)!.FullName);
            var columns = new[] { parse.GetValue(item)!, parse.GetValue(rater)!, parse.GetValue(value)! };
            var ia = tableA.Require(columns);
            var ib = tableB.Require(columns);
            var codes = Codebook(lvl, (tableA, ia[2]), (tableB, ib[2]));
            var ratingsA = LoadRatings(tableA, ia[0], ia[1], ia[2], lvl, codes);
            var ratingsB = LoadRatings(tableB, ib[0], ib[1], ib[2], lvl, codes);
            var result = Krippendorff.CrossReliability(ratingsA, ratingsB, lvl);
            if (result.Items == 0)
            {
                throw new CliInputException($"{tableA.Name} and {tableB.Name} have no item in common");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"xRR ({lvl.ToString().ToLowerInvariant()}) {Format(result.Xrr)}  observed disagreement {Format(result.ObservedDisagreement)}  expected disagreement {Format(result.ExpectedDisagreement)}  items in common {result.Items}  ratings {result.RatingsA} + {result.RatingsB}"));

            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }

    private static MeasurementLevel ParseLevel(string text) => text.ToLowerInvariant() switch
    {
        "nominal" => MeasurementLevel.Nominal,
        "ordinal" => MeasurementLevel.Ordinal,
        "interval" => MeasurementLevel.Interval,
        "ratio" => MeasurementLevel.Ratio,
        _ => throw new CliInputException($"--level must be nominal, ordinal, interval or ratio; got '{text}'"),
    };

    private static void RequireTwoRaters(List<Rating> rows, string file)
    {
        var raters = rows.Select(r => r.Rater).Distinct(StringComparer.Ordinal).Count();
        if (raters < 2)
        {
            throw new CliInputException($"{file}: agreement needs at least two raters; found {raters}");
        }
    }

    /// <summary>
    /// Numbers are read with the invariant culture. Nominal data may also be text labels, coded by
    /// the ordinal order of the distinct labels over every column given (so two pools share codes);
    /// null when every cell is a number. Other levels need numbers: the first other cell is an error.
    /// </summary>
    private static Dictionary<string, int>? Codebook(MeasurementLevel level, params (RatingsTable Table, int Value)[] columns)
    {
        foreach (var (table, value) in columns)
        {
            foreach (var row in table.Rows)
            {
                var cell = row.Cells[value];
                if (cell.Length == 0 || (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x)))
                {
                    continue;
                }

                if (level != MeasurementLevel.Nominal)
                {
                    throw new CliInputException(
                        $"{table.Name}:{row.Line}: column '{table.Header[value]}' (field {value + 1}): '{cell}' is not a number; {level.ToString().ToLowerInvariant()} data must be numeric");
                }

                return columns.SelectMany(c => c.Table.Rows.Select(r => r.Cells[c.Value]))
                    .Where(c => c.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                    .Select((label, i) => (label, i)).ToDictionary(t => t.label, t => t.i, StringComparer.Ordinal);
            }
        }

        return null;
    }

    /// <summary>Ratings of one table; an empty value cell is a missing rating.</summary>
    private static List<Rating> LoadRatings(RatingsTable table, int item, int rater, int value, MeasurementLevel level, Dictionary<string, int>? codes)
    {
        var ratings = new List<Rating>(table.Rows.Count);
        foreach (var row in table.Rows)
        {
            var cell = row.Cells[value];
            if (cell.Length == 0)
            {
                continue; // a missing value
            }

            var itemId = row.Cells[item];
            var raterId = row.Cells[rater];
            if (itemId.Length == 0 || raterId.Length == 0)
            {
                var empty = itemId.Length == 0 ? item : rater;
                throw new CliInputException($"{table.Name}:{row.Line}: column '{table.Header[empty]}' (field {empty + 1}) is empty");
            }

            var x = codes is null ? double.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture) : codes[cell];
            if (level == MeasurementLevel.Ratio && x < 0)
            {
                throw new CliInputException($"{table.Name}:{row.Line}: column '{table.Header[value]}' (field {value + 1}): {cell} is negative; ratio data must be non-negative");
            }

            ratings.Add(new Rating(itemId, raterId, x));
        }

        if (ratings.Count == 0)
        {
            throw new CliInputException($"{table.Name}: no ratings (every '{table.Header[value]}' cell is empty)");
        }

        return ratings;
    }

    /// <summary>Identity profile of each rater from the group columns, which must not change between a rater's rows.</summary>
    private static List<RaterProfile> LoadProfiles(RatingsTable table, int rater, string[] axes, int[] columns)
    {
        var profiles = new Dictionary<string, (Dictionary<string, string?> Markers, int Line)>(StringComparer.Ordinal);
        foreach (var row in table.Rows)
        {
            var id = row.Cells[rater];
            if (!profiles.TryGetValue(id, out var known))
            {
                var markers = new Dictionary<string, string?>(StringComparer.Ordinal);
                for (var a = 0; a < axes.Length; a++)
                {
                    markers[axes[a]] = row.Cells[columns[a]].Length == 0 ? null : row.Cells[columns[a]];
                }

                profiles[id] = (markers, row.Line);
                continue;
            }

            for (var a = 0; a < axes.Length; a++)
            {
                var cell = row.Cells[columns[a]];
                var before = known.Markers[axes[a]] ?? "";
                if (!string.Equals(cell, before, StringComparison.Ordinal))
                {
                    throw new CliInputException(
                        $"{table.Name}:{row.Line}: column '{axes[a]}' (field {columns[a] + 1}): rater '{id}' has '{cell}' here but '{before}' on line {known.Line}; group columns must describe the rater");
                }
            }
        }

        return profiles.Select(kv => new RaterProfile(kv.Key, kv.Value.Markers)).ToList();
    }

    private static string Format(double x) => double.IsNaN(x) ? "NA" : x.ToString("0.0000", CultureInfo.InvariantCulture);

    private static void WriteGroups(TextWriter output, GaiReport report)
    {
        string[] header = ["axis", "group", "raters", "irr", "xrr", "gai", "p_gai", "q_gai"];
        var rows = report.Groups.Select(g => new[]
        {
            g.Axis, g.Group, g.Raters.ToString(CultureInfo.InvariantCulture), Format(g.Irr), Format(g.Xrr), Format(g.Gai), Format(g.PGai), Format(g.QGai),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine();
        output.WriteLine(string.Join("  ", header.Select((h, i) => i < 2 ? h.PadRight(widths[i]) : h.PadLeft(widths[i]))));
        foreach (var r in rows)
        {
            output.WriteLine(string.Join("  ", r.Select((c, i) => i < 2 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
        }

        output.WriteLine();
        output.WriteLine($"p_gai: permutation p-value ({report.Permutations} permutations of identity profiles, one-sided in the direction of the deviation from the permutation median); q_gai: Benjamini-Hochberg adjusted.");
        output.WriteLine("dsi (largest GAI per axis): " + string.Join("; ", report.Dsi.Select(kv => $"{kv.Key} {Format(kv.Value)}")));
        foreach (var s in report.Skipped)
        {
            output.WriteLine($"skipped (too few raters): {s}");
        }
    }

    private static void WriteJson(string path, AlphaResult alpha, int ratings, GaiReport? report)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        Number(json, "alpha", alpha.Alpha);
        json.WriteNumber("items", alpha.Items);
        json.WriteNumber("raters", alpha.Raters);
        json.WriteNumber("ratings", ratings);
        json.WriteStartArray("groups");
        foreach (var g in report?.Groups ?? [])
        {
            json.WriteStartObject();
            json.WriteString("axis", g.Axis);
            json.WriteString("group", g.Group);
            json.WriteNumber("raters", g.Raters);
            Number(json, "irr", g.Irr);
            Number(json, "xrr", g.Xrr);
            Number(json, "gai", g.Gai);
            Number(json, "p_gai", g.PGai);
            Number(json, "q_gai", g.QGai);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartObject("dsi");
        foreach (var (axis, dsi) in report?.Dsi ?? new Dictionary<string, double>())
        {
            Number(json, axis, dsi);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>NaN (undefined statistic) is written as null: JSON has no NaN.</summary>
    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    /// <summary>
    /// A ratings CSV read with Core's RFC 4180 reader (<see cref="CsvReader"/>): the header (names trimmed) and the rows
    /// with the line on which each starts; blank lines are skipped. Syntax and encoding errors name file, line and column.
    /// </summary>
    internal sealed class RatingsTable
    {
        private RatingsTable(string name, string[] header, List<(string[] Cells, int Line)> rows)
        {
            Name = name;
            Header = header;
            Rows = rows;
        }

        public string Name { get; }

        public string[] Header { get; }

        public List<(string[] Cells, int Line)> Rows { get; }

        public static RatingsTable Read(string path)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliInputException($"cannot read {path}: {ex.Message}");
            }

            var name = Path.GetFileName(path);
            var text = StrictUtf8.TryDecode(bytes, name, out var encoding) ?? throw new CliInputException([encoding!]);
            IReadOnlyList<CsvRecord> records;
            try
            {
                records = CsvReader.ReadAll(new StringReader(text), name);
            }
            catch (CsvFormatException ex)
            {
                throw new CliInputException([ex.Error]);
            }

            if (records.Count == 0)
            {
                throw new CliInputException($"{name}:1: the file is empty; expected a header row");
            }

            var header = records[0].Fields.Select(h => h.Value.Trim()).ToArray();
            var rows = new List<(string[], int)>(records.Count - 1);
            foreach (var record in records.Skip(1))
            {
                if (record.Fields.Count == 1 && record.Fields[0].Value.Length == 0)
                {
                    continue; // blank line
                }

                if (record.Fields.Count != header.Length)
                {
                    throw new CliInputException($"{name}:{record.Line}: {record.Fields.Count} fields, but the header has {header.Length}");
                }

                rows.Add((record.Fields.Select(f => f.Value).ToArray(), record.Line));
            }

            return new RatingsTable(name, header, rows);
        }

        /// <summary>Column indices of <paramref name="names"/>, or an error naming the missing column and the ones present.</summary>
        public int[] Require(IEnumerable<string> names) => names.Select(n =>
        {
            var i = Array.FindIndex(Header, h => string.Equals(h, n, StringComparison.Ordinal));
            return i >= 0 ? i : throw new CliInputException($"{Name}:1: no column '{n}'; the columns are {string.Join(", ", Header.Select(h => $"'{h}'"))}");
        }).ToArray();
    }
}
