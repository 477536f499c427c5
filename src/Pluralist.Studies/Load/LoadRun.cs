using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace Pluralist.Studies.Load;

/// <summary>What a load run does: where the participants go, for how long, and how fast they answer.</summary>
public sealed record LoadSettings
{
    /// <summary>The app instances (one database); participant <c>i</c> joins instance <c>i mod count</c>.</summary>
    public required IReadOnlyList<Uri> Urls { get; init; }

    /// <summary>No new task is started once this long has passed after the warm-up (null: no time limit).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>
    /// The first part of the run, left out of the rates and latencies: the participants answer as in the rest of the run
    /// (and the exactly-once check covers their answers), but only answers acknowledged after it are measured. A server
    /// that has just started compiles its code as it goes (tiered JIT) for its first tens of seconds under load.
    /// </summary>
    public TimeSpan Warmup { get; init; }

    /// <summary>No new task is started once this many answers are under way or acknowledged (null: no limit).</summary>
    public int? Answers { get; init; }

    /// <summary>Pause between an acknowledgement and the participant's next <c>GET /task</c> (the mean, with <see cref="ThinkDistribution.Exponential"/>).</summary>
    public TimeSpan Think { get; init; }

    /// <summary>How each pause is drawn around <see cref="Think"/>.</summary>
    public ThinkDistribution ThinkDistribution { get; init; } = ThinkDistribution.Exponential;

    /// <summary>One participant's next pause: <see cref="Think"/> itself, or drawn from an exponential distribution of that mean.</summary>
    public TimeSpan NextThink(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (ThinkDistribution == ThinkDistribution.Fixed || Think <= TimeSpan.Zero)
        {
            return Think;
        }

        // Inverse transform: -ln(1 - U) for U in [0, 1) is exponential with mean 1.
        return Think * -Math.Log(1 - random.NextDouble());
    }

    /// <summary>One HTTP request's timeout (then it is retried, as the page does).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long retries of a task or an answer go on before the participant gives up.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Seed of the scores sent.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>How the pause between a participant's answer and their next task is drawn.</summary>
public enum ThinkDistribution
{
    /// <summary>Every pause is an exponential draw with the given mean: participants drift apart as people do (the default).</summary>
    Exponential,

    /// <summary>Every pause is exactly the given time: participants released together by one commit stay in step.</summary>
    Fixed,
}

/// <summary>
/// A crash in the middle of a run: once <see cref="After"/> has passed or <see cref="AfterAnswers"/> answers are
/// acknowledged (whichever comes first), <see cref="Act"/> runs (SIGKILL an instance, perhaps start it again) and
/// returns the address that is gone for good, whose participants then move to the other instances, or null when
/// the instance answers again at the same address.
/// </summary>
public sealed record LoadKill(TimeSpan? After, int? AfterAnswers, Func<CancellationToken, Task<Uri?>> Act);

/// <summary>One acknowledged answer as sent.</summary>
public sealed record LoadAck(long AssignmentId, string RequestId, IReadOnlyList<string> Criteria, IReadOnlyList<double?> Scores, bool Duplicate);

/// <summary>A running count, for a progress line; <see cref="Warmup"/> is true until the warm-up has passed.</summary>
public sealed record LoadProgress(TimeSpan Elapsed, int Answers, int Errors, int Active, int Participants, bool Warmup = false);

/// <summary>Percentiles of one latency, in milliseconds.</summary>
public sealed record LatencySummary(int Count, double P50, double P95, double P99, double Max, double Mean)
{
    /// <summary>Nearest-rank percentiles of <paramref name="values"/>.</summary>
    public static LatencySummary Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0);
        }

        double At(int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new LatencySummary(sorted.Length, Round(At(50)), Round(At(95)), Round(At(99)), Round(sorted[^1]), Round(sorted.Average()));
    }

    private static double Round(double ms) => Math.Round(ms, 1);
}

/// <summary>When the kill happened and what the participants saw of it.</summary>
public sealed record LoadKillReport(double AtSeconds, int AnswersBefore, string? InstanceGone, double ActDoneSeconds);

/// <summary>
/// What the participants did: answers acknowledged (in all and by the instance that acknowledged them), latencies,
/// errors by kind, participants that ran out of tasks, gave up, or moved to another instance after a kill.
/// <see cref="Submit"/>, <see cref="Cycle"/> and <see cref="AnswersPerSecond"/> cover the answers acknowledged after the
/// warm-up (<see cref="WarmupSeconds"/>; all of them without one): <see cref="MeasuredAnswers"/> in
/// <see cref="MeasuredSeconds"/>.
/// </summary>
public sealed record LoadOutcome(
    int Participants,
    IReadOnlyList<string> Urls,
    double Seconds,
    IReadOnlyList<LoadAck> Acks,
    IReadOnlyList<string> Unacknowledged,
    LatencySummary Submit,
    LatencySummary Cycle,
    IReadOnlyDictionary<string, int> Errors,
    int Finished,
    int GaveUp,
    int Moved,
    IReadOnlyDictionary<string, int> AnswersByInstance,
    LoadKillReport? Kill,
    double WarmupSeconds = 0,
    int? Measured = null)
{
    /// <summary>Answers acknowledged after the warm-up (all of them without one).</summary>
    public int MeasuredAnswers => Measured ?? Acks.Count;

    /// <summary>The run's seconds after the warm-up.</summary>
    public double MeasuredSeconds => Math.Round(Math.Max(0, Seconds - WarmupSeconds), 2);

    /// <summary>Answers acknowledged per second after the warm-up (of the whole run without one).</summary>
    public double AnswersPerSecond => MeasuredSeconds > 0 ? Math.Round(MeasuredAnswers / MeasuredSeconds, 1) : 0;

    /// <summary>Answers acknowledged with <c>duplicate: true</c> (committed earlier, the response lost).</summary>
    public int Duplicates => Acks.Count(a => a.Duplicate);
}

/// <summary>
/// The closed-loop load generator: participants that have joined answer in a loop (<c>GET /task</c>, then the
/// answer's <c>POST</c>), each waiting for its acknowledgement before the next task; network errors, timeouts and
/// 5xx are retried with the same request, with back-off, as the page does. Used by <c>pluralist loadtest</c> and the
/// crash tests.
/// </summary>
public static class LoadRun
{
    /// <summary>Joins one participant per code (at most 50 at a time), spread over the instances.</summary>
    public static async Task<(IReadOnlyList<ParticipantSession> Sessions, IReadOnlyDictionary<string, int> Failures)> JoinAsync(
        LoadSettings settings, IReadOnlyList<string> codes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(codes);
        var sessions = new ParticipantSession?[codes.Count];
        var failures = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in Enumerable.Range(0, codes.Count).Chunk(50))
        {
            await Task.WhenAll(chunk.Select(async i =>
            {
                try
                {
                    sessions[i] = await ParticipantSession.JoinAsync(settings.Urls[i % settings.Urls.Count], codes[i], settings.RequestTimeout, ct);
                }
                catch (LoadProtocolException e)
                {
                    failures.AddOrUpdate(e.Kind, 1, (_, n) => n + 1);
                }
                catch (Exception e) when (Kind(e, ct) is { } kind)
                {
                    failures.AddOrUpdate("join-" + kind, 1, (_, n) => n + 1);
                }
            }));
        }

        return ([.. sessions.OfType<ParticipantSession>()], failures);
    }

    /// <summary>Runs the joined <paramref name="sessions"/> until the duration or answer limit, with the optional kill.</summary>
    public static async Task<LoadOutcome> RunAsync(LoadSettings settings, IReadOnlyList<ParticipantSession> sessions, LoadKill? kill = null,
        IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sessions);
        if (settings.Duration is null && settings.Answers is null)
        {
            throw new ArgumentException("a load run needs a duration or an answer count", nameof(settings));
        }

        if (settings.Warmup < TimeSpan.Zero)
        {
            throw new ArgumentException("a load run's warm-up cannot be negative", nameof(settings));
        }

        var state = new RunState(settings, sessions.Count);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var runs = sessions.Select((session, n) => Task.Run(() => ParticipantAsync(state, session, n, ct), ct)).ToList();
        var all = Task.WhenAll(runs);
        var killTask = kill is null ? Task.FromResult<LoadKillReport?>(null) : KillAsync(state, kill, all, stop.Token);
        var ticker = TickAsync(state, progress, all, stop.Token);
        try
        {
            await all;
        }
        finally
        {
            await stop.CancelAsync();
        }

        var seconds = state.Clock.Elapsed.TotalSeconds;
        var killed = await killTask;
        await ticker;
        progress?.Report(state.Progress());
        return new LoadOutcome(sessions.Count, [.. settings.Urls.Select(u => u.ToString())], Math.Round(seconds, 2), [.. state.Acks],
            [.. state.Sent.Except(state.Acks.Select(a => a.RequestId), StringComparer.Ordinal)],
            LatencySummary.Of(state.SubmitMs), LatencySummary.Of(state.CycleMs),
            new SortedDictionary<string, int>(state.Errors, StringComparer.Ordinal), state.Finished, state.GaveUp, state.Moved,
            new SortedDictionary<string, int>(state.ByInstance, StringComparer.Ordinal), killed,
            Math.Round(settings.Warmup.TotalSeconds, 2), state.Measured);
    }

    /// <summary>
    /// Participant <paramref name="n"/>'s seed for one of its random sequences, the same in every process (unlike
    /// <see cref="HashCode"/>, whose seed is chosen per process): a run repeated with the same --seed draws the same scores and
    /// pauses for each participant.
    /// </summary>
    public static int SeedOf(int seed, int n, int stream) => unchecked((((seed * 1_000_003) + n) * 31) + stream);

    private static async Task ParticipantAsync(RunState state, ParticipantSession session, int n, CancellationToken ct)
    {
        var random = new Random(SeedOf(state.Settings.Seed, n, 0));
        // The pauses draw from their own sequence: the scores sent stay those of the seed whatever the think time.
        var thinking = new Random(SeedOf(state.Settings.Seed, n, 1));
        var refusedInARow = 0;
        for (var i = 0; ; i++)
        {
            if (i > 0 && state.Settings.Think > TimeSpan.Zero)
            {
                await Task.Delay(state.Settings.NextThink(thinking), ct);
            }

            if (!state.TakeTicket())
            {
                break;
            }

            try
            {
                var cycle = Stopwatch.GetTimestamp();
                var task = await WithRetryAsync(state, session, () => session.NextTaskAsync(ct), ct);
                if (task is null)
                {
                    state.ReturnTicket();
                    Interlocked.Increment(ref state.Finished);
                    break;
                }

                var scores = task.Criteria.Select(_ => (double?)(random.Next(9) - 4) / 4).ToArray();
                var requestId = $"load-{n}-{i}-{Guid.NewGuid():N}";
                state.Sent.Add(requestId);
                var submit = Stopwatch.GetTimestamp();
                var duplicate = await WithRetryAsync(state, session, () => session.SubmitAsync(task, requestId, scores, ct), ct);
                var done = Stopwatch.GetTimestamp();
                if (state.Clock.Elapsed >= state.Settings.Warmup)
                {
                    // Acknowledged after the warm-up: measured.
                    state.SubmitMs.Add(Stopwatch.GetElapsedTime(submit, done).TotalMilliseconds);
                    state.CycleMs.Add(Stopwatch.GetElapsedTime(cycle, done).TotalMilliseconds);
                    Interlocked.Increment(ref state.Measured);
                }

                state.Acks.Add(new LoadAck(task.AssignmentId, requestId, task.Criteria, scores, duplicate));
                Interlocked.Increment(ref state.Acked);
                state.ByInstance.AddOrUpdate(session.Address.ToString(), 1, (_, c) => c + 1);
                refusedInARow = 0;
            }
            catch (LoadProtocolException e)
            {
                // Refused (a 4xx): the answer is not acknowledged; the next task page says what the participant may do now.
                state.Count(e.Kind);
                state.ReturnTicket();
                if (++refusedInARow >= 5)
                {
                    Interlocked.Increment(ref state.GaveUp);
                    break;
                }
            }
            catch (GiveUpException)
            {
                Interlocked.Increment(ref state.GaveUp);
                break;
            }
        }
    }

    private static async Task<T> WithRetryAsync<T>(RunState state, ParticipantSession session, Func<Task<T>> action, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(state.Settings.RetryFor.TotalSeconds * Stopwatch.Frequency);
        var moved = false;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (Kind(e, ct) is { } kind)
            {
                state.Count(kind);
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new GiveUpException();
                }

                if (state.IsGone(session.Address))
                {
                    if (!moved)
                    {
                        moved = true;
                        Interlocked.Increment(ref state.Moved);
                    }

                    session.MoveTo(state.Survivor(session.Address));
                }

                await Task.Delay(Math.Min(1000, 50 << Math.Min(attempt, 5)), ct);
            }
        }
    }

    /// <summary>The kind of a failure the page would retry (a network error, a timeout, a 5xx), or null for any other exception.</summary>
    private static string? Kind(Exception e, CancellationToken ct) => e switch
    {
        HttpRequestException { StatusCode: { } status } => $"http-{(int)status}",
        HttpRequestException => "network",
        // HttpClient occasionally lets a raw SocketException or IOException out of its connect path when the server dies mid-connect.
        SocketException or IOException => "network",
        TaskCanceledException when !ct.IsCancellationRequested => "timeout",
        _ => null,
    };

    private static async Task<LoadKillReport?> KillAsync(RunState state, LoadKill kill, Task participants, CancellationToken stop)
    {
        while (!participants.IsCompleted)
        {
            var due = (kill.After is { } after && state.Clock.Elapsed >= after)
                || (kill.AfterAnswers is { } answers && Volatile.Read(ref state.Acked) >= answers);
            if (due)
            {
                var at = state.Clock.Elapsed.TotalSeconds;
                var before = Volatile.Read(ref state.Acked);
                var gone = await kill.Act(CancellationToken.None);
                if (gone is not null)
                {
                    state.MarkGone(gone);
                }

                return new LoadKillReport(Math.Round(at, 2), before, gone?.ToString(), Math.Round(state.Clock.Elapsed.TotalSeconds, 2));
            }

            try
            {
                await Task.Delay(5, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return null;
    }

    private static async Task TickAsync(RunState state, IProgress<LoadProgress>? progress, Task participants, CancellationToken stop)
    {
        if (progress is null)
        {
            return;
        }

        while (!participants.IsCompleted)
        {
            try
            {
                await Task.Delay(1000, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            progress.Report(state.Progress());
        }
    }

    private sealed class GiveUpException : Exception;

    private sealed class RunState(LoadSettings settings, int participants)
    {
        private readonly ConcurrentDictionary<Uri, bool> _gone = new();
        private int _tickets = settings.Answers ?? int.MaxValue;

        public LoadSettings Settings { get; } = settings;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public ConcurrentBag<LoadAck> Acks { get; } = [];

        public ConcurrentBag<string> Sent { get; } = [];

        public ConcurrentBag<double> SubmitMs { get; } = [];

        public ConcurrentBag<double> CycleMs { get; } = [];

        public ConcurrentDictionary<string, int> Errors { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, int> ByInstance { get; } = new(StringComparer.Ordinal);

#pragma warning disable CA1051 // counters updated with Interlocked
        public int Acked;
        public int Measured;
        public int Finished;
        public int GaveUp;
        public int Moved;
#pragma warning restore CA1051

        public bool TakeTicket()
        {
            if (Settings.Duration is { } duration && Clock.Elapsed >= Settings.Warmup + duration)
            {
                return false;
            }

            if (Settings.Answers is null)
            {
                return true;
            }

            for (var left = Volatile.Read(ref _tickets); left > 0; left = Volatile.Read(ref _tickets))
            {
                if (Interlocked.CompareExchange(ref _tickets, left - 1, left) == left)
                {
                    return true;
                }
            }

            return false;
        }

        public void ReturnTicket()
        {
            if (Settings.Answers is not null)
            {
                Interlocked.Increment(ref _tickets);
            }
        }

        public void Count(string kind) => Errors.AddOrUpdate(kind, 1, (_, n) => n + 1);

        public bool IsGone(Uri address) => _gone.ContainsKey(address);

        public void MarkGone(Uri address) => _gone[address] = true;

        /// <summary>The next instance after <paramref name="address"/> that is not gone.</summary>
        public Uri Survivor(Uri address)
        {
            var urls = Settings.Urls;
            var from = Math.Max(0, urls.ToList().IndexOf(address));
            for (var k = 1; k <= urls.Count; k++)
            {
                var next = urls[(from + k) % urls.Count];
                if (!IsGone(next))
                {
                    return next;
                }
            }

            return address;
        }

        public LoadProgress Progress() =>
            new(Clock.Elapsed, Volatile.Read(ref Acked), Errors.Values.Sum(), participants - Volatile.Read(ref Finished) - Volatile.Read(ref GaveUp), participants,
                Clock.Elapsed < Settings.Warmup);
    }
}
