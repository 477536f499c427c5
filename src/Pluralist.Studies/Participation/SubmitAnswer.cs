using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Diagnostics;

namespace Pluralist.Studies.Participation;

/// <summary>The answer to a comparison: checked against what was shown, stored once per assignment, idempotent per client request id.</summary>
public sealed class SubmitAnswer(ParticipationStore store, GroupCommit? commits = null)
{
    public const int MaxCommentLength = 4000;

    private static readonly PerModel<Func<PluralistDbContext, long, CancellationToken, Task<Annotation?>>> AnswerTo = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long assignmentId, CancellationToken ct) =>
            db.Annotations.Include(a => a.Scores).FirstOrDefault(a => a.AssignmentId == assignmentId)));

    /// <summary>Checks a submit against what was shown and the study's slider resolution; returns field errors, empty when valid.</summary>
    /// <remarks>
    /// Codes: <c>client-request-id</c>, <c>score-shape</c>, <c>not-shown</c>, <c>invalid-score</c>, <c>off-scale</c> (the steps on
    /// each side), <c>score-twice</c>, <c>need-one</c>, <c>comment-too-long</c> (the limit).
    /// </remarks>
    public static IReadOnlyList<FieldError> Validate(Assignment assignment, SubmitRequest request, int sliderSteps)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(request.ClientRequestId) || request.ClientRequestId.Length > 100)
        {
            errors.Add(new FieldError("clientRequestId", "client-request-id"));
        }

        var scores = request.Scores ?? [];
        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            if (s is null || s.Criterion is null)
            {
                errors.Add(new FieldError(string.Create(CultureInfo.InvariantCulture, $"scores[{i}]"), "score-shape"));
            }
            else if (!assignment.CriteriaShown.Contains(s.Criterion))
            {
                errors.Add(new FieldError($"scores.{s.Criterion}", "not-shown"));
            }
            else if (s.Score is { } v && (!double.IsFinite(v) || v < -1 || v > 1))
            {
                errors.Add(new FieldError($"scores.{s.Criterion}", "invalid-score"));
            }
            else if (s.Score is { } onScale && !SliderScale.IsOnScale(onScale, sliderSteps))
            {
                errors.Add(new FieldError($"scores.{s.Criterion}", "off-scale", sliderSteps));
            }
        }

        var named = scores.Where(s => s?.Criterion is not null).ToList();
        if (named.GroupBy(s => s.Criterion).Any(g => g.Count() > 1))
        {
            errors.Add(new FieldError("scores", "score-twice"));
        }
        else if (!named.Any(s => s.Score is not null))
        {
            errors.Add(new FieldError("scores", "need-one"));
        }

        if (request.Comment is { Length: > MaxCommentLength })
        {
            errors.Add(new FieldError("comment", "comment-too-long", MaxCommentLength));
        }

        return errors;
    }

    /// <summary>
    /// Stores an answer and returns what is stored for the assignment. There is one answer per
    /// assignment (unique index): the first request inserts it, a later one with another request id
    /// changes it (from the history, or another tab), and a request id already applied (a retry,
    /// even of an older change) returns the stored answer without applying anything. Refused when
    /// the batch is closed or the participant has withdrawn.
    /// </summary>
    public async Task<SubmitResult> SubmitAsync(Assignment assignment, Study study, SubmitRequest request, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(request);
        var studyTag = new KeyValuePair<string, object?>(PluralistTelemetry.StudyTag, PluralistTelemetry.StudyId(study.Id));
        using var activity = PluralistTelemetry.Source.StartActivity("pluralist.answer.commit");
        activity?.SetTag(studyTag.Key, studyTag.Value);
        var started = Stopwatch.GetTimestamp();
        var outcome = PluralistTelemetry.Failed;
        try
        {
            var result = await StoreAsync(assignment, study, request, lang, ct);
            outcome = result.Refusal != Refusal.None ? PluralistTelemetry.Refused : result.Duplicate ? PluralistTelemetry.Duplicate : PluralistTelemetry.Stored;
            return result;
        }
        finally
        {
            var outcomeTag = new KeyValuePair<string, object?>(PluralistTelemetry.OutcomeTag, outcome);
            PluralistTelemetry.AnswerCommits.Add(1, studyTag, outcomeTag);
            PluralistTelemetry.AnswerCommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, studyTag, outcomeTag);
            activity?.SetTag(outcomeTag.Key, outcomeTag.Value);
        }
    }

    private async Task<SubmitResult> StoreAsync(Assignment assignment, Study study, SubmitRequest request, string lang, CancellationToken ct)
    {
        if (!ParticipationStore.IsBatchOpen(study, assignment.BatchId, store.Now))
        {
            return new SubmitResult(null, false, false, Refusal.BatchClosed);
        }

        if (commits is { Enabled: true })
        {
            // SQLite: in the next shared transaction (one fsync for the answers that arrive together).
            return await commits.RunAsync((s, c) => s.WithRetriesAsync(() => ApplyAsync(s, assignment, request, lang, study.SliderSteps, c)), ct);
        }

        return await store.WithRetriesAsync(async () =>
        {
            await using var tx = await store.Db.Database.BeginTransactionAsync(ct);
            var result = await ApplyAsync(store, assignment, request, lang, study.SliderSteps, ct);
            await tx.CommitAsync(ct);
            return result;
        });
    }

    /// <summary>The answer's reads and writes, inside a transaction the caller holds (its own, or a shared one).</summary>
    private static async Task<SubmitResult> ApplyAsync(ParticipationStore store, Assignment assignment, SubmitRequest request, string lang, int sliderSteps, CancellationToken ct)
    {
        var db = store.Db;
        var participantId = assignment.ParticipantId;
        if (await store.CheckAnswerAsync(participantId, AnswerKind.Comparison, request.ClientRequestId, assignment.Id, ct) is not { } check)
        {
            return new SubmitResult(null, false, false, Refusal.NotCurrent);
        }

        if (check.Applied)
        {
            var stored = check.AppliedAssignmentId == assignment.Id
                ? await db.Annotations.AsNoTracking().Include(a => a.Scores).FirstOrDefaultAsync(a => a.AssignmentId == assignment.Id, ct)
                : null;
            return stored is null ? new SubmitResult(null, false, false, Refusal.RequestIdReused) : new SubmitResult(stored, true, false);
        }

        var now = store.Now;
        var comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim();
        int? clientMs = request.ClientDurationMs is { } ms && ms >= 0 ? ms : null;
        // The first answer to the assignment (the common case) needs no read of it.
        var annotation = check.Answered == false ? null : await AnswerTo.For(db)(db, assignment.Id, ct);
        var changed = annotation is not null;
        // The SQLite writer's common case, a first answer without a report: the same rows through its prepared inserts.
        var prepared = changed || request.ReportImage ? null : store.Prepared;
        if (annotation is not null)
        {
            // A change of answer: same row (it keeps the first request id), new scores.
            foreach (var score in annotation.Scores)
            {
                score.Score = request.Scores.FirstOrDefault(s => s?.Criterion == score.CriterionKey)?.Score;
            }

            annotation.Comment = comment;
            annotation.ClientDurationMs = clientMs;
            annotation.SliderSteps = sliderSteps;
            annotation.SubmittedAt = now;
        }
        else
        {
            annotation = new Annotation
            {
                AssignmentId = assignment.Id,
                ParticipantId = participantId,
                PairId = assignment.PairId,
                Comment = comment,
                ClientDurationMs = clientMs,
                ServerDurationMs = (int)Math.Clamp((now - assignment.ServedAt).TotalMilliseconds, 0, int.MaxValue),
                ClientRequestId = request.ClientRequestId,
                Language = lang,
                SliderSteps = sliderSteps,
                SubmittedAt = now,
                Scores = assignment.CriteriaShown.Select((key, position) => new AnnotationScore
                {
                    CriterionKey = key,
                    Position = position,
                    Score = request.Scores.FirstOrDefault(s => s?.Criterion == key)?.Score,
                }).ToList(),
            };
            if (prepared is null)
            {
                db.Annotations.Add(annotation);
            }

            if (request.ReportImage)
            {
                var pair = await db.Pairs.AsNoTracking().FirstAsync(p => p.Id == assignment.PairId, ct);
                foreach (var imageId in new[] { pair.Image0Id, pair.Image1Id })
                {
                    db.ImageReports.Add(new ImageReport
                    {
                        ImageId = imageId,
                        ParticipantId = participantId,
                        AssignmentId = assignment.Id,
                        Reason = ImageReportReason.Broken,
                        ReportedAt = now,
                    });
                }
            }
        }

        var applied = new AppliedRequest
        {
            ParticipantId = participantId,
            Kind = AnswerKind.Comparison,
            ClientRequestId = request.ClientRequestId,
            AssignmentId = assignment.Id,
            AppliedAt = now,
        };
        if (prepared is not null)
        {
            prepared.InsertAnswer(annotation, applied);
            return new SubmitResult(annotation, false, changed);
        }

        db.AppliedRequests.Add(applied);
        await db.SaveChangesAsync(ct);
        return new SubmitResult(annotation, false, changed);
    }
}
