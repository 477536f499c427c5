using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Reports;
using Pluralist.Analysis.Statistics;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Datasets;

namespace Pluralist.Studies.Raters;

/// <summary>
/// <c>pluralist raters compare</c>: a synthetic run against the study's people, per identity group and intersection
/// (<see cref="SyntheticRepresentation"/>). Pairwise items are (pair, criterion) with the slider oriented to the pair's
/// canonical order (-1 = image_0 preferred), people's and raters' alike; Likert items are (image, question).
/// </summary>
public static class RaterComparison
{
    public sealed record Request
    {
        public required string Study { get; init; }

        public required string Run { get; init; }

        /// <summary>Identity axes to group by (default: the study's markers).</summary>
        public IReadOnlyList<string>? Axes { get; init; }

        public bool Intersections { get; init; } = true;

        public int Replicates { get; init; } = 1000;

        public int Seed { get; init; } = 1;

        public int MinItems { get; init; } = 5;

        /// <summary>Permutations of the GAI tests (people's and the synthetic raters'); 0 skips the tests.</summary>
        public int Permutations { get; init; } = 1000;
    }

    /// <summary>The report, with the run and counts of what went in, and the GAI of the people beside the synthetic raters'.</summary>
    public sealed record Result(SyntheticRun Run, RepresentationReport Report, int People, int HumanRatings, int Personas, int SyntheticRatings, int SyntheticFailures, AssociationReport Association);

    public static async Task<Result> CompareAsync(PluralistDbContext db, Request request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Replicates < 0)
        {
            throw new StudyInputException($"--replicates: {request.Replicates} must be 0 or more.");
        }

        if (request.Permutations < 0)
        {
            throw new StudyInputException($"--permutations: {request.Permutations} must be 0 or more.");
        }

        var study = await StudyLookup.FindStudyAsync(db, request.Study, ct).ConfigureAwait(false);
        var run = await db.SyntheticRuns.AsNoTracking().FirstOrDefaultAsync(r => r.StudyId == study.Id && r.Name == request.Run, ct).ConfigureAwait(false);
        if (run is null)
        {
            var names = await db.SyntheticRuns.AsNoTracking().Where(r => r.StudyId == study.Id).Select(r => r.Name).ToListAsync(ct).ConfigureAwait(false);
            throw new StudyInputException($"--run: study '{study.Key}' has no synthetic run '{request.Run}' (runs: {(names.Count == 0 ? "none" : string.Join(", ", names))}).");
        }

        var axes = request.Axes is { Count: > 0 } a ? a : study.IdentityMarkers;
        foreach (var axis in axes.Where(x => !study.IdentityMarkers.Contains(x)))
        {
            throw new StudyInputException($"--axes: '{axis}' is not one of study '{study.Key}''s identity markers ({string.Join(", ", study.IdentityMarkers)}).");
        }

        var answers = await db.SyntheticAnswers.AsNoTracking().Where(x => x.RunId == run.Id).ToListAsync(ct).ConfigureAwait(false);
        var synthetic = new List<SyntheticRating>();
        foreach (var x in answers.Where(x => x.Status == SyntheticStatus.Ok))
        {
            for (int i = 0; i < x.CriteriaShown.Count && i < x.Scores.Count; i++)
            {
                synthetic.Add(x.PairId is { } pair
                    ? new SyntheticRating(Item(pair, x.CriteriaShown[i]), x.PersonaKey, Oriented(x.Scores[i], x.Image0OnLeft ?? true))
                    : new SyntheticRating(Item(x.ImageId!.Value, x.CriteriaShown[i]), x.PersonaKey, x.Scores[i]));
            }
        }

        var personas = answers.Where(x => x.PersonaKey.Length > 0).DistinctBy(x => x.PersonaKey)
            .Select(x => new RaterProfile(x.PersonaKey, x.Persona.ToDictionary(kv => kv.Key, kv => (string?)kv.Value))).ToList();

        var human = new List<Rating>();
        if (run.Task == SyntheticTask.Pairwise)
        {
            var rows = await (from s in db.AnnotationScores.AsNoTracking()
                              join an in db.Annotations on s.AnnotationId equals an.Id
                              join asg in db.Assignments on an.AssignmentId equals asg.Id
                              join p in db.Participants on an.ParticipantId equals p.Id
                              join pair in db.Pairs on an.PairId equals pair.Id
                              where p.StudyId == study.Id && p.WithdrawnAt == null && pair.Kind == PairKind.Annotation && s.Score != null
                              select new { an.ParticipantId, an.PairId, s.CriterionKey, Score = s.Score!.Value, asg.Image0OnLeft }).ToListAsync(ct).ConfigureAwait(false);
            human.AddRange(rows.Select(r => new Rating(Item(r.PairId, r.CriterionKey), Rater(r.ParticipantId), Oriented(r.Score, r.Image0OnLeft))));
        }
        else
        {
            var rows = await (from l in db.LikertRatings.AsNoTracking()
                              join p in db.Participants on l.ParticipantId equals p.Id
                              where p.StudyId == study.Id && p.WithdrawnAt == null
                              select new { l.ParticipantId, l.ImageId, l.QuestionKey, l.Value }).ToListAsync(ct).ConfigureAwait(false);
            human.AddRange(rows.Select(r => new Rating(Item(r.ImageId, r.QuestionKey), Rater(r.ParticipantId), r.Value)));
        }

        var ids = human.Select(r => long.Parse(r.Rater, CultureInfo.InvariantCulture)).Distinct().ToList();
        var markers = await StudyProvenance.ConsentedMarkersAsync(db, ids, axes, ct).ConfigureAwait(false);
        var people = ids.Select(id => new RaterProfile(Rater(id), markers.TryGetValue(id, out var m) ? m.ToDictionary(kv => kv.Key, kv => (string?)kv.Value) : new Dictionary<string, string?>())).ToList();
        var report = SyntheticRepresentation.Analyze(human, people, synthetic, personas, axes, new RepresentationOptions
        {
            MinGroupSize = Math.Max(1, study.MinGroupSize),
            MinItems = request.MinItems,
            Intersections = request.Intersections,
            Bootstrap = new BootstrapOptions(request.Replicates, request.Seed),
        });
        var association = SyntheticAssociation.Analyze(human, people, synthetic, personas, axes, Math.Max(1, study.MinGroupSize), new GaiOptions
        {
            Level = run.Task == SyntheticTask.Pairwise ? MeasurementLevel.Interval : MeasurementLevel.Ordinal,
            Permutations = request.Permutations,
            Seed = request.Seed,
            Intersections = request.Intersections,
        });
        return new Result(run, report, people.Count, human.Count, personas.Count, synthetic.Count, answers.Count(x => x.Status != SyntheticStatus.Ok), association);
    }

    /// <summary>The comparison as the study report shows it.</summary>
    public static SyntheticRunComparison ForReport(Result result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new SyntheticRunComparison(result.Run.Name, result.Run.Model, result.Run.Endpoint, result.Run.Task.ToString().ToLowerInvariant(), result.Personas, result.SyntheticRatings, result.SyntheticFailures, result.Report, result.Association);
    }

    /// <summary>A slider as shown (-1 = left) oriented to the pair's canonical order (-1 = image_0).</summary>
    public static double Oriented(double shown, bool image0OnLeft) => AnnotationScore.Orient(shown, image0OnLeft)!.Value;

    private static string Item(long id, string key) => string.Create(CultureInfo.InvariantCulture, $"{id}/{key}");

    private static string Rater(long id) => id.ToString(CultureInfo.InvariantCulture);
}
