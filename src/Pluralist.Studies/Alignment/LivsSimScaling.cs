using System.Diagnostics;
using System.Globalization;
using Pluralist.Analysis.Evaluation;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Preferences;
using Pluralist.Data.Datasets;
using Pluralist.Diffusion;
using Pluralist.World.Scenes;
using Pluralist.World.Simulation;
using Pluralist.World.Truth;

namespace Pluralist.Studies.Alignment;

/// <summary>
/// One point of the data-scaling curve: the first <see cref="Annotators"/> of the seeded pool, their annotations, the answers
/// cleaning kept, their <c>livs</c> labels and the pairs DPO used (ties dropped); the model trained on them against the base,
/// its shuffled-label control against the base, and the model against the control (the same judges, draws and A/B noise at
/// every point). <see cref="Minutes"/> is the point's wall time (two trainings, their A/B images, judging).
/// </summary>
public sealed record LivsSimScalingPoint(int Annotators, int Annotations, int AnswersKept, int Labels, int TrainingPairs, LivsSimArm Aligned, LivsSimArm Control, LivsSimArm AlignedVsControl, double Minutes);

/// <summary>
/// The data-scaling curve (issue 22, item 3): one point per pool size, and the Cochran-Armitage trend of the win rate over
/// the points with score log2(annotators), for the aligned models against the base (<see cref="AlignedTrend"/>) and for their
/// controls (<see cref="ControlTrend"/>: no trend expected).
/// </summary>
public sealed record LivsSimScalingResult(int Seed, string Size, string Objective, int Steps, int Images, int PairsPerAnnotator, int Judges, IReadOnlyList<LivsSimScalingPoint> Points, DoseTrendTest AlignedTrend, DoseTrendTest ControlTrend, DoseTrendTest AlignedVsControlTrend, double SecondsPerImage);

public sealed partial class LivsSimExperiment
{
    /// <summary>
    /// Parses a comma-separated list of positive integers in increasing order (<c>--scaling 10,20,40,80</c>,
    /// <c>--per-criterion 500,1500</c>); <paramref name="option"/> names the option in the error.
    /// </summary>
    public static IReadOnlyList<int> ParseCounts(string option, string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > max)
            {
                throw new StudyInputException($"{option} {text}: '{part}' is not a whole number from 1 to {max.ToString(CultureInfo.InvariantCulture)}");
            }

            if (list.Count > 0 && n <= list[^1])
            {
                throw new StudyInputException($"{option} {text}: the values must increase ({n.ToString(CultureInfo.InvariantCulture)} after {list[^1].ToString(CultureInfo.InvariantCulture)})");
            }

            list.Add(n);
        }

        return list;
    }

    /// <summary>
    /// The data-scaling curve: the same training images and pairs, and one seeded annotator pool of max(<paramref name="annotatorCounts"/>)
    /// that annotates once under the LIVS rules; point N keeps the answers of the pool's first N participants (so a smaller
    /// pool's annotations are exactly a subset of a larger one's), cleans and labels them (<c>livs</c>), writes and reads back
    /// its dataset, and trains DPO with the same options (the same steps at every point: more labels, the same compute) and a
    /// shuffled-label control; every model draws the same held-out A/B images' noise and the same judges judge them with the same draws.
    /// </summary>
    public LivsSimScalingResult RunScaling(IReadOnlyList<int> annotatorCounts, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(annotatorCounts);
        var baseModel = DiffusionModel.Load(basePath);
        var (train, heldOut, images) = DrawTrainingImages(baseModel, ct);
        var pool = BehaviourMix.Default.Pool(annotatorCounts.Max(), seed);
        var groups = pool.Select((p, u) => (Id: (long)(u + 1), Group: GroupOf(p))).ToDictionary(x => x.Id, x => x.Group);
        var rows = Annotate(pool, _ => TrainingPairs(train, images), size.PairsPerAnnotator, seed + 1);
        log($"2/6 {rows.Select(r => r.AnnotationId).Distinct().Count()} annotations by the pool of {pool.Count}; points {string.Join(", ", annotatorCounts)}");

        // Labels of every point before anything is written: a point without labels cannot train.
        var points = new List<(int N, List<CleaningRow> Rows, CleaningRun Cleaning, IReadOnlyList<PreferenceLabel> Labels)>();
        foreach (int n in annotatorCounts)
        {
            var own = rows.Where(r => r.ParticipantId <= n).ToList();
            var cleaning = CleaningEngine.Run(own, CleaningRuleSet.Default);
            var labels = Labeler.Build(cleaning.KeptRows, new LabelOptions { Protocol = LabelProtocol.Livs, Groups = groups });
            if (labels.Count == 0)
            {
                throw new StudyInputException($"--scaling {n}: the first {n} annotators leave no livs label after cleaning at size {size.Name}");
            }

            points.Add((n, own, cleaning, labels));
        }

        var imagesDir = WriteTrainingImages(images, baseModel.Config.UNet.ImageSize);
        var judges = BehaviourMix.Default.Pool(size.Judges, seed + 100);
        var baseScenes = EvalScenes(_ => baseModel, heldOut, ct)[""];
        var result = new List<LivsSimScalingPoint>();
        foreach (var (n, own, cleaning, labels) in points)
        {
            var time = Stopwatch.StartNew();
            var datasetDir = Path.Combine(workDir, "scaling", $"annotators-{n}", "dataset");
            WriteDataset(datasetDir, labels, groups, cleaning.Report, train, images.Keys, imagesDir);
            var source = PreferenceDataset.Load(datasetDir, "train", baseModel.Config.UNet.ImageSize, out _);
            log($"3/6 {n} annotators: cleaning kept {cleaning.KeptRows.Count()} of {own.Count} answers; {labels.Count} livs labels -> {datasetDir}");
            var (aligned, alignedAcc, pairs) = TrainScored(source, dpo, $"aligned {n}", ct);
            var alignedScenes = EvalScenes(_ => aligned, heldOut, ct)[""];
            var (control, controlAcc, _) = TrainScored(Shuffle(source, seed + 2), dpo, $"control {n}", ct);
            var controlScenes = EvalScenes(_ => control, heldOut, ct)[""];
            var a = Judge($"aligned {n}", "base", judges, _ => PairUp(baseScenes, alignedScenes, heldOut.Count), heldOut, alignedAcc);
            var c = Judge($"control {n}", "base", judges, _ => PairUp(baseScenes, controlScenes, heldOut.Count), heldOut, controlAcc);
            var h = Judge($"aligned {n}", $"control {n}", judges, _ => PairUp(controlScenes, alignedScenes, heldOut.Count), heldOut, alignedAcc);
            log(string.Create(CultureInfo.InvariantCulture, $"5/6 {n} annotators: vs base {a.Table.Overall.Counts.WinRate:F3}, control vs base {c.Table.Overall.Counts.WinRate:F3}, vs control {h.Table.Overall.Counts.WinRate:F3}; {time.Elapsed.TotalMinutes:F1} min"));
            result.Add(new LivsSimScalingPoint(n, own.Select(r => r.AnnotationId).Distinct().Count(), cleaning.KeptRows.Count(), labels.Count, pairs, a, c, h, time.Elapsed.TotalMinutes));
        }

        log("6/6 done");
        DoseTrendTest TrendOf(Func<LivsSimScalingPoint, LivsSimArm> pick) => DoseTrend.Test(
            [.. result.Select(p => (Score: Math.Log2(p.Annotators), pick(p).Table.Overall.Counts)).Where(x => x.Counts.Wins + x.Counts.Losses > 0).Select(x => (x.Score, x.Counts.Wins, x.Counts.Wins + x.Counts.Losses))]);
        return new LivsSimScalingResult(seed, size.Name, dpo.Objective.ToString(), dpo.Steps, _generated, size.PairsPerAnnotator, judges.Count, result, TrendOf(p => p.Aligned), TrendOf(p => p.Control), TrendOf(p => p.AlignedVsControl), _genTime.Elapsed.TotalSeconds / Math.Max(1, _generated));
    }

    /// <summary>Step 1 of the experiment without writing: the training and held-out prompts, and the base's training images (seeds 1..K) with the scenes the probe reads.</summary>
    private (List<string> Train, List<string> HeldOut, Dictionary<long, (int Prompt, float[] Pixels, SceneSpec Seen)> Images) DrawTrainingImages(DiffusionModel baseModel, CancellationToken ct)
    {
        int s = baseModel.Config.UNet.ImageSize;
        var all = Prompts(Math.Max(size.TrainPrompts + size.HeldOutPrompts, 4 * size.HeldOutPrompts));
        var heldOut = Enumerable.Range(0, size.HeldOutPrompts).Select(i => all[(4 * i) + 3 - (i % 4)]).ToList(); // as Run: one in four, places varied
        var train = all.Except(heldOut).Take(size.TrainPrompts).ToList();
        log($"1/6 generating {train.Count * size.ImagesPerPrompt} images ({train.Count} prompts x {size.ImagesPerPrompt} seeds)");
        var images = new Dictionary<long, (int Prompt, float[] Pixels, SceneSpec Seen)>();
        for (int k = 0; k < size.ImagesPerPrompt; k++)
        {
            ct.ThrowIfCancellationRequested();
            var batch = Generate(baseModel, train, (ulong)(k + 1));
            var seen = SceneProbe.Perceive(probe, batch.Data, train.Count);
            for (int p = 0; p < train.Count; p++)
            {
                images[ImageId(p, k)] = (p, batch.Data.AsSpan(p * 3 * s * s, 3 * s * s).ToArray(), seen[p]);
            }
        }

        return (train, heldOut, images);
    }

    private string WriteTrainingImages(Dictionary<long, (int Prompt, float[] Pixels, SceneSpec Seen)> images, int s)
    {
        var imagesDir = Path.Combine(workDir, "images");
        Directory.CreateDirectory(imagesDir);
        foreach (var (id, image) in images)
        {
            File.WriteAllBytes(Path.Combine(imagesDir, $"{id}.png"), Pipeline.Images.ImageCodec.Encode(ToImage(image.Pixels, s), Pipeline.Images.ImageFormat.Png));
        }

        return imagesDir;
    }

    /// <summary>Every pair of images of one training prompt, as Run builds them.</summary>
    private List<(long PairId, long Prompt, long Image0, long Image1, SceneSpec Spec0, SceneSpec Spec1)> TrainingPairs(List<string> train, Dictionary<long, (int Prompt, float[] Pixels, SceneSpec Seen)> images)
    {
        var pairs = new List<(long PairId, long Prompt, long Image0, long Image1, SceneSpec Spec0, SceneSpec Spec1)>();
        for (int p = 0; p < train.Count; p++)
        {
            for (int a = 0; a < size.ImagesPerPrompt; a++)
            {
                for (int b = a + 1; b < size.ImagesPerPrompt; b++)
                {
                    pairs.Add((pairs.Count + 1, p, ImageId(p, a), ImageId(p, b), images[ImageId(p, a)].Seen, images[ImageId(p, b)].Seen));
                }
            }
        }

        return pairs;
    }

    /// <summary>Writes the labels as `dataset build` would (protocol `per-criterion` when they carry criteria, else `livs`), replacing the folder; every run's dataset goes through here.</summary>
    private void WriteDataset(string datasetDir, IReadOnlyList<PreferenceLabel> labels, Dictionary<long, string> groups, CleaningReport cleaning, List<string> train, IEnumerable<long> imageIds, string imagesDir)
    {
        if (Directory.Exists(datasetDir))
        {
            Directory.Delete(datasetDir, recursive: true);
        }

        DatasetWriter.Write(
            new DatasetInput
            {
                StudyName = "livs-sim",
                Criteria = GroundTruth.Criteria,
                Protocol = labels.Any(l => l.Criterion is not null) ? "per-criterion" : "livs",
                Labels = labels,
                ConsentedGroups = groups,
                Captions = Enumerable.Range(0, train.Count).ToDictionary(p => (long)p, p => train[p]),
                ImagePaths = imageIds.ToDictionary(id => id, id => Path.GetFullPath(Path.Combine(imagesDir, $"{id}.png"))),
                Cleaning = cleaning,
                CleaningProvenance = "livs-sim: CleaningRuleSet.Default",
                ValidationShare = 0,
                TestShare = 0,
                SplitSeed = seed,
            },
            datasetDir);
    }

    /// <summary>Trains a fresh copy of the base; returns it, its implicit accuracy on fresh draws and the pairs it trained on.</summary>
    private (DiffusionModel Model, float Accuracy, int Pairs) TrainScored(InMemoryPreferenceSource source, DpoOptions options, string name, CancellationToken ct)
    {
        var (model, acc, trainer) = TrainWith(DiffusionModel.Load(basePath), source, options, name, null, ct);
        return (model, acc, trainer.Preparation.Examples.Count);
    }

    private static List<(int Prompt, EvalImage Base, EvalImage Other)> PairUp(List<EvalImage> first, List<EvalImage> second, int prompts) =>
        [.. first.Select((b, i) => (i % prompts, b, second[i]))];
}
