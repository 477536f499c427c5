using System.Globalization;
using System.Text.Json.Nodes;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Descriptives;
using Pluralist.Analysis.Evaluation;
using Pluralist.Analysis.Ranking;
using Pluralist.Analysis.Statistics;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;

namespace Pluralist.Analysis.Reports;

/// <summary>What a study report is built from; the database-free view of a study.</summary>
public sealed record StudyReportInput
{
    public required string StudyKey { get; init; }

    public required string StudyTitle { get; init; }

    /// <summary>The answers to analyse: the rows the latest cleaning run kept, or all rows when there is none.</summary>
    public required IReadOnlyList<CleaningRow> Rows { get; init; }

    /// <summary>The latest cleaning run's report; null when the study was never cleaned.</summary>
    public CleaningReport? Cleaning { get; init; }

    /// <summary>Answers that arrived after the latest cleaning run (not cleaned; left out of the analyses).</summary>
    public int RowsNotCleaned { get; init; }

    /// <summary>Pseudonym per participant id (labels in tables).</summary>
    public IReadOnlyDictionary<long, string> Participants { get; init; } = new Dictionary<long, string>();

    /// <summary>Source per prompt id (<c>human</c>, <c>llm1</c>, ...).</summary>
    public IReadOnlyDictionary<long, string> PromptSources { get; init; } = new Dictionary<long, string>();

    /// <summary>Every prompt of the study with its source token and language, for the keywords per source (LIVS Fig. 3).</summary>
    public IReadOnlyList<Text.SourcedPrompt> Prompts { get; init; } = [];

    /// <summary>Prompt text per prompt id.</summary>
    public IReadOnlyDictionary<long, string> Captions { get; init; } = new Dictionary<long, string>();

    /// <summary>The study's identity markers (axes), in the order asked.</summary>
    public IReadOnlyList<string> Axes { get; init; } = [];

    /// <summary>Consented marker values per participant (only consented, answered, not withdrawn).</summary>
    public IReadOnlyDictionary<long, IReadOnlyDictionary<string, string>> Markers { get; init; } = new Dictionary<long, IReadOnlyDictionary<string, string>>();

    /// <summary>Likert ratings (DIVE task) of the study, uncleaned: the report cleans them (<see cref="Likert.LikertCleaning"/>).</summary>
    public IReadOnlyList<Likert.LikertRow> Ratings { get; init; } = [];

    /// <summary>Questions of the Likert task in the order asked (keys).</summary>
    public IReadOnlyList<string> LikertQuestions { get; init; } = [];

    /// <summary>
    /// Training labels per criterion of the dataset the aligned model was trained on (rows of its train split that name the
    /// criterion); null when no training dataset is linked, so the data-scaling section says so.
    /// </summary>
    public IReadOnlyDictionary<string, int>? TrainingLabels { get; init; }

    /// <summary>Where the training labels were read (a dataset folder), for the report's text.</summary>
    public string? TrainingDataset { get; init; }

    /// <summary>Rows of the training split that name no criterion (LIVS-protocol labels pool the criteria of an answer).</summary>
    public int TrainingLabelsWithoutCriterion { get; init; }

    /// <summary>Groups (and intersections) with fewer participants are never shown.</summary>
    public int MinGroupSize { get; init; } = 5;

    /// <summary>The study's synthetic runs compared with its people; the report has a section for them when there are any.</summary>
    public IReadOnlyList<SyntheticRunComparison> Synthetic { get; init; } = [];

    public int Permutations { get; init; } = 1000;

    public int BootstrapReplicates { get; init; } = 1000;

    /// <summary>
    /// Bootstrap replicates of case study IV's per-group fits (one per group, criterion and prompt: thousands), at most
    /// <see cref="BootstrapReplicates"/>. Fewer than the other intervals by default: docs/analysis.md gives the Monte
    /// Carlo error of a 95% percentile endpoint (about 0.19 bootstrap standard deviations at 200, 0.08 at 1,000).
    /// </summary>
    public int GroupBootstrapReplicates { get; init; } = StudyReportBuilder.DefaultGroupBootstrapReplicates;

    public int Seed { get; init; } = 1;

    public DateTimeOffset GeneratedAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// Builds the study report: descriptives, the cleaning report, the A/B case studies I–III when
/// the study has evaluation pairs, Bradley-Terry per prompt, each group's Bradley-Terry scores per
/// criterion and prompt with the App. I spread (case study IV),
/// and agreement with the group association index per identity axis. Groups below the minimum
/// size are suppressed everywhere and only their number is given.
/// </summary>
public static partial class StudyReportBuilder
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>Default of <see cref="StudyReportInput.GroupBootstrapReplicates"/>.</summary>
    public const int DefaultGroupBootstrapReplicates = 200;

    /// <summary>Builds every section; <paramref name="progress"/> hears (sections built, sections in all, the section just built).</summary>
    public static StudyReport Build(StudyReportInput input, IProgress<(int Done, int Total, string Section)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var notes = new List<string>();
        if (input.Cleaning is null)
        {
            notes.Add("The study has no cleaning run: every analysis uses uncleaned answers (run `pluralist clean`).");
        }
        else
        {
            notes.Add(string.Create(Ci, $"Analyses use the {input.Rows.Count:N0} answers kept by the latest cleaning run (rules {input.Cleaning.RulesVersion}: {input.Cleaning.RowsIn:N0} in, {input.Cleaning.RowsOut:N0} out)."));
        }

        if (input.RowsNotCleaned > 0)
        {
            notes.Add(string.Create(Ci, $"{input.RowsNotCleaned:N0} answers arrived after the latest cleaning run and are left out; run `pluralist clean` again to include them."));
        }

        var groups = SafeGroups.Build(input);
        if (groups.Suppressed > 0)
        {
            notes.Add(string.Create(Ci, $"{groups.Suppressed} identity group(s) or intersection(s) with fewer than {input.MinGroupSize} participants are not shown."));
        }

        var sections = new List<ReportSection>();
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        var builders = new List<Func<ReportSection>>
        {
            () => DescriptivesSection(input, groups),
            () => KeywordsSection(input),
            () => CleaningSection(input),
            () => EvaluationSection(input, groups),
            () => ScalingSection(input),
            () => RankingSection(input, groups),
            () => GroupScoresSection(input, groups),
            () => AgreementSection(input, groups),
            () => LikertSection(input),
            () => RaterQualitySection(input),
        };
        if (input.Synthetic.Count > 0)
        {
            builders.Add(() => SyntheticSection(input));
        }

        foreach (var build in builders)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var section = build();
            seconds[section.Id] = clock.Elapsed.TotalSeconds;
            sections.Add(section);
            progress?.Report((sections.Count, builders.Count, section.Id));
        }

        return new StudyReport($"Study report: {input.StudyTitle}", input.StudyKey, input.GeneratedAt, notes, sections) { SectionSeconds = seconds };
    }

    private static string Name(StudyReportInput input, long participant) =>
        input.Participants.TryGetValue(participant, out var n) ? n : participant.ToString(Ci);

    private static ReportSection DescriptivesSection(StudyReportInput input, SafeGroups groups)
    {
        var annotationRows = input.Rows.Where(r => r.PairKind == PairKind.Annotation).ToList();
        var d = Descriptives.Descriptives.Compute(annotationRows, p => Name(input, p), p => input.PromptSources.GetValueOrDefault(p));
        var paragraphs = new List<string>
        {
            string.Create(Ci, $"{d.Overall.Answered:N0} answered criteria ({d.Overall.Shown:N0} shown) on annotation pairs from {d.Overall.Participants:N0} participants in {d.Overall.Annotations:N0} annotations; {Pct(d.Overall.NeutralShare)} of the answers are neutral. Preferences are oriented to the pair's canonical order: −1 strongly prefers image_0, +1 image_1."),
        };
        string[] summaryColumns = ["key", "shown", "answered", "unanswered_share", "neutral", "neutral_share", "mean_preference", "variance", "participants", "annotations"];
        IReadOnlyList<object?> Row(AnswerSummary s) => [s.Key, s.Shown, s.Answered, s.UnansweredShare, s.Neutral, s.NeutralShare, s.Mean, s.Variance, s.Participants, s.Annotations];
        ReportTable Summary(string name, string caption, string keyName, IEnumerable<AnswerSummary> rows) =>
            new(name, caption, [keyName, .. summaryColumns[1..]], rows.Select(Row).ToList());

        var perCriterion = Summary("answers_per_criterion", "Answers per criterion: counts, neutral share, mean oriented preference and its variance (n − 1)", "criterion", d.PerCriterion);
        var histogram = new ReportTable("slider_distribution", "Slider values as shown per criterion (−1 = left image, +1 = right image), in bins of 0.1; exact zeros (neutral) have their own bin",
            ["criterion", "lower", "upper", "neutral_bin", "count"], d.SliderHistogram.Select(b => (IReadOnlyList<object?>)[b.Criterion, b.Lower, b.Upper, b.Lower == b.Upper, b.Count]).ToList());
        var perParticipant = Summary("answers_per_participant", "Answers per participant (pseudonym)", "participant", d.PerParticipant);
        var perBatch = Summary("answers_per_batch", "Answers per batch (batch id)", "batch", d.PerBatch);
        var perSource = Summary("answers_per_prompt_source", "Answers per prompt source", "prompt_source", d.PerPromptSource);
        var groupRows = new List<IReadOnlyList<object?>>();
        foreach (var (axis, members) in groups.ByAxisGroup())
        {
            foreach (var (group, ids) in members)
            {
                var rows = annotationRows.Where(r => ids.Contains(r.ParticipantId)).ToList();
                foreach (var c in rows.GroupBy(r => r.Criterion, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Descriptives.Descriptives.Summarize(g.Key, g.ToList())))
                {
                    groupRows.Add([axis, group, c.Key, ids.Count, c.Answered, c.Neutral, c.NeutralShare, c.Mean, c.Variance]);
                }
            }
        }

        var perGroup = new ReportTable("answers_per_group", $"Answers per consented identity group and criterion (groups of at least {input.MinGroupSize} participants)",
            ["axis", "group", "criterion", "participants", "answered", "neutral", "neutral_share", "mean_preference", "variance"], groupRows);

        var charts = new List<ReportChart>();
        if (d.PerCriterion.Count > 0)
        {
            var values = new JsonArray(d.PerCriterion.SelectMany(s => new[]
            {
                Obj(("criterion", s.Key), ("answer", "non-neutral"), ("count", s.Answered - s.Neutral)),
                Obj(("criterion", s.Key), ("answer", "neutral"), ("count", s.Neutral)),
            }).ToArray());
            charts.Add(new ReportChart("answers-per-criterion", "Answers per criterion",
                "Answered criteria per criterion, split into neutral and non-neutral: " + string.Join("; ", d.PerCriterion.Select(s => string.Create(Ci, $"{s.Key} {s.Answered} answers, {Pct(s.NeutralShare)} neutral"))) + ".",
                Spec("Answers per criterion", values, "bar", new JsonObject
                {
                    ["y"] = Field("criterion", "nominal", "Criterion"),
                    ["x"] = Field("count", "quantitative", "Answers"),
                    ["color"] = Field("answer", "nominal", "Answer"),
                })));
            var bins = new JsonArray(d.SliderHistogram.Select(b => Obj(("criterion", b.Criterion), ("value", b.Lower == b.Upper ? 0 : (b.Lower + b.Upper) / 2), ("bin", b.Lower == b.Upper ? "neutral (0)" : "slider"), ("count", b.Count))).ToArray());
            var hist = Spec("Slider values per criterion", bins, "bar", new JsonObject
            {
                ["x"] = new JsonObject { ["field"] = "value", ["type"] = "quantitative", ["title"] = "Slider value as shown (−1 left, +1 right)", ["scale"] = new JsonObject { ["domain"] = new JsonArray(-1, 1) } },
                ["y"] = Field("count", "quantitative", "Answers"),
                ["color"] = Field("bin", "nominal", "Bin"),
                ["row"] = Field("criterion", "nominal", "Criterion"),
            });
            hist["mark"] = new JsonObject { ["type"] = "bar", ["width"] = 6 };
            hist["height"] = 60;
            charts.Add(new ReportChart("slider-distribution", "Slider distributions", "Histogram of slider values as shown for each criterion, 0.1 wide bins with neutral answers in their own bin: " +
                string.Join("; ", d.PerCriterion.Select(s => string.Create(Ci, $"{s.Key} mean oriented preference {F(s.Mean)}, variance {F(s.Variance)}"))) + ".", hist));
        }

        if (d.PerParticipant.Count > 0)
        {
            var counts = d.PerParticipant.Select(s => s.Answered).Order().ToArray();
            var values = new JsonArray(d.PerParticipant.Select(s => Obj(("participant", s.Key), ("answers", s.Answered))).ToArray());
            var spec = Spec("Answers per participant", values, "bar", new JsonObject
            {
                ["x"] = new JsonObject { ["field"] = "answers", ["type"] = "quantitative", ["bin"] = new JsonObject { ["maxbins"] = 30 }, ["title"] = "Answers per participant" },
                ["y"] = new JsonObject { ["aggregate"] = "count", ["type"] = "quantitative", ["title"] = "Participants" },
            });
            charts.Add(new ReportChart("answers-per-participant", "Answers per participant",
                string.Create(Ci, $"Distribution of answers per participant over {counts.Length} participants: minimum {counts[0]}, median {counts[counts.Length / 2]}, maximum {counts[^1]}."), spec));
        }

        if (d.PerPromptSource.Count > 0)
        {
            var values = new JsonArray(d.PerPromptSource.Select(s => Obj(("source", s.Key), ("neutral_share", s.NeutralShare), ("answers", s.Answered))).ToArray());
            charts.Add(new ReportChart("neutral-per-source", "Neutral share per prompt source",
                "Share of neutral answers per prompt source: " + string.Join("; ", d.PerPromptSource.Select(s => string.Create(Ci, $"{s.Key} {Pct(s.NeutralShare)} of {s.Answered}"))) + ".",
                Spec("Neutral share per prompt source", values, "bar", new JsonObject
                {
                    ["x"] = Field("source", "nominal", "Prompt source"),
                    ["y"] = new JsonObject { ["field"] = "neutral_share", ["type"] = "quantitative", ["title"] = "Neutral share", ["axis"] = new JsonObject { ["format"] = "%" } },
                })));
        }

        if (d.PerBatch.Count > 0)
        {
            var values = new JsonArray(d.PerBatch.Select(s => Obj(("batch", s.Key), ("answers", s.Answered))).ToArray());
            charts.Add(new ReportChart("answers-per-batch", "Answers per batch",
                "Answered criteria per batch: " + string.Join("; ", d.PerBatch.Select(s => string.Create(Ci, $"batch {s.Key} {s.Answered} from {s.Participants} participants"))) + ".",
                Spec("Answers per batch", values, "bar", new JsonObject
                {
                    ["x"] = Field("batch", "nominal", "Batch"),
                    ["y"] = Field("answers", "quantitative", "Answers"),
                })));
        }

        return new ReportSection("descriptives", "Descriptive statistics", paragraphs, charts, [perCriterion, histogram, perParticipant, perBatch, perSource, perGroup]);
    }

    private static ReportSection CleaningSection(StudyReportInput input)
    {
        if (input.Cleaning is not { } c)
        {
            return new ReportSection("cleaning", "Cleaning", ["The study has not been cleaned: run `pluralist clean STUDY` to record a cleaning run. The analyses below use every stored answer."], [], []);
        }

        var stages = new ReportTable("cleaning_stages", "Rows per cleaning stage (a row is counted at the first rule that drops it)",
            ["stage", "rule", "reason", "rows_in", "dropped", "rows_out", "matched"],
            c.Stages.Select(s => (IReadOnlyList<object?>)[s.Stage, s.Rule, s.ReasonCode, s.RowsIn, s.Dropped, s.RowsOut, s.Matched]).ToList());
        var perCriterion = new ReportTable("cleaning_per_criterion", "Cleaning per criterion", ["criterion", "rows_in", "rows_out", "dropped_by_rule"],
            c.PerCriterion.Select(b => (IReadOnlyList<object?>)[b.Key, b.RowsIn, b.RowsOut, string.Join("; ", b.DroppedByRule.Select(kv => $"{kv.Key}: {kv.Value}"))]).ToList());
        var perParticipant = new ReportTable("cleaning_per_participant", "Cleaning per participant (pseudonym)", ["participant", "rows_in", "rows_out", "dropped_by_rule"],
            c.PerParticipant.Select(b => (IReadOnlyList<object?>)[long.TryParse(b.Key, NumberStyles.Integer, Ci, out var id) ? Name(input, id) : b.Key, b.RowsIn, b.RowsOut, string.Join("; ", b.DroppedByRule.Select(kv => $"{kv.Key}: {kv.Value}"))]).ToList());
        var values = new JsonArray(c.Stages.Select(s => Obj(("rule", $"{s.Stage}. {s.Rule}"), ("dropped", s.Dropped))).ToArray());
        var chart = new ReportChart("cleaning-stages", "Rows dropped per rule",
            string.Create(Ci, $"{c.RowsIn:N0} rows in, {c.RowsOut:N0} out. Dropped per rule in order: ") + string.Join("; ", c.Stages.Select(s => $"{s.Rule} {s.Dropped}")) + ".",
            Spec("Rows dropped per rule", values, "bar", new JsonObject
            {
                ["y"] = new JsonObject { ["field"] = "rule", ["type"] = "nominal", ["title"] = "Rule", ["sort"] = null },
                ["x"] = Field("dropped", "quantitative", "Rows dropped"),
            }));
        return new ReportSection("cleaning", "Cleaning",
            [string.Create(Ci, $"Rules version {c.RulesVersion}: {c.RowsIn:N0} rows in, {c.RowsOut:N0} out ({c.RowsIn - c.RowsOut:N0} dropped). Rules mark rows and never delete them.")],
            [chart], [stages, perCriterion, perParticipant]);
    }

    // Evaluation pairs hold the base model's image as image_0 and the aligned model's as image_1
    // (canonical order; the side shown was randomised), so an oriented preference > 0 favours the aligned model.
    private static ReportSection EvaluationSection(StudyReportInput input, SafeGroups groups)
    {
        var judgements = input.Rows.Where(r => r.PairKind == PairKind.Evaluation && r.Preference is not null)
            .Select(r => new ABJudgement(r.PromptId.ToString(Ci), Name(input, r.ParticipantId), r.Criterion,
                r.Preference > 0 ? ABPreference.Aligned : r.Preference < 0 ? ABPreference.Base : ABPreference.Neutral,
                input.PromptSources.GetValueOrDefault(r.PromptId)))
            .ToList();
        const string heading = "Aligned versus base (case studies I–III)";
        if (judgements.Count == 0)
        {
            return new ReportSection("evaluation", heading, ["The study has no answered evaluation pairs, so the A/B case studies are not computed."], [], []);
        }

        var bootstrap = new BootstrapOptions(input.BootstrapReplicates, input.Seed);
        var overview = ABStudy.Overview(judgements, bootstrap);
        string[] columns = ["scope", "aligned", "neutral", "base", "win_rate", "wilson_lower", "wilson_upper", "win_rate_ties_half", "neutral_share", "sign_test_p", "prompt_bootstrap_lower", "prompt_bootstrap_upper", "participant_bootstrap_lower", "participant_bootstrap_upper"];
        IReadOnlyList<object?> Row(ABSummary s) =>
        [
            s.Scope, s.Counts.Wins, s.Counts.Ties, s.Counts.Losses, s.Counts.WinRate, s.Counts.WinRateInterval.Lower, s.Counts.WinRateInterval.Upper,
            s.Counts.WinRateTiesHalf, s.Counts.NeutralShare, s.Counts.SignTestP,
            s.ByPromptBootstrap.Lower, s.ByPromptBootstrap.Upper, s.ByParticipantBootstrap.Lower, s.ByParticipantBootstrap.Upper,
        ];
        var overall = new ReportTable("ab_overall", "Case study I: aligned versus base, overall and per criterion (win rate excludes ties; Wilson and cluster-bootstrap 95% intervals)",
            columns, [Row(overview.Overall), .. overview.PerCriterion.Select(Row)]);
        var perParticipant = ABStudy.ByParticipant(judgements);
        var byParticipant = new ReportTable("ab_per_participant", "Case study II: each participant's answers (Wilson 95% interval of the win rate)",
            ["participant", "aligned", "neutral", "base", "win_rate", "wilson_lower", "wilson_upper"],
            perParticipant.Select(p => (IReadOnlyList<object?>)[p.Participant, p.Counts.Wins, p.Counts.Ties, p.Counts.Losses, p.Counts.WinRate, p.Counts.WinRateInterval.Lower, p.Counts.WinRateInterval.Upper]).ToList());
        var byGroup = new ReportTable("ab_per_group", $"Case study II: consented identity groups and intersections of at least {input.MinGroupSize} participants (bootstrap clustered by participant)",
            ["axis", "group", "participants", .. columns[1..]],
            ABStudy.ByIdentity(judgements, groups.Profiles, groups.Axes, intersections: true, bootstrap)
                .Where(g => groups.IsShown(g.Axis, g.Group))
                .Select(g => (IReadOnlyList<object?>)[g.Axis, g.Group, g.Participants, .. Row(g.Summary).Skip(1)]).ToList());
        var sources = ABStudy.ByPromptSource(judgements);
        var bySource = new ReportTable("ab_per_prompt_source", "Case study III: neutral share and win rate per prompt source",
            ["source", "prompts", "aligned", "neutral", "base", "neutral_share", "neutral_lower", "neutral_upper", "win_rate", "wilson_lower", "wilson_upper"],
            sources.Select(s => (IReadOnlyList<object?>)[s.Source, s.Prompts, s.Counts.Wins, s.Counts.Ties, s.Counts.Losses, s.Counts.NeutralShare, s.Counts.NeutralShareInterval.Lower, s.Counts.NeutralShareInterval.Upper, s.Counts.WinRate, s.Counts.WinRateInterval.Lower, s.Counts.WinRateInterval.Upper]).ToList());
        var comparisons = new List<IReadOnlyList<object?>>();
        var reference = sources.Any(s => s.Source == "human") ? "human" : (sources.Count > 0 ? sources[0].Source : null);
        foreach (var other in sources.Where(s => s.Source != reference))
        {
            var cmp = ABStudy.ComparePromptSources(judgements, reference!, other.Source, input.Permutations, input.Seed);
            comparisons.Add([cmp.SourceA, cmp.SourceB, cmp.NeutralShareDifference, cmp.NeutralShareZP, cmp.NeutralSharePermutationP, cmp.WinRateDifference, cmp.WinRateZP, cmp.WinRatePermutationP]);
        }

        var compare = new ReportTable("ab_prompt_source_tests", "Case study III: differences between prompt sources (A − B) with a two-proportion z test and a permutation test over prompts",
            ["source_a", "source_b", "neutral_share_difference", "neutral_z_p", "neutral_permutation_p", "win_rate_difference", "win_rate_z_p", "win_rate_permutation_p"], comparisons);

        var points = new JsonArray([.. new[] { overview.Overall }.Concat(overview.PerCriterion).Select(s => Obj(("scope", s.Scope), ("win_rate", s.Counts.WinRate), ("lower", s.Counts.WinRateInterval.Lower), ("upper", s.Counts.WinRateInterval.Upper)))]);
        var spec = new JsonObject
        {
            ["description"] = "Win rate of the aligned model per criterion with Wilson intervals",
            ["data"] = new JsonObject { ["values"] = points },
            ["width"] = 420,
            ["layer"] = new JsonArray(
                new JsonObject
                {
                    ["mark"] = "rule",
                    ["encoding"] = new JsonObject { ["y"] = Field("scope", "nominal", "Scope"), ["x"] = new JsonObject { ["field"] = "lower", ["type"] = "quantitative", ["title"] = "Win rate of the aligned model (ties excluded)", ["scale"] = new JsonObject { ["domain"] = new JsonArray(0, 1) } }, ["x2"] = new JsonObject { ["field"] = "upper" } },
                },
                new JsonObject
                {
                    ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true, ["size"] = 60 },
                    ["encoding"] = new JsonObject { ["y"] = Field("scope", "nominal", "Scope"), ["x"] = Field("win_rate", "quantitative", "Win rate") },
                },
                new JsonObject { ["mark"] = new JsonObject { ["type"] = "rule", ["strokeDash"] = new JsonArray(4, 4) }, ["encoding"] = new JsonObject { ["x"] = new JsonObject { ["datum"] = 0.5 } } }),
        };
        var o = overview.Overall.Counts;
        var chart = new ReportChart("ab-win-rate", "Win rate of the aligned model",
            string.Create(Ci, $"Overall {o.Wins} aligned, {o.Ties} neutral, {o.Losses} base: win rate {Pct(o.WinRate)} (Wilson {Pct(o.WinRateInterval.Lower)}–{Pct(o.WinRateInterval.Upper)}), sign test p = {F(o.SignTestP)}. Per criterion: ") +
            string.Join("; ", overview.PerCriterion.Select(s => string.Create(Ci, $"{s.Scope} {Pct(s.Counts.WinRate)}"))) + ".", spec);
        return new ReportSection("evaluation", heading,
            ["Evaluation pairs hold the base model's image as image_0 and the aligned model's as image_1; a positive oriented preference favours the aligned model, zero is a tie (neutral)."],
            [chart, .. ParticipantWinChart(perParticipant)], [overall, byParticipant, byGroup, bySource, compare]);
    }

    /// <summary>
    /// Case study II as a chart: each participant's win rate for the aligned model with its Wilson interval, sorted, with
    /// the share of participants above one half (the data names participants, so liaisons do not get it).
    /// </summary>
    private static IEnumerable<ReportChart> ParticipantWinChart(IReadOnlyList<(string Participant, WinTieLoss Counts)> participants)
    {
        var decided = participants.Where(p => p.Counts.Wins + p.Counts.Losses > 0).OrderBy(p => p.Counts.WinRate).ThenBy(p => p.Participant, StringComparer.Ordinal).ToList();
        if (decided.Count == 0)
        {
            yield break;
        }

        var values = new JsonArray([.. decided.Select(p => Obj(("participant", p.Participant), ("win_rate", p.Counts.WinRate), ("lower", p.Counts.WinRateInterval.Lower), ("upper", p.Counts.WinRateInterval.Upper), ("answers", p.Counts.Wins + p.Counts.Ties + p.Counts.Losses)))]);
        var order = new JsonArray([.. decided.Select(p => (JsonNode)JsonValue.Create(p.Participant)!)]);
        var y = new JsonObject { ["field"] = "participant", ["type"] = "nominal", ["title"] = "Participant", ["sort"] = order };
        var spec = new JsonObject
        {
            ["description"] = "Win rate of the aligned model per participant with Wilson intervals",
            ["data"] = new JsonObject { ["values"] = values },
            ["width"] = 420,
            ["layer"] = new JsonArray(
                new JsonObject
                {
                    ["mark"] = "rule",
                    ["encoding"] = new JsonObject { ["y"] = y.DeepClone(), ["x"] = new JsonObject { ["field"] = "lower", ["type"] = "quantitative", ["title"] = "Win rate of the aligned model (ties excluded)", ["scale"] = new JsonObject { ["domain"] = new JsonArray(0, 1) } }, ["x2"] = new JsonObject { ["field"] = "upper" } },
                },
                new JsonObject
                {
                    ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true, ["size"] = 40 },
                    ["encoding"] = new JsonObject { ["y"] = y.DeepClone(), ["x"] = Field("win_rate", "quantitative", "Win rate") },
                },
                new JsonObject { ["mark"] = new JsonObject { ["type"] = "rule", ["strokeDash"] = new JsonArray(4, 4) }, ["encoding"] = new JsonObject { ["x"] = new JsonObject { ["datum"] = 0.5 } } }),
        };
        var above = decided.Count(p => p.Counts.WinRate > 0.5);
        var excluding = decided.Count(p => p.Counts.WinRateInterval.Lower > 0.5);
        yield return new ReportChart("ab-per-participant", "Case study II: win rate per participant",
            string.Create(Ci, $"{decided.Count} participants with at least one non-neutral evaluation answer: {above} ({Pct((double)above / decided.Count)}) prefer the aligned model more often than the base, and for {excluding} the Wilson interval lies above one half. Lowest win rate {Pct(decided[0].Counts.WinRate)}, highest {Pct(decided[^1].Counts.WinRate)}."),
            spec);
    }

    private static ReportSection RankingSection(StudyReportInput input, SafeGroups groups)
    {
        var rows = input.Rows.Where(r => r.PairKind == PairKind.Annotation && r.Preference is not null).ToList();
        var options = new BradleyTerryOptions { BootstrapReplicates = input.BootstrapReplicates, Seed = input.Seed };
        var fits = BradleyTerry.FitPerScope(rows, r => r.PromptId.ToString(Ci),
            r => PairComparison.FromPreference(r.Image0Id.ToString(Ci), r.Image1Id.ToString(Ci), r.Preference!.Value, Name(input, r.ParticipantId)), options);
        var table = new ReportTable("bradley_terry_per_prompt", "Bradley-Terry scores of each prompt's images from every answered criterion (Davidson ties, bootstrap over participants)",
            ["prompt", "caption", "image", "theta", "lower", "upper", "comparisons", "wins", "ties"],
            fits.SelectMany(f => f.Fit.Scores.Select(s => (IReadOnlyList<object?>)[f.Scope, input.Captions.GetValueOrDefault(long.Parse(f.Scope, Ci)), s.Item, s.Theta, s.Interval.Lower, s.Interval.Upper, s.Comparisons, s.Wins, s.Ties])).ToList());

        var charts = new List<ReportChart>();
        var shown = fits.Take(12).ToList();
        if (shown.Count > 0)
        {
            var values = new JsonArray([.. shown.SelectMany(f => f.Fit.Scores.Select(s => Obj(("prompt", f.Scope), ("image", s.Item), ("theta", s.Theta), ("lower", s.Interval.Lower), ("upper", s.Interval.Upper))))]);
            var spec = new JsonObject
            {
                ["description"] = "Bradley-Terry scores per image for the first prompts",
                ["data"] = new JsonObject { ["values"] = values },
                ["facet"] = new JsonObject { ["row"] = Field("prompt", "nominal", "Prompt") },
                ["resolve"] = new JsonObject { ["scale"] = new JsonObject { ["y"] = "independent" } },
                ["spec"] = new JsonObject
                {
                    ["width"] = 360,
                    ["layer"] = new JsonArray(
                        new JsonObject { ["mark"] = "rule", ["encoding"] = new JsonObject { ["y"] = Field("image", "nominal", "Image"), ["x"] = new JsonObject { ["field"] = "lower", ["type"] = "quantitative", ["title"] = "Bradley-Terry score (log strength)" }, ["x2"] = new JsonObject { ["field"] = "upper" } } },
                        new JsonObject { ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true }, ["encoding"] = new JsonObject { ["y"] = Field("image", "nominal", "Image"), ["x"] = Field("theta", "quantitative", "Score") } }),
                },
            };
            charts.Add(new ReportChart("bradley-terry", "Bradley-Terry scores per prompt",
                string.Create(Ci, $"Scores of the images of {shown.Count} of {fits.Count} prompts with bootstrap intervals; the highest-scoring image per prompt: ") +
                string.Join("; ", shown.Select(f => $"prompt {f.Scope}: image {f.Fit.Scores.MaxBy(s => s.Theta)!.Item}")) + ". The full table lists every prompt.", spec));
        }

        return new ReportSection("rankings", "Rankings per prompt",
            ["Bradley-Terry per prompt uses each answered criterion as one comparison (neutral = tie); scores are centred log-strengths."], charts, [table]);
    }

    // Case study IV (LIVS): per criterion, each group's own Bradley-Terry scores of each prompt's images. A comparison
    // names its winner by image, so the scores do not depend on which image of a pair is image_0; the spread (App. I)
    // is taken over the slider values as shown, whose side was drawn per assignment, for the same reason.
    private static ReportSection GroupScoresSection(StudyReportInput input, SafeGroups groups)
    {
        const string heading = "Scores per group and intersection (case study IV)";
        var rows = input.Rows.Where(r => r.PairKind == PairKind.Annotation && r.Preference is not null).ToList();
        if (rows.Count == 0)
        {
            return new ReportSection("group-scores", heading, ["The study has no answered annotation pairs, so no group scores are computed."], [], []);
        }

        var answers = rows.Select(r => new CriterionPreference(r.Image0Id.ToString(Ci), r.Image1Id.ToString(Ci), Name(input, r.ParticipantId), r.Criterion, r.Preference!.Value, r.PromptId.ToString(Ci))).ToList();
        var replicates = Math.Min(input.GroupBootstrapReplicates, input.BootstrapReplicates);
        var options = new BradleyTerryOptions { BootstrapReplicates = replicates, Seed = input.Seed };
        bool Shown(string axis, string group) => axis == IntersectionalScores.Everyone || groups.IsShown(axis, group);
        var scores = IntersectionalScores.FromPreferences(answers, groups.Profiles, groups.Axes, intersections: true, options, Shown);
        var scoreTable = new ReportTable("group_scores", $"Case study IV: Bradley-Terry score of each prompt's images per criterion, fitted separately for everyone and for each consented group and intersection of at least {input.MinGroupSize} participants (Davidson ties; 95% bootstrap intervals resampling the group's participants, {replicates} replicates)",
            ["axis", "group", "criterion", "prompt", "image", "theta", "lower", "upper", "comparisons", "wins", "ties", "participants"],
            scores.Select(s => (IReadOnlyList<object?>)[s.Axis, s.Group, s.Criterion, s.Scope, s.Item, s.Theta, s.Interval.Lower, s.Interval.Upper, s.Comparisons, s.Wins, s.Ties, s.Raters]).ToList());

        var spreadRows = new List<IReadOnlyList<object?>>();
        var spreads = new List<(string Axis, string Group, AnswerSpread Spread)>();
        void AddSpread(string axis, string group, int participants, IEnumerable<CleaningRow> members)
        {
            foreach (var sp in IntersectionalScores.Spread(members.Select(r => (r.Criterion, r.ScoreAsShown!.Value))))
            {
                spreads.Add((axis, group, sp));
                spreadRows.Add([axis, group, sp.Criterion, participants, sp.N, sp.Variance, sp.Mean, sp.NeutralShare]);
            }
        }

        AddSpread(IntersectionalScores.Everyone, IntersectionalScores.Everyone, rows.Select(r => r.ParticipantId).Distinct().Count(), rows);
        foreach (var (axis, members) in groups.ByAxisGroup())
        {
            foreach (var (group, ids) in members)
            {
                AddSpread(axis, group, ids.Count, rows.Where(r => ids.Contains(r.ParticipantId)));
            }
        }

        var spreadTable = new ReportTable("spread_per_group", $"Case study IV and LIVS App. I: spread of the slider values as shown (−1 left, +1 right) per criterion for everyone and each group and intersection of at least {input.MinGroupSize} participants: variance (n − 1), mean (a side bias) and neutral share",
            ["axis", "group", "criterion", "participants", "answered", "variance", "mean_as_shown", "neutral_share"], spreadRows);

        var charts = new List<ReportChart>();
        string Label(string axis, string group) => axis == IntersectionalScores.Everyone ? "everyone" : $"{axis}: {group}";
        foreach (var prompt in scores.Select(s => s.Scope!).Distinct(StringComparer.Ordinal).OrderBy(p => long.Parse(p, Ci)).Take(3))
        {
            var these = scores.Where(s => s.Scope == prompt).ToList();
            var values = new JsonArray([.. these.Select(s => Obj(("group", Label(s.Axis, s.Group)), ("criterion", s.Criterion), ("image", s.Item), ("theta", s.Theta), ("lower", s.Interval.Lower), ("upper", s.Interval.Upper)))]);
            var spec = new JsonObject
            {
                ["description"] = $"Bradley-Terry scores of the images of prompt {prompt} per criterion and group",
                ["data"] = new JsonObject { ["values"] = values },
                ["facet"] = new JsonObject { ["row"] = Field("criterion", "nominal", "Criterion") },
                ["spec"] = new JsonObject
                {
                    ["width"] = 360,
                    ["layer"] = new JsonArray(
                        new JsonObject { ["mark"] = "rule", ["encoding"] = new JsonObject { ["y"] = Field("group", "nominal", "Group"), ["x"] = new JsonObject { ["field"] = "lower", ["type"] = "quantitative", ["title"] = "Bradley-Terry score (log strength)" }, ["x2"] = new JsonObject { ["field"] = "upper" }, ["color"] = Field("image", "nominal", "Image") } },
                        new JsonObject { ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true, ["tooltip"] = true }, ["encoding"] = new JsonObject { ["y"] = Field("group", "nominal", "Group"), ["x"] = Field("theta", "quantitative", "Score"), ["color"] = Field("image", "nominal", "Image") } }),
                },
            };
            var best = these.GroupBy(s => (s.Axis, s.Group, s.Criterion)).Select(g => g.MaxBy(s => s.Theta)!).ToList();
            var everyone = best.Where(b => b.Axis == IntersectionalScores.Everyone).Select(b => $"{b.Criterion} image {b.Item}");
            var differ = best.Where(b => b.Axis != IntersectionalScores.Everyone && best.Any(e => e.Axis == IntersectionalScores.Everyone && e.Criterion == b.Criterion && e.Item != b.Item))
                .Select(b => $"{Label(b.Axis, b.Group)} on {b.Criterion} prefers image {b.Item}").ToList();
            charts.Add(new ReportChart($"group-scores-{prompt}", $"Scores per group, prompt {prompt}",
                string.Create(Ci, $"Bradley-Terry score of each image of prompt {prompt} per criterion (rows) for everyone and each group (vertical axis), with bootstrap intervals. Highest for everyone: {string.Join("; ", everyone)}. ") +
                (differ.Count == 0 ? "Every group's highest-scoring image is everyone's." : "Groups whose highest-scoring image differs from everyone's: " + string.Join("; ", differ) + "."), spec));
        }

        if (spreads.Count > 0)
        {
            var values = new JsonArray([.. spreads.Select(s => Obj(("group", Label(s.Axis, s.Group)), ("criterion", s.Spread.Criterion), ("variance", s.Spread.Variance), ("neutral_share", s.Spread.NeutralShare)))]);
            var spec = Spec("Variance of the slider values per criterion and group", values, "bar", new JsonObject
            {
                ["y"] = Field("group", "nominal", "Group"),
                ["x"] = Field("variance", "quantitative", "Variance of the slider values (n − 1)"),
                ["row"] = Field("criterion", "nominal", "Criterion"),
            });
            var everyone = spreads.Where(s => s.Axis == IntersectionalScores.Everyone).Select(s => string.Create(Ci, $"{s.Spread.Criterion} {F(s.Spread.Variance)}"));
            var widest = spreads.Where(s => s.Axis != IntersectionalScores.Everyone && double.IsFinite(s.Spread.Variance)).GroupBy(s => s.Spread.Criterion).Select(g => g.MaxBy(s => s.Spread.Variance)).Select(s => string.Create(Ci, $"{s.Spread.Criterion}: {Label(s.Axis, s.Group)} {F(s.Spread.Variance)}")).ToList();
            charts.Add(new ReportChart("spread-per-group", "Spread of the answers per group (App. I)",
                "Variance of the slider values per criterion, for everyone: " + string.Join("; ", everyone) + "." +
                (widest.Count == 0 ? "" : " Largest per criterion among the groups: " + string.Join("; ", widest) + "."), spec));
        }

        return new ReportSection("group-scores", heading,
            [
                "Each group's answers on each criterion are fitted on their own: a Bradley-Terry model per prompt (images of different prompts are never compared), so a score says how the group ranks that prompt's images, whatever image was image_0 of a pair. Intervals resample the group's participants with all their answers" +
                    (replicates < input.BootstrapReplicates
                        ? string.Create(Ci, $": 95% percentile intervals of {replicates} bootstrap replicates per fit, fewer than the {input.BootstrapReplicates} of the other intervals because there are {scores.Select(s => (s.Axis, s.Group, s.Criterion, s.Scope)).Distinct().Count():N0} fits (an endpoint's Monte Carlo error is about {F(MonteCarloEndpointError(replicates))} bootstrap standard deviations, against {F(MonteCarloEndpointError(input.BootstrapReplicates))} at {input.BootstrapReplicates}; `--group-bootstrap N` raises it).")
                        : string.Create(Ci, $": 95% percentile intervals of {replicates} bootstrap replicates per fit.")),
                "The spread is computed on the slider values as shown, which do not depend on the pairs' canonical order; the side of each image was drawn at random per assignment.",
            ],
            charts, [scoreTable, spreadTable]);
    }

    /// <summary>
    /// Standard error, in bootstrap standard deviations, of the 2.5% percentile of <paramref name="replicates"/> draws of a
    /// normal distribution: √(p(1 − p)/B) / φ(z_p) (the asymptotic variance of a sample quantile).
    /// </summary>
    internal static double MonteCarloEndpointError(int replicates) =>
        replicates <= 0 ? double.NaN : Math.Sqrt(0.025 * 0.975 / replicates) / MathNet.Numerics.Distributions.Normal.PDF(0, 1, MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.025));

    private static ReportSection AgreementSection(StudyReportInput input, SafeGroups groups)
    {
        const string heading = "Agreement and group association";
        var ratings = input.Rows.Where(r => r.PairKind == PairKind.Annotation && r.Preference is not null)
            .Select(r => new Rating(string.Create(Ci, $"{r.PairId}/{r.Criterion}"), Name(input, r.ParticipantId), r.Preference!.Value)).ToList();
        if (ratings.Select(r => r.Rater).Distinct(StringComparer.Ordinal).Take(2).Count() < 2)
        {
            return new ReportSection("agreement", heading, ["Agreement needs answers from at least two participants."], [], []);
        }

        var paragraphs = new List<string>();
        var tables = new List<ReportTable>();
        var charts = new List<ReportChart>();
        var alpha = Krippendorff.Alpha(ratings, MeasurementLevel.Interval);
        tables.Add(new ReportTable("agreement_overall", "Krippendorff's alpha (interval) of the oriented preferences; items are (pair, criterion)",
            ["alpha", "items", "raters", "pairable_values", "observed_disagreement", "expected_disagreement"],
            [[alpha.Alpha, alpha.Items, alpha.Raters, alpha.PairableValues, alpha.ObservedDisagreement, alpha.ExpectedDisagreement]]));
        paragraphs.Add(string.Create(Ci, $"Krippendorff's alpha (interval) over {alpha.Items:N0} (pair, criterion) items answered by at least two participants: {F(alpha.Alpha)}."));
        var axes = groups.Axes.Where(a => groups.Profiles.Any(p => p.Markers.ContainsKey(a))).ToList();
        if (axes.Count == 0)
        {
            paragraphs.Add($"No identity axis has a consented group of at least {input.MinGroupSize} participants, so the group association index is not computed.");
            return new ReportSection("agreement", heading, paragraphs, charts, tables);
        }

        try
        {
            var gai = GroupAssociationIndex.Analyze(ratings, groups.Profiles, axes, new GaiOptions
            {
                Level = MeasurementLevel.Interval,
                Permutations = input.Permutations,
                Seed = input.Seed,
                MinGroupSize = Math.Max(2, input.MinGroupSize),
            });
            var shown = gai.Groups.Where(g => groups.IsShown(g.Axis, g.Group)).ToList();
            tables.Add(new ReportTable("gai", string.Create(Ci, $"Group association index per consented group (IRR / xRR; {gai.Permutations} permutations of identity profiles; q = Benjamini-Hochberg)"),
                ["axis", "group", "raters", "ratings", "irr", "xrr", "gai", "permutation_median", "p", "q"],
                shown.Select(g => (IReadOnlyList<object?>)[g.Axis, g.Group, g.Raters, g.Ratings, g.Irr, g.Xrr, g.Gai, g.PermutationMedian, g.PGai, g.QGai]).ToList()));
            tables.Add(new ReportTable("dsi", "Diversity sensitivity index per axis (largest GAI of the axis's groups)", ["axis", "dsi"],
                gai.Dsi.Select(kv => (IReadOnlyList<object?>)[kv.Key, kv.Value]).ToList()));
            var values = new JsonArray([.. shown.Select(g => Obj(("group", $"{g.Axis}: {g.Group}"), ("gai", g.Gai), ("significant", g.QGai < 0.05 ? "q < 0.05" : "not significant")))]);
            var spec = Spec("Group association index per group", values, "bar", new JsonObject
            {
                ["y"] = Field("group", "nominal", "Group"),
                ["x"] = Field("gai", "quantitative", "GAI (IRR / xRR)"),
                ["color"] = Field("significant", "nominal", "BH-adjusted"),
            });
            var bars = spec["mark"]!.DeepClone();
            spec.Remove("mark");
            var encoding = spec["encoding"]!.DeepClone();
            spec.Remove("encoding");
            spec["layer"] = new JsonArray(
                new JsonObject { ["mark"] = bars, ["encoding"] = encoding },
                new JsonObject { ["mark"] = new JsonObject { ["type"] = "rule", ["strokeDash"] = new JsonArray(4, 4) }, ["encoding"] = new JsonObject { ["x"] = new JsonObject { ["datum"] = 1 } } });
            charts.Add(new ReportChart("gai", "Group association index",
                "GAI per group (above 1: the group agrees more within itself than with others): " +
                string.Join("; ", shown.Select(g => string.Create(Ci, $"{g.Axis} {g.Group} GAI {F(g.Gai)} (p {F(g.PGai)}, q {F(g.QGai)})"))) + ".", spec));
        }
        catch (ArgumentException ex)
        {
            paragraphs.Add("The group association index could not be computed: " + ex.Message);
        }

        paragraphs.Add(IntersectionsVsParents(tables, "intersections_vs_parents", ratings, groups, axes, MeasurementLevel.Interval, input));
        return new ReportSection("agreement", heading, paragraphs, charts, tables);
    }

    // DIVE: do intersectional groups agree more than their parent groups? One row per (intersection, parent).
    private static string IntersectionsVsParents(List<ReportTable> tables, string name, List<Rating> ratings, SafeGroups groups, List<string> axes, MeasurementLevel level, StudyReportInput input)
    {
        if (axes.Count < 2)
        {
            return "Intersections against their parent groups: the study needs groups on at least two identity axes for an intersection.";
        }

        var rows = IntersectionReliability.Analyze(ratings, groups.Profiles, axes, level, input.MinGroupSize, input.Permutations, input.Seed, groups.IsShown);
        if (rows.Count == 0)
        {
            return string.Create(Ci, $"Intersections against their parent groups: no intersection has at least {input.MinGroupSize} raters, so none is compared.");
        }

        tables.Add(new ReportTable(name, string.Create(Ci, $"Intersections against their parent groups: IRR (Krippendorff's alpha, {level.ToString().ToLowerInvariant()}, within the group) of each intersection and of each parent, the difference, and the permutation p of \"the intersection agrees more\" (membership shuffled between the intersection and the rest of the parent; exact over all subsets when there are at most {input.Permutations}); q = Benjamini-Hochberg"),
            ["axis", "group", "raters", "irr", "parent_axis", "parent_group", "parent_raters", "parent_irr", "difference", "p_greater", "q", "exact", "permutations"],
            rows.Select(r => (IReadOnlyList<object?>)[r.Axis, r.Group, r.Raters, r.Irr, r.ParentAxis, r.ParentGroup, r.ParentRaters, r.ParentIrr, r.Difference, r.PGreater, r.QGreater, r.Exact, r.Permutations]).ToList()));
        var higher = rows.Count(r => r.Difference > 0);
        var significant = rows.Count(r => r.QGreater < 0.05);
        return string.Create(Ci, $"Intersections against their parent groups: {rows.Count} comparisons; the intersection's IRR is higher in {higher}, significantly (q < 0.05) in {significant}.");
    }

    private static JsonObject Spec(string description, JsonArray values, string mark, JsonObject encoding) => new()
    {
        ["description"] = description,
        ["data"] = new JsonObject { ["values"] = values },
        ["width"] = 420,
        ["mark"] = new JsonObject { ["type"] = mark, ["tooltip"] = true },
        ["encoding"] = encoding,
    };

    private static JsonObject Field(string field, string type, string title) => new() { ["field"] = field, ["type"] = type, ["title"] = title };

    private static JsonObject Obj(params (string Key, object? Value)[] fields)
    {
        var o = new JsonObject();
        foreach (var (k, v) in fields)
        {
            o[k] = ReportTable.Node(v);
        }

        return o;
    }

    internal static string F(double x) => double.IsFinite(x) ? x.ToString("0.###", Ci) : "undefined";

    internal static string Pct(double x) => double.IsFinite(x) ? (x * 100).ToString("0.0", Ci) + "%" : "undefined";
}
