using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pluralist.Analysis.Statistics;
using Pluralist.Core.Model;
using Pluralist.Core.Privacy;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Reward;

namespace Pluralist.Studies.Reward;

/// <summary>A study's cleaned slider answers with frozen embeddings, ready for a reward model; ids keep the link to the database.</summary>
public sealed record RewardStudyData(Study Study, RewardData Data, IReadOnlyList<long> PromptIds, IReadOnlyList<long> ImageIds, IReadOnlyList<string> Criteria, IReadOnlyList<string> Warnings)
{
    /// <summary>Consented participants per group (the group's key as in the comparisons).</summary>
    public IReadOnlyDictionary<string, int> GroupSizes { get; init; } = new Dictionary<string, int>();
}

/// <summary>Accuracy of one scope with its Wilson interval (ties in the answers excluded; see <see cref="AccuracyCount"/>).</summary>
public sealed record AccuracyRow(string Scope, int Answers, int NonNeutral, int Correct, double Accuracy, Interval Wilson, double LogLoss)
{
    public static AccuracyRow From(AccuracyCount c, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.Scope, c.Answers, c.NonNeutral, c.Correct, c.Accuracy, Proportions.Wilson(c.Correct, c.NonNeutral, level), c.LogLoss);
    }
}

/// <summary>One model's held-out accuracy: overall, per criterion, per group and per criterion within group.</summary>
public sealed record ModelAccuracy(string Model, AccuracyRow Overall, IReadOnlyList<AccuracyRow> PerCriterion, IReadOnlyList<AccuracyRow> PerGroup, IReadOnlyList<AccuracyRow> PerCriterionAndGroup);

/// <summary>What <see cref="RewardStudy.Train"/> did and measured.</summary>
public sealed record RewardTrainingReport(
    string Study,
    string Backbone,
    string SplitBy,
    int TrainAnswers,
    int HeldOutAnswers,
    int HeldOutUnits,
    IReadOnlyList<ModelAccuracy> Models,
    IReadOnlyList<string> SuppressedGroups,
    double TrainSeconds,
    IReadOnlyList<string> Warnings);

/// <summary>
/// The reward model as a use case: load a study's cleaned answers (the latest cleaning run's kept rows of annotation
/// pairs) with each participant's consented group, embed the images and prompts with a frozen backbone, hold out whole
/// prompts (or participants), train the group-conditioned model beside a criterion-only one and the constant baseline,
/// and report held-out accuracy with Wilson intervals. Groups below the study's minimum size are not reported.
/// </summary>
public static class RewardStudy
{
    /// <summary>Group key of a participant without a consented group.</summary>
    public const string NoGroup = "(no group)";

    public static async Task<RewardStudyData> LoadAsync(PluralistDbContext db, DataDirectory data, Study study, IReadOnlyList<string> groupBy, IRewardBackbone backbone, IReadOnlyList<string>? criteria = null, Action<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(groupBy);
        ArgumentNullException.ThrowIfNull(backbone);
        foreach (var m in groupBy)
        {
            if (!study.IdentityMarkers.Contains(m))
            {
                throw new StudyInputException($"--group-by {m}: study {study.Key} has no such identity marker ({(study.IdentityMarkers.Count == 0 ? "it has none" : string.Join(", ", study.IdentityMarkers))})");
            }
        }

        var known = study.Criteria.Select(c => c.Key).ToList();
        foreach (var c in criteria ?? [])
        {
            if (!known.Contains(c))
            {
                throw new StudyInputException($"--criteria {c}: study {study.Key} has no such criterion ({string.Join(", ", known)})");
            }
        }

        var warnings = new List<string>();
        var dataset = await StudyDatasetLoader.LoadAsync(db, study.Key, ct).ConfigureAwait(false);
        var latest = await CleaningStore.LatestAsync(db, study.Id, ct).ConfigureAwait(false);
        IReadOnlyList<Core.Cleaning.CleaningRow> rows = dataset.Rows;
        if (latest is null)
        {
            warnings.Add($"study {study.Key} has no cleaning run: the reward model is trained on uncleaned answers (run `pluralist clean {study.Key}` first)");
        }
        else
        {
            var (kept, _, notCleaned) = latest.Apply(dataset.Rows);
            rows = kept;
            if (notCleaned.Count > 0)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{notCleaned.Count} answers arrived after cleaning run {latest.Run.Id} and are left out"));
            }
        }

        var wanted = (criteria is { Count: > 0 } ? criteria : known).ToHashSet(StringComparer.Ordinal);
        rows = [.. rows.Where(r => r.PairKind == PairKind.Annotation && r.Preference is not null && wanted.Contains(r.Criterion))];
        if (rows.Count == 0)
        {
            throw new StudyInputException($"study {study.Key}: no answered annotation pairs to train on{(latest is null ? "" : " after cleaning")} (criteria {string.Join(", ", wanted.Order(StringComparer.Ordinal))})");
        }

        var groups = groupBy.Count == 0 ? new Dictionary<long, string>()
            : await StudyDatasetLoader.ConsentedGroupsAsync(db, [.. rows.Select(r => r.ParticipantId).Distinct()], groupBy, ct).ConfigureAwait(false);
        var small = groups.GroupBy(kv => kv.Value).Where(g => !MinimumGroupSize.MayShow(g.Count(), study.MinGroupSize)).ToList();
        if (small.Count > 0)
        {
            // A group below the minimum size is not a condition of the model (it would model a few people): its answers count as "no group".
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{small.Count} group(s) with fewer consented participants than the study minimum of {study.MinGroupSize} are not conditioned on; their answers count as no group"));
            foreach (var p in small.SelectMany(g => g.Select(kv => kv.Key)).ToList())
            {
                groups.Remove(p);
            }
        }
        var pseudonyms = await StudyProvenance.PseudonymsAsync(db, [.. rows.Select(r => r.ParticipantId).Distinct()], ct).ConfigureAwait(false);

        var imageIds = rows.SelectMany(r => new[] { r.Image0Id, r.Image1Id }).Distinct().Order().ToList();
        var promptIds = rows.Select(r => r.PromptId).Distinct().Order().ToList();
        progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"embedding {imageIds.Count} images and {promptIds.Count} prompts with {backbone.Name}"));
        var images = new List<float[]>(imageIds.Count);
        for (int start = 0; start < imageIds.Count; start += 64)
        {
            ct.ThrowIfCancellationRequested();
            var batch = imageIds.Skip(start).Take(64).Select(id =>
            {
                var rel = dataset.ImagePaths.GetValueOrDefault(id) ?? throw new StudyInputException($"image {id}: no stored file");
                var path = Path.IsPathRooted(rel) ? rel : Path.Combine(data.ImagesPath, rel);
                if (!File.Exists(path))
                {
                    throw new StudyInputException($"image {id}: file not found: {path}");
                }

                try
                {
                    return ImageCodec.DecodeFile(path, name: $"image {id} ({path})");
                }
                catch (InvalidDataException e)
                {
                    throw new StudyInputException($"image {id} ({path}): {e.Message}");
                }
            }).ToList();
            images.AddRange(backbone.EmbedImages(batch));
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{Math.Min(start + 64, imageIds.Count)} of {imageIds.Count} images embedded"));
        }

        var texts = backbone.EmbedTexts([.. promptIds.Select(p => dataset.Captions.GetValueOrDefault(p, ""))]);
        var imageIndex = imageIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var promptIndex = promptIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var comparisons = rows.Select(r => new RewardComparison(
            imageIndex[r.Image0Id], imageIndex[r.Image1Id], promptIndex[r.PromptId], r.Criterion,
            groups.GetValueOrDefault(r.ParticipantId), PreferencePair.Probability0Of(r.Preference!.Value),
            pseudonyms.GetValueOrDefault(r.ParticipantId, r.ParticipantId.ToString(CultureInfo.InvariantCulture)), 1f,
            string.Create(CultureInfo.InvariantCulture, $"study {study.Key} answer {r.AnswerId}"))).ToList();
        var sizes = groups.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new RewardStudyData(study, new RewardData(images, texts, comparisons), promptIds, imageIds, [.. wanted.Order(StringComparer.Ordinal)], warnings) { GroupSizes = sizes };
    }

    /// <summary>
    /// Splits, trains the reward model (group-conditioned when <paramref name="groups"/>, else criterion-only) and, when
    /// group-conditioned, a criterion-only model with the same options for comparison; evaluates both and the constant
    /// baseline on the held-out part. The model returned is the first one trained.
    /// </summary>
    public static (RewardModel Model, RewardTrainingReport Report, int[] Test) Train(RewardStudyData study, bool groups, RewardSplitBy splitBy, double testShare, RewardTrainingOptions options, string backbone, Action<string, int, float>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(options);
        var data = study.Data;
        (int[] train, int[] test) split;
        try
        {
            split = RewardEvaluation.Split(data, splitBy, testShare, options.Seed);
        }
        catch (ArgumentException e)
        {
            throw new StudyInputException($"--split-by {splitBy.ToString().ToLowerInvariant()}: {e.Message}");
        }

        var (train, test) = split;
        if (groups && !train.Any(i => !string.IsNullOrEmpty(data.Comparisons[i].Group)))
        {
            throw new StudyInputException("--group-by: no training answer comes from a participant with a consented group");
        }

        var sw = Stopwatch.StartNew();
        var first = new RewardTrainer(data, train, groups, options, backbone, study.Criteria).Train((s, l) => progress?.Invoke(groups ? "group-conditioned" : "criterion-only", s, l), ct);
        double seconds = sw.Elapsed.TotalSeconds;
        var models = new List<ModelAccuracy>();
        var suppressed = new List<string>();
        models.Add(Accuracy(groups ? "group-conditioned" : "criterion-only", RewardEvaluation.Predict(first, data, test), study, suppressed));
        if (groups)
        {
            models.Add(Accuracy("group-conditioned, scored without group", RewardEvaluation.Predict(first, data, test, withGroups: false), study, suppressed));
            var plain = new RewardTrainer(data, train, false, options, backbone, study.Criteria).Train((s, l) => progress?.Invoke("criterion-only", s, l), ct);
            models.Add(Accuracy("criterion-only", RewardEvaluation.Predict(plain, data, test), study, suppressed));
        }

        models.Add(Accuracy("constant", RewardEvaluation.Constant(data, train, test), study, suppressed));
        var units = test.Select(i => splitBy == RewardSplitBy.Prompt ? data.Comparisons[i].Prompt.ToString(CultureInfo.InvariantCulture) : data.Comparisons[i].Participant).Distinct().Count();
        var report = new RewardTrainingReport(study.Study.Key, backbone, splitBy.ToString().ToLowerInvariant(), train.Length, test.Length, units, models,
            [.. suppressed.Distinct().Order(StringComparer.Ordinal)], seconds, study.Warnings);
        return (first, report, test);
    }

    /// <summary>Accuracy tables of predictions; groups under the study's minimum size are left out and named in <paramref name="suppressed"/> by count only.</summary>
    public static ModelAccuracy Accuracy(string name, IReadOnlyList<RewardPrediction> predictions, RewardStudyData study, List<string> suppressed)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(suppressed);
        string G(RewardPrediction p) => p.Comparison.Group ?? NoGroup;
        bool Shown(string g)
        {
            if (g == NoGroup || MinimumGroupSize.MayShow(study.GroupSizes.GetValueOrDefault(g), study.Study.MinGroupSize))
            {
                return true;
            }

            suppressed.Add(string.Create(CultureInfo.InvariantCulture, $"a group of {study.GroupSizes.GetValueOrDefault(g)} participants (below the study minimum {study.Study.MinGroupSize})"));
            return false;
        }

        var overall = AccuracyRow.From(RewardEvaluation.Count("overall", predictions));
        var perCriterion = predictions.GroupBy(p => p.Comparison.Criterion).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => AccuracyRow.From(RewardEvaluation.Count(g.Key, g))).ToList();
        var perGroup = predictions.GroupBy(G).OrderBy(g => g.Key, StringComparer.Ordinal).Where(g => Shown(g.Key))
            .Select(g => AccuracyRow.From(RewardEvaluation.Count(g.Key, g))).ToList();
        var cells = predictions.GroupBy(p => (C: p.Comparison.Criterion, G: G(p))).OrderBy(g => g.Key.C, StringComparer.Ordinal).ThenBy(g => g.Key.G, StringComparer.Ordinal)
            .Where(g => perGroup.Any(r => r.Scope == g.Key.G)).Select(g => AccuracyRow.From(RewardEvaluation.Count($"{g.Key.C} / {g.Key.G}", g))).ToList();
        return new ModelAccuracy(name, overall, perCriterion, perGroup, study.GroupSizes.Count == 0 ? [] : cells);
    }

    /// <summary>The metadata saved with a trained model: the study, the split and its held-out prompt ids, the options and the report.</summary>
    public static Dictionary<string, string> Metadata(RewardStudyData study, RewardTrainingReport report, IReadOnlyList<string> groupBy, RewardTrainingOptions options, int[] test)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(test);
        // Held-out prompts by id; held-out participants are not written into the file (the split is rebuilt from the seed).
        var heldOut = report.SplitBy == "prompt"
            ? test.Select(i => study.PromptIds[study.Data.Comparisons[i].Prompt]).Distinct().Order().ToList()
            : [];
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["study"] = study.Study.Key,
            ["group_by"] = string.Join(",", groupBy),
            ["split_by"] = report.SplitBy,
            ["held_out_prompts"] = JsonSerializer.Serialize(heldOut),
            ["training"] = JsonSerializer.Serialize(options),
            ["report"] = JsonSerializer.Serialize(report),
        };
    }
}
