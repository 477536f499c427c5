using System.Diagnostics;
using System.Globalization;
using Pluralist.Analysis.Evaluation;
using Pluralist.Core.Assignments;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Preferences;
using Pluralist.Data.Datasets;
using Pluralist.Diffusion;
using Pluralist.Tensors;
using Pluralist.World.Imaging;
using Pluralist.World.Scenes;
using Pluralist.World.Simulation;
using Pluralist.World.Truth;

namespace Pluralist.Studies.Alignment;

/// <summary>Sizes of the closed experiment.</summary>
public sealed record LivsSimSize(
    string Name,
    int TrainPrompts,
    int HeldOutPrompts,
    int ImagesPerPrompt,
    int Annotators,
    int PairsPerAnnotator,
    int DpoSteps,
    int DpoBatch,
    int EvalSeeds,
    int Judges,
    int PairsPerJudge,
    int SamplerSteps)
{
    public static LivsSimSize Tiny { get; } = new("tiny", 2, 1, 2, 3, 2, 2, 2, 1, 3, 2, 2);

    /// <summary>
    /// The comparison's CI size: 10 annotators and 10 judges (so the recruitment quota gives 5 mobility-limited of each, and
    /// both groups reach the dataset's minimum group size) on 2 training prompts x 3 images; one held-out prompt, one seed.
    /// </summary>
    public static LivsSimSize Compact { get; } = new("compact", 2, 1, 3, 10, 3, 20, 4, 1, 10, 1, 2);

    public static LivsSimSize Small { get; } = new("small", 8, 4, 4, 12, 16, 30, 4, 4, 12, 12, 10);

    public static LivsSimSize Default { get; } = new("default", 24, 8, 6, 40, 40, 200, 16, 6, 40, 24, 20);

    public static LivsSimSize Parse(string text) => text switch
    {
        "tiny" => Tiny,
        "compact" => Compact,
        "small" => Small,
        "default" => Default,
        _ => throw new StudyInputException($"--size {text}: expected tiny, compact, small or default"),
    };
}

/// <summary>
/// The outcome of one comparison of the A/B study: aligned vs base, shuffled-label control vs base, or aligned vs control
/// (<see cref="Versus"/> names image_0's model, <see cref="Name"/> image_1's; a win is image_1 preferred).
/// <see cref="BaseUtility"/> is the mean perceived utility of <see cref="Versus"/>'s images, <see cref="ArmUtility"/> of <see cref="Name"/>'s.
/// <see cref="PerGroup"/> is case study II by the judges' consented disability marker (<c>disability=mobility</c>,
/// <c>disability=none</c>), the bootstrap clustered by participant; <see cref="WorstGroup"/> the group with the lowest win
/// rate (ties excluded); <see cref="ParticipantsPreferring"/> of <see cref="Participants"/> judges preferred
/// <see cref="Name"/> in more of their non-neutral answers than <see cref="Versus"/> (case study II per participant).
/// <see cref="Reward"/>: the reward model's verdict on the same judgements, overall and per judge group (null without it).
/// </summary>
public sealed record LivsSimArm(string Name, string Versus, ABOverview Table, double BaseUtility, double ArmUtility, double FinalImplicitAccuracy, int JudgementsKept, int JudgementsDropped, IReadOnlyList<ABSummary>? PerGroup = null, string? WorstGroup = null, int Participants = 0, int ParticipantsPreferring = 0, IReadOnlyList<LivsSimRewardRow>? Reward = null);

/// <summary>What the closed experiment measured.</summary>
public sealed record LivsSimResult(
    int Seed,
    string Size,
    int Images,
    int Annotations,
    CleaningReport AnnotationCleaning,
    int Labels,
    LivsSimArm Aligned,
    LivsSimArm Control,
    LivsSimArm AlignedVsControl,
    double SecondsPerImage,
    double SecondsPerDpoStep,
    string Objective = "Dpo",
    IReadOnlyDictionary<string, int>? LabelsPerGroup = null,
    IReadOnlyList<LivsSimCompareArm>? Arms = null,
    IReadOnlyDictionary<string, int>? AnnotatorsPerGroup = null,
    IReadOnlyDictionary<string, int>? JudgesPerGroup = null,
    LivsSimCaseStudyIV? CaseStudyIV = null,
    LivsSimRewardModel? RewardModel = null);

/// <summary>
/// One arm of the side-by-side comparison (<c>--arms</c>): its objective and what it trains (<see cref="Mode"/>: <c>full</c>, or
/// <c>per-group-lora</c> with one adapter per consented group, <see cref="PairsPerAdapter"/>), the arm against the base, its own
/// shuffled-label control (same objective, same mode, same pairs with the labels permuted) against the base, and the arm
/// against that control; <see cref="SecondsPerStep"/> is the wall time of the arm and its control (training, their implicit
/// accuracy on fresh draws and their A/B images) divided by their training steps (every adapter's steps for lora).
/// </summary>
public sealed record LivsSimCompareArm(string Arm, string Objective, string Mode, int Steps, float LearningRate, IReadOnlyDictionary<string, int>? PairsPerAdapter, LivsSimArm Aligned, LivsSimArm Control, LivsSimArm AlignedVsControl, double SecondsPerStep);

/// <summary>
/// The closed LIVS experiment (issue 9, item 8): the base model draws images for a set of prompts; simulated participants
/// annotate pairs of them under the LIVS task rules (3 criteria drawn by <see cref="CriteriaBalancer"/>, random side),
/// judging the scenes the perception probe reads from the pixels; the answers are cleaned (<see cref="CleaningEngine"/>,
/// default rules), labelled with the <c>livs</c> protocol (<see cref="Labeler"/>), written as a dataset
/// (<see cref="DatasetWriter"/>) and read back as <c>train dpo</c> reads it; Diffusion-DPO fine-tunes a copy of the base;
/// a blind A/B study on held-out prompts, judged the same way by another pool, gives the case-study I table
/// (<see cref="ABStudy.Overview"/>). A control arm trains on the same pairs with the labels shuffled; the aligned and control
/// models are also judged against each other directly, which tests whether the real labels do better than shuffled ones
/// with the same pairs, steps and optimiser.
/// </summary>
public sealed partial class LivsSimExperiment(string basePath, PerceptionProbe probe, LivsSimSize size, int seed, string workDir, DpoOptions dpo, Action<string> log, IReadOnlyList<string>? arms = null, float loraLearningRate = 1e-3f)
{
    /// <summary>The arms <c>--arms all</c> compares, in this order.</summary>
    public static IReadOnlyList<string> AllArms { get; } = ["dpo", "lora", "group-robust", "kto", "mapo"];

    /// <summary>The smallest group the dataset writes with its group (the study minimum, <c>DatasetInput.MinGroupSize</c>).</summary>
    public const int MinGroupSize = 5;

    /// <summary>Parses <c>--arms</c>: <c>all</c> or a comma-separated list of dpo, lora, group-robust, kto, mapo (no repeats).</summary>
    public static IReadOnlyList<string> ParseArms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim() == "all")
        {
            return AllArms;
        }

        var list = text.Split(',', StringSplitOptions.TrimEntries);
        foreach (var a in list)
        {
            if (!AllArms.Contains(a))
            {
                throw new StudyInputException($"--arms {text}: '{a}' is not an arm (expected all, or a comma-separated list of {string.Join(", ", AllArms)})");
            }
        }

        var repeated = list.GroupBy(a => a).FirstOrDefault(g => g.Count() > 1);
        return repeated is null ? list : throw new StudyInputException($"--arms {text}: '{repeated.Key}' named twice");
    }

    /// <summary>
    /// The comparison's pool: <see cref="BehaviourMix.Pool"/> of <paramref name="count"/> from <paramref name="poolSeed"/>, then
    /// a recruitment quota: while the mobility group has fewer than min(<see cref="MinGroupSize"/>, count / 2) members, the last
    /// participant without the marker is replaced by the next mobility-limited participant of the same seeded stream (a study
    /// that reports the worst group oversamples it; with 15% mobility-limited, 12 or 20 participants rarely reach 5).
    /// </summary>
    public static IReadOnlyList<SimulatedParticipant> Recruit(int count, int poolSeed)
    {
        var stream = BehaviourMix.Default.Pool((count * 20) + 100, poolSeed);
        var pool = stream.Take(count).ToList();
        int quota = Math.Min(MinGroupSize, count / 2);
        var extra = stream.Skip(count).Where(p => GroupOf(p) == "mobility").GetEnumerator();
        for (int i = count - 1; i >= 0 && pool.Count(p => GroupOf(p) == "mobility") < quota; i--)
        {
            if (GroupOf(pool[i]) != "mobility" && extra.MoveNext())
            {
                pool[i] = extra.Current;
            }
        }

        return pool;
    }

    // In the order of the world's Typology enum (Park, Plaza, PedestrianPromenade, ResidentialStreet, CommercialBackAlley, Waterfront, Schoolyard, TransitStop).
    private static readonly string[] Places = ["park", "plaza", "pedestrian promenade", "residential street", "back alley", "waterfront", "schoolyard", "bus stop"];
    private static readonly string[] Times = ["at noon in summer", "on a winter night", "on a spring morning", "on an autumn evening"];
    private static readonly (TimeOfDay Time, Season Season)[] TimeMeanings = [(TimeOfDay.Noon, Season.Summer), (TimeOfDay.Night, Season.Winter), (TimeOfDay.Morning, Season.Spring), (TimeOfDay.Evening, Season.Autumn)];
    private readonly Stopwatch _genTime = new();
    private int _generated;

    /// <summary>The reward model as an automatic evaluator beside the A/B study (null: not run, <c>--no-reward</c>).</summary>
    public LivsSimRewardEvaluator? RewardEvaluator { get; init; }

    /// <summary>Bootstrap replicates of case study IV's per-group fits (as <c>analyze study --group-bootstrap</c>).</summary>
    public int CaseStudyIVReplicates { get; init; } = 200;

    /// <summary>The experiment's prompts: place x (time of day, season), in a fixed order; one in four is held out.</summary>
    public static IReadOnlyList<string> Prompts(int count) =>
        [.. Enumerable.Range(0, count).Select(i => $"A {Places[i % Places.Length]} {Times[(i / Places.Length) % Times.Length]}")];

    /// <summary>The place prompt <paramref name="i"/> names.</summary>
    public static Typology PromptTypology(int i) => (Typology)(i % Places.Length);

    /// <summary>The time of day prompt <paramref name="i"/> names.</summary>
    public static TimeOfDay PromptTime(int i) => TimeMeanings[(i / Places.Length) % Times.Length].Time;

    /// <summary>The season prompt <paramref name="i"/> names.</summary>
    public static Season PromptSeason(int i) => TimeMeanings[(i / Places.Length) % Times.Length].Season;

    public LivsSimResult Run(CancellationToken ct = default)
    {
        var baseModel = DiffusionModel.Load(basePath);
        int s = baseModel.Config.UNet.ImageSize;
        var all = Prompts(Math.Max(size.TrainPrompts + size.HeldOutPrompts, 4 * size.HeldOutPrompts));
        var heldOut = Enumerable.Range(0, size.HeldOutPrompts).Select(i => all[(4 * i) + 3 - (i % 4)]).ToList(); // one in four, places varied
        var train = all.Except(heldOut).Take(size.TrainPrompts).ToList();

        // 1. Base images for the training prompts, seeds 1..K.
        log($"1/6 generating {train.Count * size.ImagesPerPrompt} images ({train.Count} prompts x {size.ImagesPerPrompt} seeds)");
        var imagesDir = Path.Combine(workDir, "images");
        Directory.CreateDirectory(imagesDir);
        var images = new Dictionary<long, (int Prompt, float[] Pixels, SceneSpec Seen)>();
        for (int k = 0; k < size.ImagesPerPrompt; k++)
        {
            ct.ThrowIfCancellationRequested();
            var batch = Generate(baseModel, train, (ulong)(k + 1));
            var seen = SceneProbe.Perceive(probe, batch.Data, train.Count);
            for (int p = 0; p < train.Count; p++)
            {
                long id = ImageId(p, k);
                var pixels = batch.Data.AsSpan(p * 3 * s * s, 3 * s * s).ToArray();
                images[id] = (p, pixels, seen[p]);
                File.WriteAllBytes(Path.Combine(imagesDir, $"{id}.png"), Pipeline.Images.ImageCodec.Encode(ToImage(pixels, s), Pipeline.Images.ImageFormat.Png));
            }
        }

        // 2. Annotation under the LIVS task rules, by simulated participants looking through the probe.
        var pairs = new List<(long PairId, int Prompt, long Image0, long Image1)>();
        for (int p = 0; p < train.Count; p++)
        {
            for (int a = 0; a < size.ImagesPerPrompt; a++)
            {
                for (int b = a + 1; b < size.ImagesPerPrompt; b++)
                {
                    pairs.Add((pairs.Count + 1, p, ImageId(p, a), ImageId(p, b)));
                }
            }
        }

        var annotators = arms is null ? BehaviourMix.Default.Pool(size.Annotators, seed) : Recruit(size.Annotators, seed);

        // Every simulated participant consents to the disability question; its answer (mobility or none) is the identity
        // group the labels carry, as `dataset build --group-axis disability` would write it from consented markers.
        var groups = annotators.Select((p, u) => (Id: (long)(u + 1), Group: GroupOf(p))).ToDictionary(x => x.Id, x => x.Group);
        var annotated = pairs.Select(x => (x.PairId, (long)x.Prompt, x.Image0, x.Image1, images[x.Image0].Seen, images[x.Image1].Seen)).ToList();
        var rows = Annotate(annotators, _ => annotated, size.PairsPerAnnotator, seed + 1);
        log($"2/6 {rows.Select(r => r.AnnotationId).Distinct().Count()} annotations ({rows.Count} criterion answers) by {annotators.Count} simulated participants on {pairs.Count} pairs");

        // 3. Cleaning, the livs protocol, the dataset as `dataset build` writes it.
        var cleaning = CleaningEngine.Run(rows, CleaningRuleSet.Default);
        var labels = Labeler.Build(cleaning.KeptRows, new LabelOptions { Protocol = LabelProtocol.Livs, Groups = groups });
        var datasetDir = Path.Combine(workDir, "dataset");
        WriteDataset(datasetDir, labels, groups, cleaning.Report, train, images.Keys, imagesDir);
        log($"3/6 cleaning kept {cleaning.KeptRows.Count()} of {rows.Count} answers; {labels.Count} livs labels -> {datasetDir}");

        // Case study IV on the cleaned annotations, and the reward model trained on them (an automatic evaluator for step 5).
        string PromptName(long p) => train[(int)p];
        var caseIV = LivsSimCaseStudyIV.Compute(cleaning.KeptRows, groups, PromptName, MinGroupSize, CaseStudyIVReplicates, seed);
        foreach (var line in caseIV.Describe())
        {
            log("   " + line);
        }

        if (RewardEvaluator is { } reward)
        {
            log("3/6 reward model on the cleaned annotations (criterion and group conditioned, whole prompts held out)");
            reward.Train(cleaning.KeptRows, images.ToDictionary(kv => kv.Key, kv => kv.Value.Pixels), PromptName, groups, MinGroupSize, s, log, ct);
        }

        // 4. Diffusion-DPO on the dataset, and the shuffled-label control on the same pairs.
        var source = PreferenceDataset.Load(datasetDir, "train", s, out _);
        var shuffled = Shuffle(source, seed + 2);
        var perGroupLabels = labels.GroupBy(l => l.Group ?? "").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        if (arms is not null)
        {
            var compared = Compare(baseModel, source, shuffled, heldOut, ct);
            log("6/6 done");
            var first = compared[0];
            static Dictionary<string, int> Count(IEnumerable<SimulatedParticipant> pool) => pool.GroupBy(GroupOf).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            return new LivsSimResult(seed, size.Name, _generated, rows.Select(r => r.AnnotationId).Distinct().Count(), cleaning.Report, labels.Count, first.Aligned, first.Control, first.AlignedVsControl, _genTime.Elapsed.TotalSeconds / Math.Max(1, _generated), compared.Average(a => a.SecondsPerStep), "Compare", perGroupLabels, compared, Count(annotators), Count(Recruit(size.Judges, seed + 100)), caseIV, RewardReport());
        }

        var dpoTime = Stopwatch.StartNew();
        var (aligned, alignedAcc) = Dpo(source, "aligned", ct);
        var (control, controlAcc) = Dpo(shuffled, "control", ct);
        double perStep = dpoTime.Elapsed.TotalSeconds / (2.0 * dpo.Steps);

        // 5. Blind A/B on held-out prompts: base vs aligned, base vs control and control vs aligned, same seeds, same judges, same draws.
        log($"5/6 A/B images: {heldOut.Count} held-out prompts x {size.EvalSeeds} seeds x 3 models");
        var evalImages = new List<(int Prompt, EvalImage Base, EvalImage Aligned, EvalImage Control)>();
        for (int k = 0; k < size.EvalSeeds; k++)
        {
            ct.ThrowIfCancellationRequested();
            ulong evalSeed = (ulong)(1000 + k);
            var b = Perceive(baseModel, heldOut, evalSeed);
            var a = Perceive(aligned, heldOut, evalSeed);
            var c = Perceive(control, heldOut, evalSeed);
            for (int p = 0; p < heldOut.Count; p++)
            {
                evalImages.Add((p, b[p], a[p], c[p]));
            }
        }

        var judges = BehaviourMix.Default.Pool(size.Judges, seed + 100);
        List<(int Prompt, EvalImage Base, EvalImage Other)> Items(Func<(int Prompt, EvalImage Base, EvalImage Aligned, EvalImage Control), (EvalImage, EvalImage)> pick) =>
            [.. evalImages.Select(e => { var (x, y) = pick(e); return (e.Prompt, x, y); })];
        var alignedArm = Judge("aligned", "base", judges, _ => Items(e => (e.Base, e.Aligned)), heldOut, alignedAcc);
        var controlArm = Judge("control", "base", judges, _ => Items(e => (e.Base, e.Control)), heldOut, controlAcc);
        var headToHead = Judge("aligned", "control", judges, _ => Items(e => (e.Control, e.Aligned)), heldOut, alignedAcc);
        log("6/6 done");
        return new LivsSimResult(seed, size.Name, _generated, rows.Select(r => r.AnnotationId).Distinct().Count(), cleaning.Report, labels.Count, alignedArm, controlArm, headToHead, _genTime.Elapsed.TotalSeconds / Math.Max(1, _generated), perStep, dpo.Objective.ToString(), perGroupLabels, CaseStudyIV: caseIV, RewardModel: RewardReport());
    }

    /// <summary>
    /// The side-by-side comparison: every arm trains on the same dataset (and its control on the same shuffled labels) with the
    /// same steps, batch, seed and draws; the A/B images of all models come from the same noise; the same judges with the same
    /// draws judge every comparison. Each model is judged as soon as its images are drawn, then dropped.
    /// </summary>
    private List<LivsSimCompareArm> Compare(DiffusionModel baseModel, InMemoryPreferenceSource source, InMemoryPreferenceSource shuffled, List<string> heldOut, CancellationToken ct)
    {
        var judges = Recruit(size.Judges, seed + 100);
        var judgeGroups = judges.Select(GroupOf).Distinct().OrderBy(g => g, StringComparer.Ordinal).ToList();
        log($"4/6 comparing {string.Join(", ", arms!)}: each against the base and its own shuffled-label control; A/B on {heldOut.Count} held-out prompts x {size.EvalSeeds} seeds; judges per group {string.Join(", ", judgeGroups.Select(g => $"{g}: {judges.Count(j => GroupOf(j) == g)}"))}");
        var baseScenes = EvalScenes(_ => baseModel, heldOut, ct);
        var result = new List<LivsSimCompareArm>();
        foreach (var arm in arms!)
        {
            var time = Stopwatch.StartNew();
            var (alignedScenes, alignedAcc, pairsPerAdapter, options) = TrainArm(arm, source, "aligned", judgeGroups, heldOut, ct);
            var (controlScenes, controlAcc, _, _) = TrainArm(arm, shuffled, "control", judgeGroups, heldOut, ct);
            double perStep = time.Elapsed.TotalSeconds / (2.0 * options.Steps * (pairsPerAdapter?.Count ?? 1));
            List<(int Prompt, EvalImage Base, EvalImage Other)> Pairs(IReadOnlyList<EvalImage> first, IReadOnlyList<EvalImage> second) =>
                [.. first.Select((b, i) => (i % heldOut.Count, b, second[i]))];
            var aligned = Judge(arm, "base", judges, g => Pairs(baseScenes[""], alignedScenes[alignedScenes.ContainsKey(g) ? g : ""]), heldOut, alignedAcc);
            var control = Judge($"{arm} control", "base", judges, g => Pairs(baseScenes[""], controlScenes[controlScenes.ContainsKey(g) ? g : ""]), heldOut, controlAcc);
            var headToHead = Judge(arm, $"{arm} control", judges, g => Pairs(controlScenes[controlScenes.ContainsKey(g) ? g : ""], alignedScenes[alignedScenes.ContainsKey(g) ? g : ""]), heldOut, alignedAcc);
            log(string.Create(CultureInfo.InvariantCulture, $"   {arm}: vs base {aligned.Table.Overall.Counts.WinRate:F3} (worst group {aligned.WorstGroup}), control vs base {control.Table.Overall.Counts.WinRate:F3}, vs control {headToHead.Table.Overall.Counts.WinRate:F3}; {time.Elapsed.TotalMinutes:F1} min"));
            result.Add(new LivsSimCompareArm(arm, options.Objective.ToString(), pairsPerAdapter is null ? "full" : "per-group-lora", options.Steps, options.LearningRate, pairsPerAdapter, aligned, control, headToHead, perStep));
        }

        return result;
    }

    /// <summary>The probe's scenes of the A/B images (held-out prompts x eval seeds 1000..), per judge group; key "" when one model serves every group.</summary>
    private Dictionary<string, List<EvalImage>> EvalScenes(Func<string, DiffusionModel> modelOf, List<string> heldOut, CancellationToken ct, IReadOnlyList<string>? groups = null)
    {
        var scenes = new Dictionary<string, List<EvalImage>>(StringComparer.Ordinal);
        foreach (var g in groups ?? [""])
        {
            var model = modelOf(g);
            var list = new List<EvalImage>();
            for (int k = 0; k < size.EvalSeeds; k++)
            {
                ct.ThrowIfCancellationRequested();
                list.AddRange(Perceive(model, heldOut, (ulong)(1000 + k)));
            }

            scenes[g] = list;
        }

        return scenes;
    }

    /// <summary>
    /// Trains one arm on <paramref name="source"/> and returns its A/B scenes. <c>lora</c>: one DPO adapter per group of the
    /// dataset (each on its group's pairs only, the same steps, rate <c>loraLearningRate</c>), and a judge sees its own
    /// group's adapter; every judge group must have an adapter. The others: full fine-tuning with their objective.
    /// </summary>
    private (Dictionary<string, List<EvalImage>> Scenes, float Accuracy, IReadOnlyDictionary<string, int>? PairsPerAdapter, DpoOptions Options) TrainArm(string arm, InMemoryPreferenceSource source, string name, IReadOnlyList<string> judgeGroups, List<string> heldOut, CancellationToken ct)
    {
        if (arm != "lora")
        {
            var options = dpo with { Objective = ObjectiveOf(arm), Mode = FineTuneMode.Full, Group = null };
            var (model, acc) = Train(source, options, $"{arm} {name}", null, ct);
            return (EvalScenes(_ => model, heldOut, ct), acc, null, options);
        }

        var loraOptions = dpo with { Objective = DpoObjective.Dpo, Mode = FineTuneMode.Lora, LearningRate = loraLearningRate, LoraTargets = LoraTargets.AllLinear, LoraRank = 8, LoraAlpha = 16 };
        var datasetGroups = Enumerable.Range(0, source.Count).Select(i => source.Get(i).Group).OfType<string>().Distinct().OrderBy(g => g, StringComparer.Ordinal).ToList();
        var missing = judgeGroups.Where(g => !datasetGroups.Contains(g)).ToList();
        if (missing.Count > 0)
        {
            throw new StudyInputException($"--arms lora at size {size.Name}: no adapter for judge group(s) {string.Join(", ", missing)} (the dataset has {(datasetGroups.Count == 0 ? "no group" : string.Join(", ", datasetGroups))}; a group under {MinGroupSize} annotators is written without it)");
        }

        var shared = DiffusionModel.Load(basePath);
        LoraAdapterBank? bank = null;
        var pairs = new Dictionary<string, int>(StringComparer.Ordinal);
        double weighted = 0;
        foreach (var g in judgeGroups)
        {
            var (_, acc, trainer) = TrainWith(shared, source, loraOptions with { Group = g }, $"lora {name} [{g}]", bank, ct);
            bank = trainer.Adapters!;
            bank.Store(g);
            pairs[g] = trainer.Preparation.Examples.Count;
            weighted += acc * pairs[g];
        }

        var scenes = EvalScenes(g => { bank!.Activate(g); return shared; }, heldOut, ct, judgeGroups);
        return (scenes, (float)(weighted / pairs.Values.Sum()), pairs, loraOptions);
    }

    private static DpoObjective ObjectiveOf(string arm) => arm switch
    {
        "dpo" => DpoObjective.Dpo,
        "group-robust" => DpoObjective.GroupRobust,
        "kto" => DpoObjective.Kto,
        "mapo" => DpoObjective.Mapo,
        _ => throw new StudyInputException($"--arms: '{arm}' is not an arm"),
    };

    private (DiffusionModel Model, float Accuracy) Train(InMemoryPreferenceSource source, DpoOptions options, string name, LoraAdapterBank? bank, CancellationToken ct)
    {
        var (model, acc, _) = TrainWith(DiffusionModel.Load(basePath), source, options, name, bank, ct);
        return (model, acc);
    }

    /// <summary>The identity group of a simulated participant on the disability axis (the world's planted mobility effect).</summary>
    public static string GroupOf(SimulatedParticipant participant)
    {
        ArgumentNullException.ThrowIfNull(participant);
        return participant.Profile.Markers["disability"];
    }

    private static long ImageId(int prompt, int seedIndex) => (prompt * 100L) + seedIndex + 1;

    private Tensor Generate(DiffusionModel model, List<string> prompts, ulong imageSeed)
    {
        _genTime.Start();
        var x = model.Generate(new GenerationRequest { Prompts = prompts, Seed = imageSeed, GuidanceScale = 3f, Sampler = new SamplerOptions { Kind = SamplerKind.Ddpm, Steps = size.SamplerSteps } });
        _genTime.Stop();
        _generated += prompts.Count;
        return x;
    }

    private (DiffusionModel Model, float Accuracy) Dpo(InMemoryPreferenceSource source, string name, CancellationToken ct)
    {
        var model = DiffusionModel.Load(basePath);
        var (_, acc, _) = TrainWith(model, source, dpo, name, null, ct);
        model.Save(Path.Combine(workDir, $"{name}.safetensors"));
        return (model, acc);
    }

    private (DiffusionModel Model, float Accuracy, DpoTrainer Trainer) TrainWith(DiffusionModel model, InMemoryPreferenceSource source, DpoOptions dpo, string name, LoraAdapterBank? bank, CancellationToken ct)
    {
        DpoTrainer trainer;
        try
        {
            trainer = new DpoTrainer(model, source, dpo, adapters: bank);
        }
        catch (InvalidOperationException e)
        {
            // e.g. group-robust DPO where a group has fewer annotators than the dataset's minimum group size (5) and is written without its group
            throw new StudyInputException($"{(arms is null ? "--objective" : "--arms")} {dpo.Objective} at size {size.Name}: {e.Message}");
        }

        log(string.Create(CultureInfo.InvariantCulture, $"4/6 {dpo.Objective} ({name}): {trainer.Preparation.Examples.Count} pairs, {dpo.Steps} steps, batch {dpo.BatchSize}, beta {dpo.Beta}, learning rate used {trainer.LearningRate:G3}{(trainer.Preparation.Groups is { Count: > 0 } gs ? $", groups {string.Join(", ", gs)}" : "")}"));
        float acc = float.NaN;
        for (int i = 0; i < dpo.Steps; i++)
        {
            ct.ThrowIfCancellationRequested();
            var step = trainer.TrainStep();
            acc = step.ImplicitAccuracy;
            if (step.Step % 10 == 0 || step.Step == dpo.Steps)
            {
                log(string.Create(CultureInfo.InvariantCulture, $"   {name} step {step.Step}: loss {step.Loss:F4}, implicit accuracy {step.ImplicitAccuracy:F2}, lr {step.LearningRate:G3}, {step.StepTime.TotalSeconds:F2} s{(step.WorstGroup is null ? "" : $", worst group {step.WorstGroup} ({step.WorstGroupLoss:F3}), weights {string.Join("/", step.GroupWeights!.Select(w => w.ToString("F3", CultureInfo.InvariantCulture)))}")}"));
            }
        }

        log(string.Create(CultureInfo.InvariantCulture, $"   {name}: implicit accuracy on fresh draws of the {trainer.Preparation.Examples.Count} training pairs (2 each)"));
        var final = trainer.Evaluate((ulong)seed + 5, 2).ImplicitAccuracy;
        log(string.Create(CultureInfo.InvariantCulture, $"   {name}: implicit accuracy {final:F2}"));
        return (model, final, trainer);
    }

    /// <summary>The same pairs with P(image_0 preferred) permuted across them: the label-shuffled control.</summary>
    private static InMemoryPreferenceSource Shuffle(InMemoryPreferenceSource source, int shuffleSeed)
    {
        var items = Enumerable.Range(0, source.Count).Select(source.Get).ToList();
        var p = items.Select(x => x.Probability0).ToArray();
        new Random(shuffleSeed).Shuffle(p);
        return new InMemoryPreferenceSource([.. items.Select((x, i) => x with { Probability0 = p[i] })]);
    }

    /// <summary>
    /// Assignments under the LIVS rules: each participant sees <paramref name="perParticipant"/> pairs (least-assigned first),
    /// three criteria balanced by <see cref="CriteriaBalancer"/>, image_0 on the left with probability 1/2.
    /// </summary>
    /// <remarks><paramref name="pairsOf"/> gives participant u's pairs: the same ids and prompts for every participant (so the draws
    /// are the same), the scenes may differ (per-group adapters: each judge sees the images of its own group's adapter).</remarks>
    private static List<CleaningRow> Annotate(IReadOnlyList<SimulatedParticipant> participants, Func<int, IReadOnlyList<(long PairId, long Prompt, long Image0, long Image1, SceneSpec Spec0, SceneSpec Spec1)>> pairsOf, int perParticipant, int drawSeed)
    {
        int pairCount = participants.Count == 0 ? 0 : pairsOf(0).Count;
        var random = new Random(drawSeed);
        var rules = new AssignmentBuilder(GroundTruth.Criteria, 3);
        var shown = new Dictionary<string, long>(StringComparer.Ordinal);
        var assigned = new int[pairCount];
        var rows = new List<CleaningRow>();
        long answerId = 0, annotationId = 0;
        var clock = new DateTimeOffset(2025, 1, 1, 9, 0, 0, TimeSpan.Zero);
        for (int u = 0; u < participants.Count; u++)
        {
            var person = participants[u];
            var pairs = pairsOf(u);
            var seen = new HashSet<int>();
            for (int n = 0; n < Math.Min(perParticipant, pairs.Count); n++)
            {
                int min = Enumerable.Range(0, pairs.Count).Where(i => !seen.Contains(i)).Min(i => assigned[i]);
                var candidates = Enumerable.Range(0, pairs.Count).Where(i => !seen.Contains(i) && assigned[i] == min).ToList();
                int pi = candidates[random.Next(candidates.Count)];
                seen.Add(pi);
                assigned[pi]++;
                var pair = pairs[pi];
                var draw = rules.Draw(shown, random);
                var criteria = draw.Criteria;
                bool image0Left = draw.Image0OnLeft;
                var answer = person.Answer(image0Left ? pair.Spec0 : pair.Spec1, image0Left ? pair.Spec1 : pair.Spec0, criteria);
                annotationId++;
                clock = clock.AddMilliseconds(answer.ClientDurationMs);
                for (int k = 0; k < criteria.Count; k++)
                {
                    rows.Add(new CleaningRow
                    {
                        AnswerId = ++answerId,
                        AnnotationId = annotationId,
                        AssignmentId = annotationId,
                        ParticipantId = u + 1,
                        PairId = pair.PairId,
                        PromptId = pair.Prompt,
                        Image0Id = pair.Image0,
                        Image1Id = pair.Image1,
                        Criterion = criteria[k],
                        Position = k,
                        ScoreAsShown = answer.Scores[k],
                        Image0OnLeft = image0Left,
                        ClientMs = answer.ClientDurationMs,
                        ServerMs = answer.ClientDurationMs,
                        SubmittedAt = clock,
                        ClientRequestId = $"sim-{annotationId}",
                    });
                }
            }
        }

        return rows;
    }

    /// <summary>The blind A/B study of one comparison: image_0 = <paramref name="versus"/>'s image, image_1 = <paramref name="name"/>'s; answers cleaned, then case study I.</summary>
    /// <remarks><paramref name="itemsOf"/> gives the items a judge of a group sees (one list for all but per-group adapters).</remarks>
    private LivsSimArm Judge(string name, string versus, IReadOnlyList<SimulatedParticipant> judges, Func<string, IReadOnlyList<(int Prompt, EvalImage Base, EvalImage Other)>> itemsOf, List<string> prompts, float implicitAccuracy)
    {
        var byGroup = judges.Select(GroupOf).Distinct().ToDictionary(g => g, g => itemsOf(g).Select((x, i) => ((long)(i + 1), (long)x.Prompt, (2L * i) + 1, (2L * i) + 2, x.Base.Scene, x.Other.Scene)).ToList(), StringComparer.Ordinal);
        var rows = Annotate(judges, u => byGroup[GroupOf(judges[u])], size.PairsPerJudge, seed + 200); // same draws for every comparison
        var cleaned = CleaningEngine.Run(rows, CleaningRuleSet.Default);
        var judgements = cleaned.KeptRows
            .Where(r => r.Preference is not null)
            .Select(r => new ABJudgement(prompts[(int)r.PromptId], r.ParticipantId.ToString(CultureInfo.InvariantCulture), r.Criterion, r.Preference > 0 ? ABPreference.Aligned : r.Preference < 0 ? ABPreference.Base : ABPreference.Neutral))
            .ToList();
        double Mean(Func<(int Prompt, EvalImage Base, EvalImage Other), EvalImage> pick) => judges.Average(j => itemsOf(GroupOf(j)).Average(x => GroundTruth.Criteria.Average(c => GroundTruth.Utility(pick(x).Scene, c))));

        // Case study II: per judge, and per consented group of the judges (disability axis).
        var groupOfJudge = judges.Select((p, u) => ((u + 1).ToString(CultureInfo.InvariantCulture), GroupOf(p))).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var perGroup = judgements.GroupBy(j => groupOfJudge[j.Participant], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => ABStudy.Summarize($"disability={g.Key}", [.. g])).ToList();
        var worst = perGroup.Where(g => !double.IsNaN(g.Counts.WinRate)).OrderBy(g => g.Counts.WinRate).FirstOrDefault()?.Scope;
        var perJudge = ABStudy.ByParticipant(judgements);

        // The reward model's verdict on the same kept judgements, conditioned on each judge's group (automatic, beside the judges).
        var itemsByGroup = byGroup.Keys.ToDictionary(g => g, itemsOf, StringComparer.Ordinal);
        var reward = RewardEvaluator?.Score([.. cleaned.KeptRows.Where(r => r.Preference is not null).Select(r =>
        {
            var g = GroupOf(judges[(int)r.ParticipantId - 1]);
            var item = itemsByGroup[g][(int)r.PairId - 1];
            return new LivsSimScoredJudgement(g, prompts[(int)r.PromptId], item.Base.Pixels, item.Other.Pixels, r.Criterion, r.Preference > 0 ? ABPreference.Aligned : r.Preference < 0 ? ABPreference.Base : ABPreference.Neutral);
        })]);
        return new LivsSimArm(name, versus, ABStudy.Overview(judgements), Mean(x => x.Base), Mean(x => x.Other), implicitAccuracy, judgements.Count, rows.Count - judgements.Count, perGroup, worst, perJudge.Count, perJudge.Count(p => p.Counts.Wins > p.Counts.Losses), reward);
    }

    /// <summary>The reward model's report with its whole cost so far (null without the evaluator).</summary>
    private LivsSimRewardModel? RewardReport() => RewardEvaluator?.Report is { } r ? r with { Seconds = RewardEvaluator.Seconds } : null;

    /// <summary>The images <paramref name="model"/> draws for <paramref name="prompts"/> from <paramref name="imageSeed"/>, with the scenes the probe reads from them.</summary>
    private List<EvalImage> Perceive(DiffusionModel model, List<string> prompts, ulong imageSeed)
    {
        var batch = Generate(model, prompts, imageSeed);
        var seen = SceneProbe.Perceive(probe, batch.Data, prompts.Count);
        int n = batch.Data.Length / prompts.Count; // one CHW image per prompt
        return [.. seen.Select((scene, p) => new EvalImage(scene, batch.Data.AsSpan(p * n, n).ToArray()))];
    }

    /// <summary>An A/B image: the scene the probe reads (what a judge sees) and its pixels (what the reward model sees).</summary>
    private readonly record struct EvalImage(SceneSpec Scene, float[] Pixels);

    /// <summary>An image of the diffusion model (CHW, [-1, 1]) as RGBA.</summary>
    internal static RgbaImage ToImage(float[] pixels, int size)
    {
        var t = new Tensor(pixels, [1, 3, size, size]);
        return RgbaImage.FromRgb(size, size, DiffusionModel.ToRgbBytes(t, 0));
    }
}
