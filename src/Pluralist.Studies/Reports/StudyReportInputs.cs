using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pluralist.Analysis.Likert;
using Pluralist.Analysis.Reports;
using Pluralist.Analysis.Text;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Studies.Raters;

namespace Pluralist.Studies.Reports;

/// <summary>
/// The study report's input (what <c>pluralist analyze study</c> and the report benchmark analyse): the rows the latest
/// cleaning run kept (all rows when there is none), provenance and consented markers, read from the database once.
/// </summary>
public static class StudyReportInputs
{
    /// <summary>Which study, and the report's resampling settings.</summary>
    public sealed record Request
    {
        /// <summary>Study key (or id).</summary>
        public required string Study { get; init; }

        /// <summary>Permutations for the GAI and prompt-source tests (0 or more).</summary>
        public int Permutations { get; init; } = 1000;

        /// <summary>Bootstrap replicates for intervals (0 or more).</summary>
        public int BootstrapReplicates { get; init; } = 1000;

        /// <summary>Bootstrap replicates of case study IV's per-group fits (0 or more; at most <see cref="BootstrapReplicates"/> are used).</summary>
        public int GroupBootstrapReplicates { get; init; } = StudyReportBuilder.DefaultGroupBootstrapReplicates;

        /// <summary>Seed of every random step.</summary>
        public int Seed { get; init; } = 1;

        /// <summary>The training dataset of the aligned model (a `dataset build` folder), for the data-scaling section; null: none linked.</summary>
        public string? TrainingDataset { get; init; }
    }

    /// <summary>The report input and how long reading it took.</summary>
    public sealed record Result(StudyReportInput Input, TimeSpan LoadTime);

    /// <summary>Bad settings as a <see cref="StudyInputException"/> naming them; nothing is read.</summary>
    public static void Check(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Study);
        if (request.Permutations < 0 || request.BootstrapReplicates < 0 || request.GroupBootstrapReplicates < 0)
        {
            throw new StudyInputException(string.Create(CultureInfo.InvariantCulture,
                $"permutations ({request.Permutations}), bootstrap replicates ({request.BootstrapReplicates}) and group bootstrap replicates ({request.GroupBootstrapReplicates}) must be 0 or more"));
        }
    }

    /// <summary>
    /// Checks the request, refuses a database older than this schema and an unknown study (both as
    /// <see cref="StudyInputException"/>), then reads the input.
    /// </summary>
    public static async Task<Result> LoadAsync(DatabaseOptions options, Request request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Check(request);
        await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var input = await ReadAsync(options, request, ct).ConfigureAwait(false);
        input = input with { Permutations = request.Permutations, BootstrapReplicates = request.BootstrapReplicates, GroupBootstrapReplicates = request.GroupBootstrapReplicates, Seed = request.Seed };
        if (request.TrainingDataset is { } training)
        {
            var (perCriterion, without) = await Console.Evaluation.TrainingPrompts.LabelsPerCriterionAsync(training, ct).ConfigureAwait(false);
            input = input with { TrainingLabels = perCriterion, TrainingLabelsWithoutCriterion = without, TrainingDataset = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(training))) };
        }

        return new Result(input, clock.Elapsed);
    }

    private static async Task<StudyReportInput> ReadAsync(DatabaseOptions options, Request request, CancellationToken ct)
    {
        await using var db = PluralistDatabase.CreateContext(options);
        var s = await StudyLookup.FindStudyAsync(db, request.Study, ct).ConfigureAwait(false);
        var dataset = await StudyDatasetLoader.LoadAsync(db, s.Key, ct).ConfigureAwait(false);
        var latest = await CleaningStore.LatestAsync(db, s.Id, ct).ConfigureAwait(false);
        IReadOnlyList<CleaningRow> rows = dataset.Rows;
        var notCleaned = 0;
        if (latest is not null)
        {
            var (kept, _, late) = latest.Apply(dataset.Rows);
            rows = kept;
            notCleaned = late.Count;
        }

        var ratings = await LikertRowsAsync(db, s.Id, ct).ConfigureAwait(false);
        var ids = dataset.Rows.Select(r => r.ParticipantId).Concat(ratings.Select(r => r.Participant)).Distinct().ToList();
        var markers = await StudyProvenance.ConsentedMarkersAsync(db, ids, s.IdentityMarkers, ct).ConfigureAwait(false);
        var prompts = await db.Prompts.AsNoTracking().Where(p => p.StudyId == s.Id).OrderBy(p => p.Id)
            .Select(p => new { p.Id, p.Source, p.Language, p.Text }).ToListAsync(ct).ConfigureAwait(false);
        return new StudyReportInput
        {
            StudyKey = s.Key,
            StudyTitle = s.Title.Get("en") is { Length: > 0 } title ? title : s.Key,
            Rows = rows,
            Cleaning = latest?.Report,
            RowsNotCleaned = notCleaned,
            Participants = await StudyProvenance.PseudonymsAsync(db, ids, ct).ConfigureAwait(false),
            PromptSources = await StudyProvenance.PromptSourcesAsync(db, s.Id, ct).ConfigureAwait(false),
            Captions = dataset.Captions,
            Prompts = [.. prompts.Select(p => new SourcedPrompt(p.Id, p.Source.ToToken(), p.Language, p.Text))],
            Axes = s.IdentityMarkers,
            Markers = markers.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, string>)kv.Value),
            MinGroupSize = s.MinGroupSize,
            Ratings = ratings,
            LikertQuestions = [.. (s.LikertQuestions.Count > 0 ? s.LikertQuestions : Defaults.LikertQuestions).Select(q => q.Key)],
            Synthetic = await SyntheticAsync(db, s, request, ct).ConfigureAwait(false),
        };
    }

    /// <summary>The study's Likert ratings as the report reads them (uncleaned, in id order).</summary>
    public static async Task<List<LikertRow>> LikertRowsAsync(PluralistDbContext db, long studyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.LikertRatings.AsNoTracking()
            .Where(r => db.Images.Any(i => i.Id == r.ImageId && i.StudyId == studyId))
            .OrderBy(r => r.Id)
            .Select(r => new LikertRow(r.Id, r.ParticipantId, r.ImageId.ToString(CultureInfo.InvariantCulture), r.QuestionKey, r.Value, r.ClientDurationMs, r.SubmittedAt))
            .ToListAsync(ct).ConfigureAwait(false);
    }

    // Each synthetic run compared with the people as `raters compare` does by default (the study's axes, intersections).
    private static async Task<IReadOnlyList<SyntheticRunComparison>> SyntheticAsync(PluralistDbContext db, Study study, Request request, CancellationToken ct)
    {
        var names = await db.SyntheticRuns.AsNoTracking().Where(r => r.StudyId == study.Id).OrderBy(r => r.Id).Select(r => r.Name).ToListAsync(ct).ConfigureAwait(false);
        var list = new List<SyntheticRunComparison>();
        foreach (var name in names)
        {
            var c = await RaterComparison.CompareAsync(db, new RaterComparison.Request
            {
                Study = study.Key,
                Run = name,
                Replicates = request.BootstrapReplicates,
                Permutations = request.Permutations,
                Seed = request.Seed,
            }, ct).ConfigureAwait(false);
            list.Add(RaterComparison.ForReport(c));
        }

        return list;
    }
}
