using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Core.Preferences;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Studies;
using Pluralist.Studies.Raters;

namespace Pluralist.Cli;

/// <summary><c>pluralist dataset build</c>: a preference dataset in the Pick-a-Pic layout from a study's (cleaned) answers.</summary>
public static class DatasetCommands
{
    public static Command Create()
    {
        var dataset = new Command("dataset", "Preference datasets for alignment trainers.");
        dataset.Subcommands.Add(Build());
        return dataset;
    }

    private static Command Build()
    {
        var study = new Argument<string>("STUDY") { Description = "Study key (or id)." };
        var protocol = new Option<string>("--protocol") { Description = "Label protocol: livs, per-criterion, soft or aggregate (docs/datasets.md).", Required = true };
        var aggregate = new Option<string>("--aggregate") { Description = "For --protocol aggregate: mean, majority or bradley-terry (default mean).", DefaultValueFactory = _ => "mean" };
        var softPerCriterion = new Option<bool>("--soft-per-criterion") { Description = "For --protocol soft: one label per criterion instead of per answer." };
        var criteria = new Option<string?>("--criteria") { Description = "Comma-separated criterion keys to use (default all)." };
        var group = new Option<string[]>("--group") { Description = "Only participants whose consented marker has this value (marker=value; repeat for an intersection).", AllowMultipleArgumentsPerToken = false };
        var groupBy = new Option<string?>("--group-by") { Description = "Comma-separated markers: write each label's consented group (groups below the study minimum are left out)." };
        var participant = new Option<string[]>("--participant") { Description = "Only this participant (pseudonym or id; repeatable)." };
        var split = new Option<string>("--split") { Description = "Shares of prompts per split, e.g. train=0.8,test=0.2 (default train=0.8,validation=0.1,test=0.1).", DefaultValueFactory = _ => "train=0.8,validation=0.1,test=0.1" };
        var seed = new Option<int>("--seed") { Description = "Seed of the prompt split (default 0).", DefaultValueFactory = _ => 0 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output directory.", Required = true };
        var format = new Option<string>("--format") { Description = "jsonl (pairs.jsonl/csv and image files, default) or parquet (Hugging Face Parquet in the Pick-a-Pic v2 layout, image bytes inside, for the reference Diffusion-DPO trainers).", DefaultValueFactory = _ => "jsonl" };
        var includeSynthetic = new Option<string?>("--include-synthetic") { Description = "Also write the labels of this synthetic run (raters run), flagged in the synthetic_run column and the datasheet; jsonl only. Synthetic answers are never included otherwise." };
        var ties = new Option<string?>("--ties") { Description = "For --format parquet: drop (default) leaves out labels that prefer neither image; soft keeps them with soft_label 0.5 and label_0 drawn by a seeded coin." };
        var command = new Command("build", "Write a preference dataset from the study's (cleaned) answers: --format jsonl writes pairs.jsonl/csv (caption, jpg_0, jpg_1, label_0, criterion, weight, soft_label, participant, group, source_answers), the images with metadata.jsonl/csv and a README datasheet; --format parquet writes data/<split>-*.parquet with Pick-a-Pic v2's columns and a Hugging Face dataset card. Uses the latest cleaning run; warns when there is none.")
        {
            study, protocol, aggregate, softPerCriterion, criteria, group, groupBy, participant, split, seed, output, format, ties, includeSynthetic,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            var labelOptions = new LabelOptions
            {
                Protocol = ParseProtocol(parse.GetValue(protocol)!),
                Aggregate = ParseAggregate(parse.GetValue(aggregate)!),
                SoftPerCriterion = parse.GetValue(softPerCriterion),
            };
            var (validation, test) = ParseSplit(parse.GetValue(split)!);
            var layout = parse.GetValue(format) switch
            {
                "jsonl" => "jsonl",
                "parquet" => "parquet",
                var other => throw new CliInputException($"--format: unknown format '{other}'; use jsonl or parquet"),
            };
            var tiePolicy = parse.GetValue(ties) switch
            {
                null => TiePolicy.Drop,
                _ when layout != "parquet" => throw new CliInputException("--ties applies to --format parquet (the jsonl layout keeps ties as label_0 0.5)"),
                "drop" => TiePolicy.Drop,
                "soft" => TiePolicy.KeepSoft,
                var other => throw new CliInputException($"--ties: unknown policy '{other}'; use drop or soft"),
            };
            var syntheticRun = parse.GetValue(includeSynthetic);
            if (syntheticRun is not null)
            {
                CommandHelpers.Require(layout == "jsonl", "--include-synthetic", "applies to --format jsonl only (the Parquet layout has no column to flag synthetic rows)");
                CommandHelpers.Require((parse.GetValue(group) ?? []).Length == 0 && (parse.GetValue(participant) ?? []).Length == 0, "--include-synthetic", "cannot be combined with --group or --participant (synthetic raters are neither)");
            }

            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var s = await StudyLookup.FindStudyAsync(db, parse.GetValue(study)!, ct).ConfigureAwait(false);
            var studyCriteria = s.Criteria.OrderBy(c => c.Position).Select(c => c.Key).ToList();
            var chosen = Criteria(parse.GetValue(criteria), studyCriteria);
            labelOptions = labelOptions with { Criteria = chosen?.ToHashSet(StringComparer.Ordinal) };

            var dataset = await StudyDatasetLoader.LoadAsync(db, s.Key, ct).ConfigureAwait(false);
            var participantIds = dataset.Rows.Select(r => r.ParticipantId).Distinct().ToList();
            if (parse.GetValue(participant) is { Length: > 0 } wanted)
            {
                labelOptions = labelOptions with { Participants = await Participants(db, s, wanted, ct).ConfigureAwait(false) };
            }

            var restrict = parse.GetValue(group) ?? [];
            var annotate = (parse.GetValue(groupBy) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (restrict.Length > 0 && annotate.Length > 0)
            {
                throw new CliInputException("--group and --group-by cannot be combined: --group already writes the group it selects");
            }

            IReadOnlyDictionary<long, string> consented = new Dictionary<long, string>();
            if (restrict.Length > 0)
            {
                var pairs = restrict.Select(g => ParseGroup(g, s)).ToList();
                consented = await StudyDatasetLoader.ConsentedGroupsAsync(db, participantIds, pairs.Select(p => p.Marker).ToList(), ct).ConfigureAwait(false);
                var wantedGroup = string.Join("/", pairs.Select(p => p.Value));
                var size = consented.Count(kv => kv.Value == wantedGroup);
                if (!Pluralist.Core.Privacy.MinimumGroupSize.MayShow(size, s.MinGroupSize))
                {
                    throw new CliInputException(string.Create(CultureInfo.InvariantCulture,
                        $"--group {string.Join(" --group ", restrict)}: fewer consented participants than the study minimum of {s.MinGroupSize}; groups that small are never exported"));
                }

                labelOptions = labelOptions with { Groups = consented, RestrictToGroup = wantedGroup };
            }
            else if (annotate.Length > 0)
            {
                foreach (var m in annotate)
                {
                    RequireMarker(m, s, "--group-by");
                }

                consented = await StudyDatasetLoader.ConsentedGroupsAsync(db, participantIds, annotate, ct).ConfigureAwait(false);
                labelOptions = labelOptions with { Groups = consented };
            }

            var warnings = new List<string>();
            var latest = await CleaningStore.LatestAsync(db, s.Id, ct).ConfigureAwait(false);
            IReadOnlyList<CleaningRow> rows = dataset.Rows;
            if (latest is not null)
            {
                var (kept, _, notCleaned) = latest.Apply(dataset.Rows);
                rows = kept;
                if (notCleaned.Count > 0)
                {
                    warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{notCleaned.Count} answers arrived after cleaning run {latest.Run.Id} and are left out: run `pluralist clean {s.Key}` again to include them"));
                }
            }

            var labels = Labeler.Build(rows, labelOptions);
            var syntheticLabels = syntheticRun is null ? [] : await RaterDataset.LabelsAsync(db, s, syntheticRun, labelOptions, ct).ConfigureAwait(false);
            if (labels.Count == 0)
            {
                warnings.Add("no labels: the selection holds no usable answers");
            }

            var input = new DatasetInput
            {
                StudyName = s.Title.Get("en") is { Length: > 0 } t ? $"{t} ({s.Key})" : s.Key,
                Criteria = chosen ?? studyCriteria,
                Protocol = Describe(labelOptions),
                Labels = labels,
                Captions = dataset.Captions,
                ImagePaths = dataset.ImagePaths.ToDictionary(kv => kv.Key, kv => Path.IsPathRooted(kv.Value) ? kv.Value : Path.Combine(data.ImagesPath, kv.Value)),
                ImageModels = dataset.ImageGenerators,
                ConsentedGroups = consented,
                MinGroupSize = s.MinGroupSize,
                Cleaning = latest?.Report,
                CleaningProvenance = latest is null ? null : string.Create(CultureInfo.InvariantCulture, $"cleaning run {latest.Run.Id} of {latest.Run.CreatedAt:yyyy-MM-dd HH:mm} UTC"),
                SplitSeed = parse.GetValue(seed),
                ValidationShare = validation,
                TestShare = test,
                Warnings = warnings,
                SyntheticLabels = syntheticLabels,
                SyntheticRun = syntheticRun,
            };
            var outDir = parse.GetValue(output)!.FullName;
            DatasetResult result;
            if (layout == "parquet")
            {
                var progress = new Progress<int>(n =>
                {
                    if (n % 10_000 < 1_000)
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n} of {input.Labels.Count} rows written"));
                    }
                });
                try
                {
                    result = await ParquetDatasetWriter.WriteAsync(input, outDir, new ParquetDatasetOptions { Ties = tiePolicy }, progress, ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new CliInputException($"--out {outDir}: {e.Message}");
                }
            }
            else
            {
                result = DatasetWriter.Write(input, outDir);
            }

            db.AuditEntries.Add(new AuditEntry
            {
                StudyId = s.Id,
                Action = "export.dataset",
                Details = new JsonObject
                {
                    ["protocol"] = input.Protocol,
                    ["format"] = layout,
                    ["out"] = outDir,
                    ["rows"] = result.Rows,
                    ["images"] = result.Images,
                    ["cleaning_run"] = latest?.Run.Id,
                    ["synthetic_run"] = syntheticRun,
                }.ToJsonString(),
                At = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            foreach (var w in result.Warnings)
            {
                await Console.Error.WriteLineAsync($"warning: {w}").ConfigureAwait(false);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Rows} rows ({string.Join(", ", result.RowsPerSplit.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))}), {result.Images} images -> {outDir}"));
            if (layout == "parquet")
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ties: {result.TiesDropped} dropped, {result.TiesKept} kept with a resolved label_0"));
            }

            Console.WriteLine(latest is null ? "cleaning: none (labels from uncleaned answers)" : string.Create(CultureInfo.InvariantCulture, $"cleaning: run {latest.Run.Id} ({latest.Report.RulesVersion})"));
            return 0;
        }));
        return command;
    }

    private static LabelProtocol ParseProtocol(string text) => text switch
    {
        "livs" => LabelProtocol.Livs,
        "per-criterion" => LabelProtocol.PerCriterion,
        "soft" => LabelProtocol.Soft,
        "aggregate" => LabelProtocol.Aggregate,
        _ => throw new CliInputException($"--protocol: unknown protocol '{text}'; use livs, per-criterion, soft or aggregate"),
    };

    private static AggregateMethod ParseAggregate(string text) => text switch
    {
        "mean" => AggregateMethod.Mean,
        "majority" => AggregateMethod.Majority,
        "bradley-terry" => AggregateMethod.BradleyTerry,
        _ => throw new CliInputException($"--aggregate: unknown method '{text}'; use mean, majority or bradley-terry"),
    };

    private static string Describe(LabelOptions o) => o.Protocol switch
    {
        LabelProtocol.Livs => "livs",
        LabelProtocol.PerCriterion => "per-criterion",
        LabelProtocol.Soft => o.SoftPerCriterion ? "soft (per criterion)" : "soft",
        _ => "aggregate " + o.Aggregate switch { AggregateMethod.Majority => "majority", AggregateMethod.BradleyTerry => "bradley-terry", _ => "mean" },
    };

    /// <summary>Parses <c>train=0.8,test=0.2</c> into validation and test shares; the shares must sum to 1.</summary>
    internal static (double Validation, double Test) ParseSplit(string text)
    {
        var shares = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq];
            if (name is not ("train" or "validation" or "test"))
            {
                throw new CliInputException($"--split: unknown split '{name}' in '{text}'; the splits are train, validation and test");
            }

            if (eq < 0 || !double.TryParse(part[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0 || v > 1)
            {
                throw new CliInputException($"--split: '{part}' needs a share between 0 and 1 (name=share)");
            }

            if (!shares.TryAdd(name, v))
            {
                throw new CliInputException($"--split: '{name}' is given twice in '{text}'");
            }
        }

        var sum = shares.Values.Sum();
        if (Math.Abs(sum - 1) > 1e-9)
        {
            throw new CliInputException(string.Create(CultureInfo.InvariantCulture, $"--split: the shares of '{text}' sum to {sum}, not 1"));
        }

        return (shares.GetValueOrDefault("validation"), shares.GetValueOrDefault("test"));
    }

    private static List<string>? Criteria(string? text, List<string> known)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var list = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var c in list.Where(c => !known.Contains(c)))
        {
            throw new CliInputException($"--criteria: unknown criterion '{c}'; the study's criteria are {string.Join(", ", known)}");
        }

        return list;
    }

    private static (string Marker, string Value) ParseGroup(string text, Study study)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
        {
            throw new CliInputException($"--group: '{text}' must be marker=value");
        }

        var marker = text[..eq].Trim();
        RequireMarker(marker, study, "--group");
        return (marker, text[(eq + 1)..].Trim());
    }

    private static void RequireMarker(string marker, Study study, string option)
    {
        if (!study.IdentityMarkers.Contains(marker))
        {
            throw new CliInputException($"{option}: unknown identity marker '{marker}'; the study's markers are {(study.IdentityMarkers.Count == 0 ? "none" : string.Join(", ", study.IdentityMarkers))}");
        }
    }

    private static async Task<IReadOnlySet<long>> Participants(PluralistDbContext db, Study study, string[] wanted, CancellationToken ct)
    {
        var result = new HashSet<long>();
        foreach (var w in wanted)
        {
            var found = await db.Participants.AsNoTracking()
                .Where(p => p.StudyId == study.Id && p.Pseudonym == w).Select(p => (long?)p.Id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (found is null && long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                found = await db.Participants.AsNoTracking().Where(p => p.StudyId == study.Id && p.Id == id).Select(p => (long?)p.Id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            }

            result.Add(found ?? throw new CliInputException($"--participant: no participant '{w}' in study '{study.Key}'"));
        }

        return result;
    }
}
