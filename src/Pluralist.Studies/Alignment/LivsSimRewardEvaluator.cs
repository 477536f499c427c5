using System.Diagnostics;
using System.Globalization;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Evaluation;
using Pluralist.Core.Cleaning;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Reward;
using Pluralist.Studies.Reward;

namespace Pluralist.Studies.Alignment;

/// <summary>
/// The reward model trained inside the closed experiment: its backbone, the groups it is conditioned on (those with at least
/// the minimum number of annotators), the split (whole prompts held out, as <c>reward train</c> does), held-out accuracy
/// (overall, per criterion, per group; scored with the group and without it) beside the constant baseline, the training time
/// and <see cref="Seconds"/>, the whole cost (embedding, training, held-out scoring and the scoring of every A/B judgement).
/// <see cref="NotRun"/> says why it was not trained (then the tables are empty).
/// </summary>
public sealed record LivsSimRewardModel(
    string Backbone,
    long Parameters,
    int Steps,
    IReadOnlyList<string> Groups,
    int TrainAnswers,
    int HeldOutAnswers,
    IReadOnlyList<string> HeldOutPrompts,
    AccuracyRow? HeldOut,
    AccuracyRow? HeldOutWithoutGroup,
    AccuracyRow? Constant,
    IReadOnlyList<AccuracyRow> HeldOutPerCriterion,
    IReadOnlyList<AccuracyRow> HeldOutPerGroup,
    double TrainSeconds,
    double Seconds,
    string? NotRun = null)
{
    public const string Label = "automatic (reward model), shown beside the simulated human A/B result and never in place of it";
}

/// <summary>
/// The reward model's judgement of the A/B answers of one comparison in one scope (<c>overall</c> or <c>disability=G</c>, the
/// judges' group): every kept judgement (pair, criterion, judge) is scored r(image_1) − r(image_0), conditioned on the
/// judge's group when the model knows it (<see cref="ConditionedOn"/>), so a pair judged by several judges counts once per
/// judgement. <see cref="ModelWins"/> / <see cref="ModelLosses"/> / <see cref="ModelTies"/>: the model preferred image_1 (the
/// comparison's named model), image_0 (its <c>versus</c>), or neither; <see cref="Judges"/> the judges' own tally of the same
/// judgements. Agreement is over the judges' non-neutral answers (<see cref="Compared"/>): the share alike and Cohen's kappa.
/// </summary>
public sealed record LivsSimRewardRow(string Scope, string? ConditionedOn, int Judgements, int ModelWins, int ModelTies, int ModelLosses, WinTieLoss Judges, int Compared, int Agree, double Kappa)
{
    public double ModelWinRate => ModelWins + ModelLosses == 0 ? double.NaN : (double)ModelWins / (ModelWins + ModelLosses);

    public double AgreeShare => Compared == 0 ? double.NaN : (double)Agree / Compared;
}

/// <summary>One kept A/B judgement for the reward model: the judge's group, the prompt, both images' pixels (image_0, image_1), the criterion and the judge's answer.</summary>
public readonly record struct LivsSimScoredJudgement(string Group, string Prompt, float[] Image0, float[] Image1, string Criterion, ABPreference Judge);

/// <summary>
/// The reward model as an automatic evaluator inside <see cref="LivsSimExperiment"/> (docs/alignment.md, "Reward model"):
/// trained on the experiment's cleaned annotations (criterion and group conditioned, whole prompts held out), it then scores
/// the very A/B judgements the simulated judges made, conditioned on each judge's group. It is reported beside the simulated
/// human A/B result, never in its place.
/// </summary>
public sealed class LivsSimRewardEvaluator(IRewardBackbone backbone, RewardTrainingOptions options, double testShare = 0.2)
{
    private readonly Stopwatch _time = new();
    private readonly Dictionary<float[], float[]> _embedded = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, float[]> _texts = new(StringComparer.Ordinal);
    private RewardModel? _model;
    private int _imageSize;

    /// <summary>Reward steps by default: 400 (as <c>reward train</c>), 100 at the CI sizes tiny and compact.</summary>
    public static int DefaultSteps(LivsSimSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        return size.Name is "tiny" or "compact" ? 100 : 400;
    }

    /// <summary>What was trained and measured; null before <see cref="Train"/>.</summary>
    public LivsSimRewardModel? Report { get; private set; }

    /// <summary>Seconds spent so far (embedding, training, scoring).</summary>
    public double Seconds => _time.Elapsed.TotalSeconds;

    /// <summary>
    /// Trains on the cleaned annotation answers <paramref name="kept"/> (those with a preference): the images' pixels by id
    /// (<paramref name="imageSize"/> px, CHW in [-1, 1] as the diffusion model draws them), the prompt texts by id, each
    /// annotator's group (groups under <paramref name="minGroupSize"/> annotators count as no group).
    /// </summary>
    public LivsSimRewardModel Train(IEnumerable<CleaningRow> kept, IReadOnlyDictionary<long, float[]> images, Func<long, string> prompt, IReadOnlyDictionary<long, string> groups, int minGroupSize, int imageSize, Action<string> log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kept);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(log);
        _time.Start();
        try
        {
            _imageSize = imageSize;
            var rows = kept.Where(r => r.Preference is not null).ToList();
            var conditioned = groups.GroupBy(kv => kv.Value, StringComparer.Ordinal).Where(g => g.Count() >= minGroupSize).Select(g => g.Key).Order(StringComparer.Ordinal).ToList();
            var imageIds = rows.SelectMany(r => new[] { r.Image0Id, r.Image1Id }).Distinct().Order().ToList();
            var promptIds = rows.Select(r => r.PromptId).Distinct().Order().ToList();
            var imageVectors = Embed(imageIds.Select(id => images[id]).ToList());
            var textVectors = promptIds.Select(p => Text(prompt(p))).ToList();
            var imageIndex = imageIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
            var promptIndex = promptIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
            var comparisons = rows.Select(r => new RewardComparison(
                imageIndex[r.Image0Id], imageIndex[r.Image1Id], promptIndex[r.PromptId], r.Criterion,
                groups.TryGetValue(r.ParticipantId, out var g) && conditioned.Contains(g) ? g : null, PreferencePair.Probability0Of(r.Preference!.Value),
                r.ParticipantId.ToString(CultureInfo.InvariantCulture), 1f, string.Create(CultureInfo.InvariantCulture, $"livs-sim answer {r.AnswerId}"))).ToList();
            var data = new RewardData(imageVectors, textVectors, comparisons);
            int[] train, test;
            try
            {
                (train, test) = RewardEvaluation.Split(data, RewardSplitBy.Prompt, testShare, options.Seed);
            }
            catch (ArgumentException e)
            {
                Report = new LivsSimRewardModel(backbone.Name, 0, options.Steps, conditioned, 0, 0, [], null, null, null, [], [], 0, Seconds, e.Message);
                log($"   reward model not trained: {e.Message}");
                return Report;
            }

            bool byGroup = train.Any(i => data.Comparisons[i].Group is not null);
            var sw = Stopwatch.StartNew();
            var criteria = rows.Select(r => r.Criterion).Distinct().Order(StringComparer.Ordinal).ToList();
            _model = new RewardTrainer(data, train, byGroup, options, backbone.Name, criteria).Train(
                (step, loss) =>
                {
                    if (step % 100 == 0 || step == options.Steps)
                    {
                        log(string.Create(CultureInfo.InvariantCulture, $"   reward model step {step}/{options.Steps}: loss {loss:F4}"));
                    }
                },
                ct);
            double trainSeconds = sw.Elapsed.TotalSeconds;
            var predicted = RewardEvaluation.Predict(_model, data, test);
            var withoutGroup = RewardEvaluation.Predict(_model, data, test, withGroups: false);
            var perCriterion = predicted.GroupBy(p => p.Comparison.Criterion, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => AccuracyRow.From(RewardEvaluation.Count(g.Key, g))).ToList();
            var perGroup = predicted.GroupBy(p => p.Comparison.Group ?? RewardStudy.NoGroup, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => AccuracyRow.From(RewardEvaluation.Count(g.Key, g))).ToList();
            var heldOutPrompts = test.Select(i => promptIds[data.Comparisons[i].Prompt]).Distinct().Order().Select(prompt).ToList();
            Report = new LivsSimRewardModel(backbone.Name, _model.ParameterCount(), options.Steps, byGroup ? _model.Config.Groups : [], train.Length, test.Length, heldOutPrompts,
                AccuracyRow.From(RewardEvaluation.Count("held out", predicted)), AccuracyRow.From(RewardEvaluation.Count("held out, scored without group", withoutGroup)),
                AccuracyRow.From(RewardEvaluation.Count("constant", RewardEvaluation.Constant(data, train, test))), perCriterion, perGroup, trainSeconds, Seconds);
            log(string.Create(CultureInfo.InvariantCulture, $"   reward model ({backbone.Name}, {(byGroup ? $"groups {string.Join(", ", _model.Config.Groups)}" : "no group reaches the minimum size: criterion only")}): held-out accuracy {Report.HeldOut!.Accuracy:F3} on {Report.HeldOut.NonNeutral} answers of {heldOutPrompts.Count} prompt(s), constant {Report.Constant!.Accuracy:F3}; {trainSeconds:F1} s of training"));
            return Report;
        }
        finally
        {
            _time.Stop();
        }
    }

    /// <summary>
    /// Scores <paramref name="judgements"/> (one comparison's kept A/B judgements): overall and per judge group, the model's
    /// verdict next to the judges' answers. Null when the model was not trained.
    /// </summary>
    public IReadOnlyList<LivsSimRewardRow>? Score(IReadOnlyList<LivsSimScoredJudgement> judgements)
    {
        ArgumentNullException.ThrowIfNull(judgements);
        if (_model is null)
        {
            return null;
        }

        _time.Start();
        try
        {
            var model = _model;
            int di = model.Config.ImageDim, dt = model.Config.TextDim, n = judgements.Count;
            Embed([.. judgements.SelectMany(j => new[] { j.Image0, j.Image1 })]);
            float[] a = new float[n * di], b = new float[n * di], t = new float[n * dt];
            int[] crit = new int[n], grp = new int[n];
            var known = model.Config.GroupConditioned ? model.Config.Groups.ToHashSet(StringComparer.Ordinal) : [];
            for (int i = 0; i < n; i++)
            {
                var j = judgements[i];
                _embedded[j.Image0].CopyTo(a, i * di);
                _embedded[j.Image1].CopyTo(b, i * di);
                Text(j.Prompt).CopyTo(t, i * dt);
                crit[i] = model.CriterionIndex(j.Criterion);
                grp[i] = known.Contains(j.Group) ? model.GroupIndex(j.Group) : 0;
            }

            var r0 = n == 0 ? [] : model.Score(a, t, crit, grp);
            var r1 = n == 0 ? [] : model.Score(b, t, crit, grp);
            var verdicts = Enumerable.Range(0, n).Select(i => r1[i] > r0[i] ? ABPreference.Aligned : r1[i] < r0[i] ? ABPreference.Base : ABPreference.Neutral).ToArray();

            LivsSimRewardRow Row(string scope, string? conditionedOn, IReadOnlyList<int> at)
            {
                var compared = at.Where(i => judgements[i].Judge != ABPreference.Neutral).Select(i => (Judge: judgements[i].Judge, Model: verdicts[i])).ToList();
                return new LivsSimRewardRow(scope, conditionedOn, at.Count,
                    at.Count(i => verdicts[i] == ABPreference.Aligned), at.Count(i => verdicts[i] == ABPreference.Neutral), at.Count(i => verdicts[i] == ABPreference.Base),
                    WinTieLoss.Count(at.Select(i => new ABJudgement(judgements[i].Prompt, "", judgements[i].Criterion, judgements[i].Judge))),
                    compared.Count, compared.Count(x => x.Judge == x.Model), CohensKappa.Compute(compared));
            }

            var rows = new List<LivsSimRewardRow> { Row("overall", null, [.. Enumerable.Range(0, n)]) };
            foreach (var g in judgements.Select(j => j.Group).Distinct().Order(StringComparer.Ordinal))
            {
                rows.Add(Row($"{LivsSimCaseStudyIV.Axis}={g}", known.Contains(g) ? g : null, [.. Enumerable.Range(0, n).Where(i => judgements[i].Group == g)]));
            }

            return rows;
        }
        finally
        {
            _time.Stop();
        }
    }

    private List<float[]> Embed(IReadOnlyList<float[]> pixels)
    {
        var missing = pixels.Where(p => !_embedded.ContainsKey(p)).Distinct<float[]>(ReferenceEqualityComparer.Instance).ToList();
        for (int start = 0; start < missing.Count; start += 64)
        {
            var batch = missing.Skip(start).Take(64).ToList();
            var vectors = backbone.EmbedImages([.. batch.Select(p => LivsSimExperiment.ToImage(p, _imageSize))]);
            for (int i = 0; i < batch.Count; i++)
            {
                _embedded[batch[i]] = vectors[i];
            }
        }

        return [.. pixels.Select(p => _embedded[p])];
    }

    private float[] Text(string prompt)
    {
        if (!_texts.TryGetValue(prompt, out var v))
        {
            v = backbone.EmbedTexts([prompt])[0];
            _texts[prompt] = v;
        }

        return v;
    }
}
