using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Embedders;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Prompts;
using Pluralist.Pipeline.Selection;

using Pluralist.Studies.Console.Pools;
using Pluralist.Studies.Jobs;

namespace Pluralist.Studies.Console.Jobs;

/// <summary>
/// Image jobs of the console, run from the database queue (<see cref="JobQueue"/>, kind <c>images</c>) by whichever
/// instance's <see cref="JobWorker"/> claims them (the machine renders one image at a time anyway). Each job works in
/// <c>DATA/jobs/ID</c> (the generation job's images and manifest, the selection files), then adds the selected images to
/// the study's pool through <see cref="PoolUploads.AddAsync"/> (one transaction, audited); the rest stay in the folder
/// for quality checks. A failed attempt is retried: the generation job resumes from the images already in the folder.
/// </summary>
public sealed class PipelineJobs(JobQueue queue, IServiceScopeFactory scopes, DataDirectory data) : IJobHandler
{
    /// <summary>The jobs' kind in the queue.</summary>
    public const string JobKind = "images";

    /// <summary>Attempts in all before a job fails.</summary>
    public const int MaxAttempts = 3;

    /// <summary>Embedders a console job may use.</summary>
    public static readonly string[] Embedders = ["color-layout", "world-clip"];

    public string Kind => JobKind;

    /// <summary>Queues a job; the request must have been validated (<see cref="Validate"/>).</summary>
    public async Task<PipelineJob> StartAsync(long staffId, Study study, PipelineJobRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(request);
        var job = await queue.EnqueueAsync(JobKind, study.Id, staffId, JobContext.Serialize(request), MaxAttempts, ct: ct)
            ?? throw new InvalidOperationException("An image job has no exclusive key: it is always queued.");
        return View(job);
    }

    /// <summary>The jobs of a study, newest first.</summary>
    public async Task<IReadOnlyList<PipelineJob>> ListAsync(Study study, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        return (await queue.ListAsync(JobKind, study.Id, ct: ct)).Select(View).ToList();
    }

    /// <summary>The console's state of a queue state.</summary>
    public static PipelineJobState ViewState(JobState state) => state switch
    {
        JobState.Queued => PipelineJobState.Queued,
        JobState.Running => PipelineJobState.Running,
        JobState.Succeeded => PipelineJobState.Done,
        JobState.Cancelled => PipelineJobState.Cancelled,
        _ => PipelineJobState.Failed,
    };

    private sealed record Counts(int Done = 0, int Total = 0, int FailedImages = 0, double? VendiSelected = null, double? VendiRandom = null);

    private sealed record Outcome(int Added, string Message);

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;

    private static PipelineJob View(Job job)
    {
        var counts = job.ProgressDetail is null ? new Counts() : JobContext.Parse<Counts>(job.ProgressDetail);
        var view = new PipelineJob(job.Id, JobContext.Parse<PipelineJobRequest>(job.Arguments), job.RequestedBy ?? 0, job.CreatedAt)
        {
            State = ViewState(job.State),
            Phase = job.State switch
            {
                JobState.Succeeded => "done",
                JobState.Queued => "queued",
                JobState.Cancelled => "cancelled",
                _ => job.ProgressMessage ?? "queued",
            },
            Done = counts.Done,
            Total = counts.Total,
            FailedImages = counts.FailedImages,
            VendiSelected = counts.VendiSelected ?? double.NaN,
            VendiRandom = counts.VendiRandom ?? double.NaN,
            Attempts = job.Attempts,
            MaxAttempts = job.MaxAttempts,
            FinishedAt = job.FinishedAt,
            Message = JobMessages.Describe(job),
        };
        if (job.State == JobState.Succeeded && job.Result is not null)
        {
            var outcome = JobContext.Parse<Outcome>(job.Result);
            view.Added = outcome.Added;
            view.Message = outcome.Message;
        }

        return view;
    }

    /// <summary>Problems with a request, each naming its form field; empty when it can run.</summary>
    public static IReadOnlyList<string> Validate(PipelineJobRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var errors = new List<string>();
        if (r.Prompts.Count is 0 or > 50)
        {
            errors.Add("prompts: give 1 to 50 prompts, one per line.");
        }

        for (int i = 0; i < r.Prompts.Count; i++)
        {
            if (r.Prompts[i].Length > 400)
            {
                errors.Add($"prompts: line {i + 1} is longer than 400 characters.");
            }
        }

        if (r.Language is not ("en" or "fr"))
        {
            errors.Add("language: en or fr.");
        }

        if (r.Variants is < 2 or > 40)
        {
            errors.Add("variants: 2 to 40 per prompt.");
        }

        if (r.K < 1 || r.K > r.Variants)
        {
            errors.Add("k: at least 1 and at most the number of variants.");
        }

        if (r.Size is < 32 or > 512)
        {
            errors.Add("size: 32 to 512 pixels.");
        }

        if (!Embedders.Contains(r.Embedder))
        {
            errors.Add($"embedder: one of {string.Join(", ", Embedders)}.");
        }

        return errors;
    }

    public async Task<JobOutcome> RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.Job;
        var r = context.Arguments<PipelineJobRequest>();
        if (Validate(r) is { Count: > 0 } errors)
        {
            throw new JobArgumentsException(string.Join(" ", errors));
        }

        var counts = new Counts();
        var folder = Path.Combine(data.Root, "jobs", job.Id);
        Directory.CreateDirectory(folder);
        var set = new PromptSet();
        foreach (var p in r.Prompts)
        {
            set.Add(p, r.Language, PromptSource.Human, origin: "console");
        }

        if (r.TemplateAugment)
        {
            context.Report(0, "augment", counts);
            TemplateAugmenter.Augment(set, new TemplateOptions { VariantsPerPrompt = 1, Seed = (int)(r.Seed & int.MaxValue) });
        }

        set.Save(folder);
        var prompts = set.Prompts.Select(p => new GenerationPrompt(p.Id.ToString(CultureInfo.InvariantCulture), p.Text, p.Language, p.Source)).ToList();
        var byId = set.Prompts.ToDictionary(p => p.Id.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal);
        counts = counts with { Total = prompts.Count * r.Variants };
        context.Report(0, "generate", counts);
        var images = Path.Combine(folder, "images-run");
        var summary = await new GenerationJob(new WorldImageGenerator(r.Language), new GenerationJobOptions
        {
            OutputFolder = images,
            Variants = r.Variants,
            Width = r.Size,
            Height = r.Size,
            Seed = r.Seed,
        }).RunAsync(prompts, new Sync<GenerationProgress>(g =>
        {
            counts = counts with { Done = g.Generated + g.Skipped + g.Failed, FailedImages = g.Failed };
            context.Report(0.9 * counts.Done / Math.Max(1, counts.Total), "generate", counts);
        }), ct).ConfigureAwait(false);

        context.Report(0.9, "select", counts);
        IImageEmbedder embedder = r.Embedder == "world-clip"
            ? WorldClip.Load(Path.Combine(AppContext.BaseDirectory, "models", "world-clip")).ImageEmbedder()
            : new ColorLayoutEmbedder();
        var report = FolderSelection.Run(images, embedder, new SelectionOptions { K = r.K, Method = r.Method, RandomDraws = 100, Seed = 1 });
        counts = counts with { VendiSelected = Finite(report.MeanVendiSelected), VendiRandom = Finite(report.MeanVendiRandom) };
        context.Report(0.95, "pool", counts);
        var manifest = GenerationJob.ReadManifest(Path.Combine(images, "manifest.csv"));
        var pool = new List<PoolImage>();
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var maxPixels = new Data.Imports.ImportLimits().MaxImagePixels;
        int line = 1;
        foreach (var result in report.Results)
        {
            var prompt = byId[result.PromptId];
            foreach (var file in result.Selected)
            {
                var row = manifest.Values.Single(m => m.File == file);
                var path = Path.Combine(images, file);
                Data.Imaging.ImageFacts facts;
                await using (var stream = File.OpenRead(path))
                {
                    facts = Data.Imaging.ImageFiles.Inspect(stream, maxPixels); // renders are checked like uploads
                }

                pool.Add(new PoolImage(++line, $"{job.Id}/{file}", facts, prompt.Text, prompt.Language, prompt.Source, row.Generator, row.Seed, row.Guidance, row.Steps, row.Parameters is "null" ? null : row.Parameters, result.PromptId));
                paths[$"{job.Id}/{file}"] = path;
            }
        }

        await using var scope = scopes.CreateAsyncScope();
        var console = scope.ServiceProvider.GetRequiredService<ConsoleService>();
        var study = await console.FindStudyAsync(r.StudyKey, ct).ConfigureAwait(false) ?? throw new JobArgumentsException($"study '{r.StudyKey}' no longer exists");
        var actor = job.RequestedBy is { } staff ? await console.FindStaffAsync(staff, ct).ConfigureAwait(false) : null;
        if (actor is null)
        {
            throw new JobArgumentsException("the researcher who started the job no longer has an account");
        }

        using var upload = new PoolUpload(pool, i => File.OpenRead(paths[i.File]));
        var added = await scope.ServiceProvider.GetRequiredService<PoolUploads>().AddAsync(actor, study, upload, ct).ConfigureAwait(false);
        var message = string.Create(CultureInfo.InvariantCulture, $"{summary.Generated + summary.Skipped} images rendered ({summary.Failed} failed), {added} selected images added to the pool; the rest are kept in {folder} for quality checks.");
        context.Report(1, "done", counts);
        return new JobOutcome(JobContext.Serialize(new Outcome(added, message)), message);
    }

    private sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
