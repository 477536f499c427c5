using System.Diagnostics;
using System.Globalization;
using Pluralist.Analysis.Evaluation;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Preferences;
using Pluralist.Diffusion;
using Pluralist.World.Simulation;
using Pluralist.World.Truth;

namespace Pluralist.Studies.Alignment;

/// <summary>
/// One per-criterion model: DPO for <see cref="Steps"/> steps on the <see cref="Labels"/> per-criterion labels of
/// <see cref="Criterion"/> only (<see cref="TrainingPairs"/> used; ties are not labels), judged against the base on every
/// criterion (<see cref="Versus"/>'s table); <see cref="OnCriterion"/> is the row of its own criterion.
/// </summary>
public sealed record LivsSimCriterionModel(string Criterion, int Steps, int Labels, int TrainingPairs, ABSummary OnCriterion, LivsSimArm Versus, double Minutes);

/// <summary>
/// The analysis of issue 21 (item 4) over the per-criterion models of one step count: per criterion its training labels
/// against its model's win rate on that criterion, and the trend across criteria (<see cref="DataScaling.Trend"/>, with its
/// warning when there are too few criteria).
/// </summary>
public sealed record LivsSimCriterionScaling(int Steps, ScalingReport Report);

/// <summary>The per-criterion models (issue 22, item 3): one DPO model per criterion and step count, as LIVS trained them.</summary>
public sealed record LivsSimPerCriterionResult(int Seed, string Size, string Objective, IReadOnlyList<int> Steps, IReadOnlyList<string> Criteria, int Images, int Annotators, int Annotations, int AnswersKept, IReadOnlyDictionary<string, int> LabelsPerCriterion, int Judges, IReadOnlyList<LivsSimCriterionModel> Models, IReadOnlyList<LivsSimCriterionScaling> Scaling, double SecondsPerImage);

public sealed partial class LivsSimExperiment
{
    /// <summary>Parses <c>--criteria</c>: a comma-separated subset of the six LIVS criteria, no repeats, kept in the given order.</summary>
    public static IReadOnlyList<string> ParseCriteria(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = text.Split(',', StringSplitOptions.TrimEntries).ToList();
        foreach (var c in list)
        {
            if (!GroundTruth.Criteria.Contains(c))
            {
                throw new StudyInputException($"--criteria {text}: '{c}' is not a criterion (expected a comma-separated list of {string.Join(", ", GroundTruth.Criteria)})");
            }
        }

        var repeated = list.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
        return repeated is null ? list : throw new StudyInputException($"--criteria {text}: '{repeated.Key}' named twice");
    }

    /// <summary>
    /// Per-criterion models: the images, pool and annotation of <see cref="Run"/>; the answers are cleaned and labelled with
    /// the <c>per-criterion</c> protocol (one label per non-neutral criterion answer) and written as one dataset; for each
    /// criterion and each step count a fresh copy of the base trains on that criterion's labels only (the other options as
    /// given), draws the held-out A/B images from the same noise, and the same judges with the same draws judge it against
    /// the base; its own criterion's row is its result. Per step count, <see cref="DataScaling"/> relates the criteria's
    /// label counts to those win rates.
    /// </summary>
    public LivsSimPerCriterionResult RunPerCriterion(IReadOnlyList<int> stepCounts, IReadOnlyList<string>? criteria = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stepCounts);
        criteria ??= GroundTruth.Criteria;
        var baseModel = DiffusionModel.Load(basePath);
        var (train, heldOut, images) = DrawTrainingImages(baseModel, ct);
        var annotators = BehaviourMix.Default.Pool(size.Annotators, seed);
        var groups = annotators.Select((p, u) => (Id: (long)(u + 1), Group: GroupOf(p))).ToDictionary(x => x.Id, x => x.Group);
        var rows = Annotate(annotators, _ => TrainingPairs(train, images), size.PairsPerAnnotator, seed + 1);
        var cleaning = CleaningEngine.Run(rows, CleaningRuleSet.Default);
        var labels = Labeler.Build(cleaning.KeptRows, new LabelOptions { Protocol = LabelProtocol.PerCriterion, Groups = groups });
        var perCriterion = criteria.ToDictionary(c => c, c => labels.Count(l => l.Criterion == c), StringComparer.Ordinal);
        if (perCriterion.FirstOrDefault(kv => kv.Value == 0) is { Key: not null } empty)
        {
            throw new StudyInputException($"--per-criterion at size {size.Name}, seed {seed}: no label for {empty.Key} after cleaning");
        }

        var imagesDir = WriteTrainingImages(images, baseModel.Config.UNet.ImageSize);
        var datasetDir = Path.Combine(workDir, "per-criterion", "dataset");
        WriteDataset(datasetDir, labels, groups, cleaning.Report, train, images.Keys, imagesDir);
        var all = PreferenceDataset.Load(datasetDir, "train", baseModel.Config.UNet.ImageSize, out _);
        var items = Enumerable.Range(0, all.Count).Select(all.Get).ToList();
        log($"2/6 {rows.Select(r => r.AnnotationId).Distinct().Count()} annotations by {annotators.Count}; cleaning kept {cleaning.KeptRows.Count()} of {rows.Count} answers; per-criterion labels {string.Join(", ", perCriterion.Select(kv => $"{kv.Key} {kv.Value}"))} -> {datasetDir}");

        var judges = BehaviourMix.Default.Pool(size.Judges, seed + 100);
        var baseScenes = EvalScenes(_ => baseModel, heldOut, ct)[""];
        var models = new List<LivsSimCriterionModel>();
        foreach (int steps in stepCounts)
        {
            foreach (var c in criteria)
            {
                var time = Stopwatch.StartNew();
                var source = new InMemoryPreferenceSource([.. items.Where(x => x.Criterion == c)]);
                var (model, acc, pairs) = TrainScored(source, dpo with { Steps = steps }, $"{c} {steps}", ct);
                var scenes = EvalScenes(_ => model, heldOut, ct)[""];
                var arm = Judge($"{c} {steps}", "base", judges, _ => PairUp(baseScenes, scenes, heldOut.Count), heldOut, acc);
                var own = arm.Table.PerCriterion.FirstOrDefault(s => s.Scope == c) ?? ABStudy.Summarize(c, []);
                log(string.Create(CultureInfo.InvariantCulture, $"5/6 {c} at {steps} steps: {own.Counts.Wins}/{own.Counts.Ties}/{own.Counts.Losses} on {c}, win rate {own.Counts.WinRate:F3}; {time.Elapsed.TotalMinutes:F1} min"));
                models.Add(new LivsSimCriterionModel(c, steps, perCriterion[c], pairs, own, arm, time.Elapsed.TotalMinutes));
            }
        }

        log("6/6 done");
        var scaling = stepCounts.Select(steps =>
        {
            var these = models.Where(m => m.Steps == steps).ToList();
            var points = these.Select(m => new ScalingPoint(m.Criterion, m.Labels, m.OnCriterion.Counts, m.OnCriterion.ByPromptBootstrap)).ToList();
            var trend = DataScaling.Trend([.. points.Where(p => p.Counts.Wins + p.Counts.Losses > 0).Select(p => (p.Labels, p.Counts.Wins, p.Counts.Losses))]);
            return new LivsSimCriterionScaling(steps, new ScalingReport(points, trend));
        }).ToList();
        return new LivsSimPerCriterionResult(seed, size.Name, dpo.Objective.ToString(), stepCounts, criteria, _generated, annotators.Count, rows.Select(r => r.AnnotationId).Distinct().Count(), cleaning.KeptRows.Count(), perCriterion, judges.Count, models, scaling, _genTime.Elapsed.TotalSeconds / Math.Max(1, _generated));
    }
}
