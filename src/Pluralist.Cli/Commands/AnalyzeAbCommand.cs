using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Analysis.Evaluation;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Cli;

/// <summary>
/// <c>pluralist analyze ab</c>: the blind A/B evaluation statistics (LIVS case studies I–III) from three counts, to
/// compare with a published table, or from an answers file (one row per criterion answer).
/// </summary>
public static class AnalyzeAbCommand
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var aligned = new Option<int?>("--aligned") { Description = "Answers that preferred the aligned model." };
        var baseline = new Option<int?>("--base") { Description = "Answers that preferred the base model." };
        var neutral = new Option<int?>("--neutral") { Description = "Neutral answers (ties)." };
        var answers = new Option<FileInfo?>("--answers") { Description = "CSV with a header and one row per criterion answer: prompt, participant, criterion, preference (aligned, base, neutral, or a number whose sign favours the aligned model when positive), optional source." };
        var level = new Option<double>("--level") { Description = "Confidence level of the intervals (default 0.95).", DefaultValueFactory = _ => 0.95 };
        var bootstrap = new Option<int>("--bootstrap") { Description = "With --answers: cluster-bootstrap replicates (default 2000).", DefaultValueFactory = _ => 2000 };
        var permutations = new Option<int>("--permutations") { Description = "With --answers: permutations for the prompt-source tests (default 2000).", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap and permutations (default 1).", DefaultValueFactory = _ => 1 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file." };
        var command = new Command("ab", "Aligned versus base: win rate without ties (Wilson interval), ties as half, neutral share (Wilson) and the sign test, from --aligned/--base/--neutral counts or an --answers file (then also per criterion, participant and prompt source, with cluster bootstraps and prompt-source tests).")
        {
            aligned, baseline, neutral, answers, level, bootstrap, permutations, seed, json,
        };
        command.SetAction(CliContext.Run((parse, _) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var lvl = parse.GetValue(level);
            if (!(lvl > 0 && lvl < 1))
            {
                throw new CliInputException($"--level must be between 0 and 1 (exclusive); got {lvl.ToString(Ci)}");
            }

            if (parse.GetValue(bootstrap) < 0 || parse.GetValue(permutations) < 0)
            {
                throw new CliInputException("--bootstrap and --permutations must be 0 or more");
            }

            var counts = new[] { parse.GetValue(aligned), parse.GetValue(baseline), parse.GetValue(neutral) };
            var file = parse.GetValue(answers);
            if (file is not null && counts.Any(c => c is not null))
            {
                throw new CliInputException("give either --answers or --aligned/--base/--neutral, not both");
            }

            if (file is null && counts.Any(c => c is null))
            {
                throw new CliInputException("give --aligned, --base and --neutral (all three), or --answers FILE");
            }

            var result = new JsonObjectWriter();
            if (file is null)
            {
                if (counts.Any(c => c < 0))
                {
                    throw new CliInputException("--aligned, --base and --neutral must be 0 or more");
                }

                var c = new WinTieLoss(counts[0]!.Value, counts[2]!.Value, counts[1]!.Value, lvl);
                WriteCounts(output, "overall", c);
                result.Overall = c;
            }
            else
            {
                var judgements = ReadAnswers(file.FullName);
                var options = new BootstrapOptions(parse.GetValue(bootstrap), parse.GetValue(seed), lvl);
                var overview = ABStudy.Overview(judgements, options);
                WriteCounts(output, "overall", overview.Overall.Counts);
                WriteBootstrap(output, overview.Overall);
                result.Overall = overview.Overall.Counts;
                result.Summaries.Add(overview.Overall);
                output.WriteLine();
                output.WriteLine("per criterion");
                WriteTable(output, ["criterion", "aligned", "base", "neutral", "win_rate", "lower", "upper", "ties_half", "neutral_share", "sign_p", "by_prompt", "by_participant"],
                    overview.PerCriterion.Select(s => new[]
                    {
                        s.Scope, N(s.Counts.Wins), N(s.Counts.Losses), N(s.Counts.Ties), F(s.Counts.WinRate), F(s.Counts.WinRateInterval.Lower), F(s.Counts.WinRateInterval.Upper),
                        F(s.Counts.WinRateTiesHalf), F(s.Counts.NeutralShare), P(s.Counts.SignTestP), I(s.ByPromptBootstrap), I(s.ByParticipantBootstrap),
                    }));
                result.Summaries.AddRange(overview.PerCriterion);
                var participants = ABStudy.ByParticipant(judgements, lvl);
                output.WriteLine();
                output.WriteLine("per participant (case study II)");
                WriteTable(output, ["participant", "aligned", "base", "neutral", "win_rate", "lower", "upper"],
                    participants.Select(p => new[] { p.Participant, N(p.Counts.Wins), N(p.Counts.Losses), N(p.Counts.Ties), F(p.Counts.WinRate), F(p.Counts.WinRateInterval.Lower), F(p.Counts.WinRateInterval.Upper) }));
                result.Participants = participants;
                var sources = ABStudy.ByPromptSource(judgements, lvl);
                if (sources.Count > 0)
                {
                    output.WriteLine();
                    output.WriteLine("per prompt source (case study III)");
                    WriteTable(output, ["source", "prompts", "aligned", "base", "neutral", "neutral_share", "lower", "upper", "win_rate", "lower", "upper"],
                        sources.Select(s => new[]
                        {
                            s.Source, N(s.Prompts), N(s.Counts.Wins), N(s.Counts.Losses), N(s.Counts.Ties), F(s.Counts.NeutralShare), F(s.Counts.NeutralShareInterval.Lower), F(s.Counts.NeutralShareInterval.Upper),
                            F(s.Counts.WinRate), F(s.Counts.WinRateInterval.Lower), F(s.Counts.WinRateInterval.Upper),
                        }));
                    var reference = sources.Any(s => s.Source == "human") ? "human" : sources[0].Source;
                    foreach (var other in sources.Where(s => s.Source != reference))
                    {
                        var cmp = ABStudy.ComparePromptSources(judgements, reference, other.Source, parse.GetValue(permutations), parse.GetValue(seed));
                        output.WriteLine(string.Create(Ci,
                            $"{cmp.SourceA} - {cmp.SourceB}: neutral share {F(cmp.NeutralShareDifference)} (z p {P(cmp.NeutralShareZP)}, permutation p {P(cmp.NeutralSharePermutationP)}); win rate {F(cmp.WinRateDifference)} (z p {P(cmp.WinRateZP)}, permutation p {P(cmp.WinRatePermutationP)})"));
                        result.Comparisons.Add(cmp);
                    }
                }

                result.Sources = sources;
            }

            if (parse.GetValue(json) is { } jsonFile)
            {
                result.Write(jsonFile.FullName, lvl);
            }

            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }

    private static string N(int x) => x.ToString(Ci);

    private static string F(double x) => double.IsFinite(x) ? x.ToString("0.0000", Ci) : "NA";

    private static string P(double x) => !double.IsFinite(x) ? "NA" : x >= 1e-4 ? x.ToString("0.0000", Ci) : x.ToString("0.0e+0", Ci);

    private static string I(Interval i) => double.IsFinite(i.Lower) ? $"[{F(i.Lower)}, {F(i.Upper)}]" : "NA";

    private static void WriteCounts(TextWriter output, string scope, WinTieLoss c)
    {
        var pct = (c.Level * 100).ToString("0.##", Ci);
        output.WriteLine($"{scope}: aligned {N(c.Wins)}  base {N(c.Losses)}  neutral {N(c.Ties)}  answers {N(c.Total)}");
        output.WriteLine($"win rate (ties excluded) {F(c.WinRate)}  Wilson {pct}% [{F(c.WinRateInterval.Lower)}, {F(c.WinRateInterval.Upper)}]");
        output.WriteLine($"win rate (ties as half) {F(c.WinRateTiesHalf)}");
        output.WriteLine($"neutral share {F(c.NeutralShare)}  Wilson {pct}% [{F(c.NeutralShareInterval.Lower)}, {F(c.NeutralShareInterval.Upper)}]");
        output.WriteLine($"sign test (aligned vs base, two-sided) p {P(c.SignTestP)}");
    }

    private static void WriteBootstrap(TextWriter output, ABSummary s) =>
        output.WriteLine($"win rate cluster bootstrap: by prompt {I(s.ByPromptBootstrap)}, by participant {I(s.ByParticipantBootstrap)}");

    private static void WriteTable(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var list = rows.ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, list.Count == 0 ? 0 : list.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => i == 0 ? h.PadRight(widths[i]) : h.PadLeft(widths[i]))));
        foreach (var r in list)
        {
            output.WriteLine(string.Join("  ", r.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
        }
    }

    /// <summary>The answers file: required columns prompt, participant, criterion, preference; optional source. Errors name file, line and column.</summary>
    internal static List<ABJudgement> ReadAnswers(string path)
    {
        var table = AnalyzeCommands.RatingsTable.Read(path);
        var index = table.Require(["prompt", "participant", "criterion", "preference"]);
        var source = Array.FindIndex(table.Header, h => string.Equals(h, "source", StringComparison.Ordinal));
        var list = new List<ABJudgement>(table.Rows.Count);
        foreach (var (cells, line) in table.Rows)
        {
            for (var k = 0; k < 3; k++)
            {
                if (cells[index[k]].Length == 0)
                {
                    throw new CliInputException($"{table.Name}:{line}: column '{table.Header[index[k]]}' (field {index[k] + 1}) is empty");
                }
            }

            var cell = cells[index[3]].Trim();
            ABPreference preference;
            if (cell.Equals("aligned", StringComparison.OrdinalIgnoreCase))
            {
                preference = ABPreference.Aligned;
            }
            else if (cell.Equals("base", StringComparison.OrdinalIgnoreCase))
            {
                preference = ABPreference.Base;
            }
            else if (cell.Equals("neutral", StringComparison.OrdinalIgnoreCase))
            {
                preference = ABPreference.Neutral;
            }
            else if (double.TryParse(cell, NumberStyles.Float, Ci, out var x) && double.IsFinite(x))
            {
                preference = x > 0 ? ABPreference.Aligned : x < 0 ? ABPreference.Base : ABPreference.Neutral;
            }
            else
            {
                throw new CliInputException($"{table.Name}:{line}: column 'preference' (field {index[3] + 1}): '{cell}' is not aligned, base, neutral or a number");
            }

            var src = source >= 0 && cells[source].Length > 0 ? cells[source] : null;
            list.Add(new ABJudgement(cells[index[0]], cells[index[1]], cells[index[2]], preference, src));
        }

        if (list.Count == 0)
        {
            throw new CliInputException($"{table.Name}: no answers (the file has a header only)");
        }

        return list;
    }

    /// <summary>What <c>--json</c> writes: the overall counts and statistics, and with an answers file the breakdowns.</summary>
    private sealed class JsonObjectWriter
    {
        public WinTieLoss? Overall { get; set; }

        public List<ABSummary> Summaries { get; } = [];

        public IReadOnlyList<(string Participant, WinTieLoss Counts)> Participants { get; set; } = [];

        public IReadOnlyList<PromptSourceSummary> Sources { get; set; } = [];

        public List<PromptSourceComparison> Comparisons { get; } = [];

        public void Write(string path, double level)
        {
            using var stream = File.Create(path);
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteNumber("level", level);
            json.WritePropertyName("overall");
            Counts(json, Overall!);
            json.WriteStartArray("scopes");
            foreach (var s in Summaries)
            {
                json.WriteStartObject();
                json.WriteString("scope", s.Scope);
                json.WritePropertyName("counts");
                Counts(json, s.Counts);
                Number(json, "by_prompt_lower", s.ByPromptBootstrap.Lower);
                Number(json, "by_prompt_upper", s.ByPromptBootstrap.Upper);
                Number(json, "by_participant_lower", s.ByParticipantBootstrap.Lower);
                Number(json, "by_participant_upper", s.ByParticipantBootstrap.Upper);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("participants");
            foreach (var (participant, counts) in Participants)
            {
                json.WriteStartObject();
                json.WriteString("participant", participant);
                json.WritePropertyName("counts");
                Counts(json, counts);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("sources");
            foreach (var s in Sources)
            {
                json.WriteStartObject();
                json.WriteString("source", s.Source);
                json.WriteNumber("prompts", s.Prompts);
                json.WritePropertyName("counts");
                Counts(json, s.Counts);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("source_tests");
            foreach (var c in Comparisons)
            {
                json.WriteStartObject();
                json.WriteString("source_a", c.SourceA);
                json.WriteString("source_b", c.SourceB);
                Number(json, "neutral_share_difference", c.NeutralShareDifference);
                Number(json, "neutral_z_p", c.NeutralShareZP);
                Number(json, "neutral_permutation_p", c.NeutralSharePermutationP);
                Number(json, "win_rate_difference", c.WinRateDifference);
                Number(json, "win_rate_z_p", c.WinRateZP);
                Number(json, "win_rate_permutation_p", c.WinRatePermutationP);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        private static void Counts(Utf8JsonWriter json, WinTieLoss c)
        {
            json.WriteStartObject();
            json.WriteNumber("aligned", c.Wins);
            json.WriteNumber("base", c.Losses);
            json.WriteNumber("neutral", c.Ties);
            json.WriteNumber("answers", c.Total);
            Number(json, "win_rate", c.WinRate);
            Number(json, "win_rate_lower", c.WinRateInterval.Lower);
            Number(json, "win_rate_upper", c.WinRateInterval.Upper);
            Number(json, "win_rate_ties_half", c.WinRateTiesHalf);
            Number(json, "neutral_share", c.NeutralShare);
            Number(json, "neutral_share_lower", c.NeutralShareInterval.Lower);
            Number(json, "neutral_share_upper", c.NeutralShareInterval.Upper);
            Number(json, "sign_test_p", c.SignTestP);
            json.WriteEndObject();
        }

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
    }
}
