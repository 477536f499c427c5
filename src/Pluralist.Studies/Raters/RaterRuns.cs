using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Pipeline.Raters;

namespace Pluralist.Studies.Raters;

/// <summary>
/// <c>pluralist raters run</c>: synthetic raters (one per persona, and the same rater without a persona) over a study's
/// items, stored in <c>synthetic_runs</c> / <c>synthetic_answers</c>, apart from people's answers. A run is named;
/// running it again resumes it (what is answered is skipped, failures are retried). Answers are cached by the request's
/// hash (model, messages with persona, prompt and image hashes, schema) across the study's runs.
/// </summary>
public static class RaterRuns
{
    public const string FromStudy = "from-study";

    public const string Grid = "grid";

    /// <summary>What to run.</summary>
    public sealed record Request
    {
        public required string Study { get; init; }

        /// <summary>The model id; recorded with the run.</summary>
        public required string Model { get; init; }

        /// <summary>The endpoint's base URL, or <c>offline</c>.</summary>
        public required string Endpoint { get; init; }

        /// <summary><see cref="FromStudy"/> or <see cref="Grid"/>.</summary>
        public string Personas { get; init; } = FromStudy;

        /// <summary>Run name (default: model, personas and task).</summary>
        public string? Name { get; init; }

        /// <summary>The task (default: Likert for a Likert study, else pairwise).</summary>
        public RaterTask? Task { get; init; }

        /// <summary>Identity markers the personas are made of (default: the study's).</summary>
        public IReadOnlyList<string>? Axes { get; init; }

        /// <summary>Rate only the first N pairs (or images), in id order.</summary>
        public int? Items { get; init; }

        /// <summary>Most personas a run takes (a grid larger than this is refused: choose fewer axes).</summary>
        public int MaxPersonas { get; init; } = 200;

        /// <summary>Seed of the criteria and side drawn for each persona and pair.</summary>
        public int Seed { get; init; } = 1;

        /// <summary>Requests in flight at once (1 to 64); the answers do not depend on it.</summary>
        public int Concurrency { get; init; } = 1;
    }

    /// <summary>Where a run stands, after each rating.</summary>
    public sealed record Progress(int Done, int Total, int Calls, int Cached, int Failures, long InputTokens, long OutputTokens);

    /// <summary>What a run did this time (the run row has the totals over every session).</summary>
    public sealed record Result(SyntheticRun Run, int Personas, int Planned, int AlreadyDone, int Rated, int Cached, int Failures, IReadOnlyList<string> FailureSamples);

    /// <summary>The checks on a request that need no database; the message names the option.</summary>
    public static void Check(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Personas is not (FromStudy or Grid))
        {
            throw new StudyInputException($"--personas: '{request.Personas}' is not {FromStudy} or {Grid}.");
        }

        if (request.Items is < 1)
        {
            throw new StudyInputException($"--items: {request.Items} must be at least 1.");
        }

        if (string.IsNullOrWhiteSpace(request.Model))
        {
            throw new StudyInputException("--model: a model id is required.");
        }

        if (request.Concurrency is < 1 or > 64)
        {
            throw new StudyInputException($"--concurrency: {request.Concurrency} must be 1 to 64.");
        }

        if (request.Name is { } n && (n.Length is 0 or > 100 || n.Any(char.IsControl)))
        {
            throw new StudyInputException($"--name: '{n}' must be 1 to 100 characters without control characters.");
        }
    }

    /// <summary>Runs (or resumes) the request with <paramref name="rater"/>; <paramref name="progress"/> hears after every rating.</summary>
    public static async Task<Result> RunAsync(PluralistDbContext db, DataDirectory data, SyntheticRater rater, Request request, DateTimeOffset now, Action<Progress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rater);
        Check(request);
        var study = await StudyLookup.FindStudyAsync(db, request.Study, ct).ConfigureAwait(false);
        var task = request.Task ?? (study.TaskType == TaskType.Likert ? RaterTask.Likert : RaterTask.Pairwise);
        var axes = request.Axes is { Count: > 0 } a ? a : study.IdentityMarkers;
        foreach (var axis in axes.Where(x => !study.IdentityMarkers.Contains(x)))
        {
            throw new StudyInputException($"--axes: '{axis}' is not one of study '{study.Key}''s identity markers ({string.Join(", ", study.IdentityMarkers)}).");
        }

        var personas = await PersonasAsync(db, study, axes, request.Personas, request.MaxPersonas, ct).ConfigureAwait(false);
        if (personas.Count == 0)
        {
            throw new StudyInputException($"--personas {request.Personas}: study '{study.Key}' has no participant with consented, coded answers on {string.Join(", ", axes)}; no persona to steer the raters with.");
        }

        var name = request.Name ?? $"{request.Model}-{request.Personas}-{(task == RaterTask.Pairwise ? "pairwise" : "likert")}";
        var settings = JsonSerializer.Serialize(new { seed = request.Seed, axes, items = request.Items, temperature = rater.Options.Temperature });
        var run = await db.SyntheticRuns.FirstOrDefaultAsync(r => r.StudyId == study.Id && r.Name == name, ct).ConfigureAwait(false);
        if (run is null)
        {
            run = new SyntheticRun { StudyId = study.Id, Name = name, Model = request.Model, Endpoint = request.Endpoint, Task = (SyntheticTask)task, Personas = request.Personas, Settings = settings, CreatedAt = now };
            db.SyntheticRuns.Add(run);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
        }
        else if (run.Model != request.Model || run.Endpoint != request.Endpoint || run.Task != (SyntheticTask)task || run.Personas != request.Personas || run.Settings != settings)
        {
            throw new StudyInputException($"--name: run '{name}' of study '{study.Key}' was made with model {run.Model} at {run.Endpoint}, {run.Personas} personas and settings {run.Settings}; resume it with the same options or choose another --name.");
        }

        // Transport failures are retried on resume; invalid answers and refusals stand (they are the model's answers).
        await db.SyntheticAnswers.Where(x => x.RunId == run.Id && x.Status == SyntheticStatus.Failed).ExecuteDeleteAsync(ct).ConfigureAwait(false);
        var done = (await db.SyntheticAnswers.Where(x => x.RunId == run.Id).Select(x => new { x.PersonaKey, x.ItemKey }).ToListAsync(ct).ConfigureAwait(false))
            .Select(x => (x.PersonaKey, x.ItemKey)).ToHashSet();
        var plan = task == RaterTask.Pairwise
            ? await PairPlanAsync(db, study, personas, request, ct).ConfigureAwait(false)
            : await LikertPlanAsync(db, study, personas, request, ct).ConfigureAwait(false);
        var todo = plan.Where(p => !done.Contains((p.Persona.Key, p.ItemKey))).DistinctBy(p => (p.Persona.Key, p.ItemKey)).ToList();
        int total = plan.Select(p => (p.Persona.Key, p.ItemKey)).Distinct().Count();
        int already = total - todo.Count, rated = 0, cached = 0, failures = 0;
        var samples = new List<string>();
        var images = new Dictionary<long, RaterImage>();
        var imageRows = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, ct).ConfigureAwait(false);
        RaterImage Load(long id)
        {
            lock (images)
            {
                if (!images.TryGetValue(id, out var img))
                {
                    var row = imageRows[id];
                    var path = Path.Combine(data.ImagesPath, row.StoragePath);
                    img = images[id] = new RaterImage(File.ReadAllBytes(path), RaterImage.MediaTypeOf(path));
                }

                return img;
            }
        }

        // Up to Concurrency requests are in flight; the database (one context) is used by one rating at a time, and the
        // rater's pacer spaces every request start whatever the concurrency. An answer depends only on its request, so the
        // stored answers do not depend on the concurrency (only the order they are stored in does).
        using var gate = new SemaphoreSlim(request.Concurrency);
        using var store = new SemaphoreSlim(1);
        async Task RateOne(PlannedRating item)
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                ct.ThrowIfCancellationRequested();
                var (messages, options, scales, min, max, integer) = item.Build(rater, Load);
                var key = rater.CacheKey(messages, options);
                var answer = new SyntheticAnswer
                {
                    RunId = run.Id,
                    PersonaKey = item.Persona.Key,
                    Persona = item.Persona.Values.ToDictionary(kv => kv.Key, kv => kv.Value),
                    ItemKey = item.ItemKey,
                    PairId = item.PairId,
                    ImageId = item.ImageId,
                    CriteriaShown = [.. scales.Select(s => s.Key)],
                    Image0OnLeft = item.Image0OnLeft,
                    CacheKey = key,
                };
                SyntheticAnswer? hit;
                await store.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    hit = await db.SyntheticAnswers.AsNoTracking()
                        .Where(x => x.CacheKey == key && x.Status == SyntheticStatus.Ok && db.SyntheticRuns.Any(r => r.Id == x.RunId && r.StudyId == study.Id))
                        .OrderBy(x => x.Id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
                }
                finally
                {
                    store.Release();
                }

                RatingOutcome? outcome = null;
                if (hit is null)
                {
                    outcome = await rater.RateAsync(messages, options, scales, min, max, integer, ct).ConfigureAwait(false);
                }

                await store.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    if (outcome is null)
                    {
                        answer.Scores = [.. hit!.Scores];
                        answer.Status = SyntheticStatus.Ok;
                        answer.FromCache = true;
                        cached++;
                        run.Cached++;
                    }
                    else
                    {
                        answer.Status = (SyntheticStatus)outcome.Status;
                        answer.Scores = [.. outcome.Values];
                        answer.Error = outcome.Error;
                        answer.Attempts = outcome.Attempts;
                        answer.InputTokens = outcome.InputTokens;
                        answer.OutputTokens = outcome.OutputTokens;
                        run.Calls += outcome.Attempts;
                        run.InputTokens += outcome.InputTokens;
                        run.OutputTokens += outcome.OutputTokens;
                        if (outcome.Status != RatingStatus.Ok)
                        {
                            failures++;
                            run.Failures++;
                            if (samples.Count < 5)
                            {
                                samples.Add($"{(item.Persona.IsSteered ? item.Persona.Key : "no persona")} on {item.ItemKey}: {outcome.Status.ToString().ToLowerInvariant()}: {outcome.Error}");
                            }
                        }
                    }

                    answer.AnsweredAt = DateTimeOffset.UtcNow;
                    db.SyntheticAnswers.Add(answer);
                    await db.SaveChangesAsync(ct).ConfigureAwait(false);
                    db.Entry(answer).State = EntityState.Detached;
                    rated++;
                    progress?.Invoke(new Progress(already + rated, total, run.Calls, run.Cached, run.Failures, run.InputTokens, run.OutputTokens));
                }
                finally
                {
                    store.Release();
                }
            }
            finally
            {
                gate.Release();
            }
        }

        await Task.WhenAll(todo.Select(RateOne)).ConfigureAwait(false);

        if (todo.Count > 0 || run.FinishedAt is null)
        {
            run.FinishedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        return new Result(run, personas.Count, total, already, rated, cached, failures, samples);
    }

    /// <summary>
    /// The personas of a study: <see cref="FromStudy"/> = each distinct combination of consented, coded markers among its
    /// participants (withdrawn ones excluded; a participant's unconsented markers are absent from theirs); <see cref="Grid"/>
    /// = every combination of the groups seen on each axis.
    /// </summary>
    public static async Task<IReadOnlyList<RaterPersona>> PersonasAsync(PluralistDbContext db, Study study, IReadOnlyList<string> axes, string mode, int maxPersonas, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(axes);
        var ids = await db.Participants.AsNoTracking().Where(p => p.StudyId == study.Id && p.WithdrawnAt == null).Select(p => p.Id).ToListAsync(ct).ConfigureAwait(false);
        var markers = await StudyProvenance.ConsentedMarkersAsync(db, ids, axes, ct).ConfigureAwait(false);
        PersonaMarker Marker(string axis, string value) => new(axis, study.QuestionFor(axis).Text.Get("en"), value);
        List<RaterPersona> personas;
        if (mode == Grid)
        {
            var values = axes.Select(x => markers.Values.Where(m => m.ContainsKey(x)).Select(m => m[x]).Distinct().Order(StringComparer.Ordinal).ToList()).ToList();
            var size = values.Aggregate(1L, (n, v) => n * Math.Max(1, v.Count));
            if (size > maxPersonas)
            {
                throw new StudyInputException($"--personas grid: {string.Join(" x ", values.Select((v, i) => $"{v.Count} {axes[i]}"))} = {size} personas, more than {maxPersonas}; choose fewer --axes.");
            }

            IEnumerable<List<PersonaMarker>> combos = [[]];
            for (int i = 0; i < axes.Count; i++)
            {
                var axis = axes[i];
                combos = values[i].Count == 0 ? combos : combos.SelectMany(c => values[i].Select(v => new List<PersonaMarker>(c) { Marker(axis, v) })).ToList();
            }

            personas = [.. combos.Where(c => c.Count > 0).Select(c => new RaterPersona(c))];
        }
        else
        {
            personas = [.. markers.Values
                .Select(m => new RaterPersona([.. axes.Where(m.ContainsKey).Select(x => Marker(x, m[x]))]))
                .Where(p => p.IsSteered)
                .DistinctBy(p => p.Key)
                .OrderBy(p => p.Key, StringComparer.Ordinal)];
            if (personas.Count > maxPersonas)
            {
                throw new StudyInputException($"--personas from-study: {personas.Count} distinct profiles, more than {maxPersonas}; choose fewer --axes.");
            }
        }

        return personas;
    }

    /// <summary>One rating to make: who, on what, shown how, and how to ask it.</summary>
    private sealed record PlannedRating(
        RaterPersona Persona,
        string ItemKey,
        long? PairId,
        long? ImageId,
        bool? Image0OnLeft,
        Func<SyntheticRater, Func<long, RaterImage>, (List<Microsoft.Extensions.AI.ChatMessage>, Microsoft.Extensions.AI.ChatOptions, IReadOnlyList<RaterScale>, double, double, bool)> Build);

    // Each persona gets every pair with criteria and a side drawn as for a person (least-shown criteria first, a random
    // side); the rater without a persona is asked the same draw, so the two differ only by the persona.
    private static async Task<List<PlannedRating>> PairPlanAsync(PluralistDbContext db, Study study, IReadOnlyList<RaterPersona> personas, Request request, CancellationToken ct)
    {
        var pairs = await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id && p.Kind == PairKind.Annotation).OrderBy(p => p.Id).ToListAsync(ct).ConfigureAwait(false);
        if (request.Items is { } n)
        {
            pairs = [.. pairs.Take(n)];
        }

        if (pairs.Count == 0)
        {
            throw new StudyInputException($"Study '{study.Key}' has no annotation pairs to rate.");
        }

        var prompts = await PromptTextsAsync(db, study.Id, ct).ConfigureAwait(false);
        var images = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, i => i.PromptId, ct).ConfigureAwait(false);
        var criteria = study.Criteria.ToDictionary(c => c.Key, c => new RaterScale(c.Key, c.Name.Get("en"), c.Definition.Get("en")), StringComparer.Ordinal);
        var rules = AssignmentBuilder.For(study);
        var plan = new List<PlannedRating>();
        foreach (var persona in personas)
        {
            var random = new Random(StableSeed(request.Seed, persona.Key));
            var shown = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var pair in pairs)
            {
                var draw = rules.Draw(shown, random);
                var scales = draw.Criteria.Select(k => criteria[k]).ToList();
                var itemKey = $"pair:{pair.Id}:{string.Join(',', draw.Criteria)}:{(draw.Image0OnLeft ? "0L" : "0R")}";
                var prompt = prompts.GetValueOrDefault(images.GetValueOrDefault(pair.Image0Id, -1), "");
                var (left, right) = draw.Image0OnLeft ? (pair.Image0Id, pair.Image1Id) : (pair.Image1Id, pair.Image0Id);
                foreach (var who in new[] { persona, RaterPersona.None })
                {
                    plan.Add(new PlannedRating(who, itemKey, pair.Id, null, draw.Image0OnLeft, (rater, load) =>
                    {
                        var (m, o) = rater.Build(new PairRatingRequest(prompt, load(left), load(right), scales, who));
                        return (m, o, scales, -1, 1, false);
                    }));
                }
            }
        }

        return plan;
    }

    private static async Task<List<PlannedRating>> LikertPlanAsync(PluralistDbContext db, Study study, IReadOnlyList<RaterPersona> personas, Request request, CancellationToken ct)
    {
        var images = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).OrderBy(i => i.Id).Select(i => new { i.Id, i.PromptId }).ToListAsync(ct).ConfigureAwait(false);
        if (request.Items is { } n)
        {
            images = [.. images.Take(n)];
        }

        if (images.Count == 0)
        {
            throw new StudyInputException($"Study '{study.Key}' has no images to rate.");
        }

        var prompts = await PromptTextsAsync(db, study.Id, ct).ConfigureAwait(false);
        var questions = (study.LikertQuestions.Count > 0 ? study.LikertQuestions : [.. Defaults.LikertQuestions])
            .Select(q => new RaterScale(q.Key, q.Text.Get("en"), q.Text.Get("en"))).ToList();
        var plan = new List<PlannedRating>();
        foreach (var persona in personas)
        {
            foreach (var image in images)
            {
                var prompt = prompts.GetValueOrDefault(image.PromptId, "");
                foreach (var who in new[] { persona, RaterPersona.None })
                {
                    plan.Add(new PlannedRating(who, $"image:{image.Id}", null, image.Id, null, (rater, load) =>
                    {
                        var (m, o) = rater.Build(new LikertRatingRequest(prompt, load(image.Id), questions, who));
                        return (m, o, questions, 1, 5, true);
                    }));
                }
            }
        }

        return plan;
    }

    private static async Task<Dictionary<long, string>> PromptTextsAsync(PluralistDbContext db, long studyId, CancellationToken ct) =>
        await db.Prompts.AsNoTracking().Where(p => p.StudyId == studyId).ToDictionaryAsync(p => p.Id, p => p.Text, ct).ConfigureAwait(false);

    // string.GetHashCode differs between processes; a resumed run must draw the same criteria and sides.
    private static int StableSeed(int seed, string key) =>
        BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{key}")), 0);
}
