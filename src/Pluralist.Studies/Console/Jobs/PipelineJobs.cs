using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Embedders;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Prompts;
using Pluralist.Pipeline.Selection;

using Pluralist.Studies.Console.Pools;

namespace Pluralist.Studies.Console.Jobs;

/// <summary>
/// Runs pipeline jobs one at a time in the background (the machine renders one image at a time anyway). Each job
/// works in <c>DATA/jobs/ID</c> (the generation job's images and manifest, the selection files), then adds the selected
/// images to the study's pool through <see cref="PoolUploads.AddAsync"/> (one transaction, audited); the rest stay in
/// the folder for quality checks. Jobs live in memory: a restarted server forgets the list, but the folders remain and
/// the generation job resumes if the same job id is run again.
/// </summary>
public sealed class PipelineJobs(IServiceScopeFactory scopes, DataDirectory data, ILogger<PipelineJobs> logger) : BackgroundService
{
    /// <summary>Embedders a console job may use.</summary>
    public static readonly string[] Embedders = ["color-layout", "world-clip"];

    private readonly Channel<PipelineJob> _queue = Channel.CreateUnbounded<PipelineJob>();
    private readonly ConcurrentDictionary<string, PipelineJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>Jobs queued and not started (the <c>pluralist.jobs.waiting</c> gauge).</summary>
    public int Waiting => _queue.Reader.Count;

    /// <summary>Queues a job; the request must have been validated (<see cref="Validate"/>).</summary>
    public PipelineJob Start(long staffId, PipelineJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var job = new PipelineJob(DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6], request, staffId, DateTimeOffset.UtcNow);
        _jobs[job.Id] = job;
        _queue.Writer.TryWrite(job);
        return job;
    }

    /// <summary>The jobs of a study, newest first.</summary>
    public IReadOnlyList<PipelineJob> List(string studyKey) =>
        _jobs.Values.Where(j => j.Request.StudyKey == studyKey).OrderByDescending(j => j.CreatedAt).ToList();

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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            job.State = PipelineJobState.Running;
            try
            {
                await Diagnostics.PluralistTelemetry.RunJobAsync("pipeline", () => RunAsync(job, stoppingToken)).ConfigureAwait(false);
                job.State = PipelineJobState.Done;
                job.Phase = "done";
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                job.Message = "stopped with the server; start it again to resume";
                job.State = PipelineJobState.Failed;
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogError(ex, "pipeline job {Id} failed", job.Id);
                job.Message = ex.Message;
                job.State = PipelineJobState.Failed;
            }

            job.FinishedAt = DateTimeOffset.UtcNow;
        }
    }

    private async Task RunAsync(PipelineJob job, CancellationToken ct)
    {
        var r = job.Request;
        var folder = Path.Combine(data.Root, "jobs", job.Id);
        Directory.CreateDirectory(folder);
        var set = new PromptSet();
        foreach (var p in r.Prompts)
        {
            set.Add(p, r.Language, PromptSource.Human, origin: "console");
        }

        if (r.TemplateAugment)
        {
            job.Phase = "augment";
            TemplateAugmenter.Augment(set, new TemplateOptions { VariantsPerPrompt = 1, Seed = (int)(r.Seed & int.MaxValue) });
        }

        set.Save(folder);
        var prompts = set.Prompts.Select(p => new GenerationPrompt(p.Id.ToString(CultureInfo.InvariantCulture), p.Text, p.Language, p.Source)).ToList();
        var byId = set.Prompts.ToDictionary(p => p.Id.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal);
        job.Phase = "generate";
        job.Total = prompts.Count * r.Variants;
        var images = Path.Combine(folder, "images-run");
        var summary = await new GenerationJob(new WorldImageGenerator(r.Language), new GenerationJobOptions
        {
            OutputFolder = images,
            Variants = r.Variants,
            Width = r.Size,
            Height = r.Size,
            Seed = r.Seed,
        }).RunAsync(prompts, new Sync<GenerationProgress>(p =>
        {
            job.Done = p.Generated + p.Skipped + p.Failed;
            job.FailedImages = p.Failed;
        }), ct).ConfigureAwait(false);

        job.Phase = "select";
        IImageEmbedder embedder = r.Embedder == "world-clip"
            ? WorldClip.Load(Path.Combine(AppContext.BaseDirectory, "models", "world-clip")).ImageEmbedder()
            : new ColorLayoutEmbedder();
        var report = FolderSelection.Run(images, embedder, new SelectionOptions { K = r.K, Method = r.Method, RandomDraws = 100, Seed = 1 });
        job.VendiSelected = report.MeanVendiSelected;
        job.VendiRandom = report.MeanVendiRandom;

        job.Phase = "pool";
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
        var study = await console.FindStudyAsync(r.StudyKey, ct).ConfigureAwait(false) ?? throw new InvalidOperationException($"study '{r.StudyKey}' no longer exists");
        var actor = await console.FindStaffAsync(job.StartedBy, ct).ConfigureAwait(false) ?? throw new InvalidOperationException("the researcher who started the job no longer has an account");
        using var upload = new PoolUpload(pool, i => File.OpenRead(paths[i.File]));
        job.Added = await scope.ServiceProvider.GetRequiredService<PoolUploads>().AddAsync(actor, study, upload, ct).ConfigureAwait(false);
        job.Message = string.Create(CultureInfo.InvariantCulture, $"{summary.Generated + summary.Skipped} images rendered ({summary.Failed} failed), {job.Added} selected images added to the pool; the rest are kept in {folder} for quality checks.");
    }

    private sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
