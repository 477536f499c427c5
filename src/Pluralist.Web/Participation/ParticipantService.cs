using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Web.Participation;

/// <summary>What a participant does: join, consent, answer, take breaks, see history, withdraw.</summary>
public sealed partial class ParticipantService(PluralistDbContext db, CriteriaCounts criteriaCounts, TimeProvider clock, IDataProtectionProvider protection)
{
    public const int MaxCommentLength = 4000;

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>Uses an invitation code once, creating the participant it admits.</summary>
    public async Task<JoinResult> JoinAsync(string code, string lang, CancellationToken ct)
    {
        var hash = Codes.Hash(code ?? "");
        var invitation = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.CodeHash == hash, ct);
        if (invitation is null || Codes.Normalize(code ?? "").Length == 0)
        {
            return new JoinResult(JoinOutcome.Unknown, null);
        }

        var now = Now;
        if (invitation.UsedAt is not null)
        {
            return new JoinResult(JoinOutcome.Used, null);
        }

        if (invitation.ExpiresAt <= now)
        {
            return new JoinResult(JoinOutcome.Expired, null);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Claim the code atomically: of two simultaneous joins only one updates the row.
        var claimed = await db.Invitations.Where(i => i.Id == invitation.Id && i.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedAt, now), ct);
        if (claimed == 0)
        {
            return new JoinResult(JoinOutcome.Used, null);
        }

        // A code made by "reset the code" in the console signs its participant back in.
        if (invitation.ParticipantId is { } returning)
        {
            var existing = await db.Participants.FirstOrDefaultAsync(p => p.Id == returning && p.StudyId == invitation.StudyId && p.WithdrawnAt == null, ct);
            if (existing is null)
            {
                await tx.RollbackAsync(ct);
                return new JoinResult(JoinOutcome.Unknown, null);
            }

            await tx.CommitAsync(ct);
            return new JoinResult(JoinOutcome.Joined, existing);
        }

        var participant = new Participant
        {
            StudyId = invitation.StudyId,
            Pseudonym = Codes.NewPseudonym(),
            Email = invitation.Email,
            PreferredLanguage = lang,
            Role = invitation.Role,
            CreatedAt = now,
        };
        db.Participants.Add(participant);
        await db.SaveChangesAsync(ct);
        await db.Invitations.Where(i => i.Id == invitation.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ParticipantId, participant.Id), ct);
        await tx.CommitAsync(ct);
        return new JoinResult(JoinOutcome.Joined, participant);
    }

    public Task<Participant?> FindParticipantAsync(long id, CancellationToken ct) =>
        db.Participants.FirstOrDefaultAsync(p => p.Id == id && p.WithdrawnAt == null, ct);

    public async Task<Study?> StudyOfAsync(Participant participant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        if (participant.StudyId is not { } id)
        {
            return null;
        }

        // By id, never by key: a key is not an id, and an older all-digit key must not stand for another study.
        return await StudyStore.FindByIdAsync(db, id, ct);
    }

    public static ConsentDocument? ConsentDocumentFor(Study study, string lang)
    {
        ArgumentNullException.ThrowIfNull(study);
        var latest = study.ConsentDocuments.OrderByDescending(d => d.PublishedAt).ThenByDescending(d => d.Id).FirstOrDefault();
        if (latest is null)
        {
            return null;
        }

        return study.ConsentDocuments.FirstOrDefault(d => d.Version == latest.Version && d.Language == lang)
            ?? study.ConsentDocuments.FirstOrDefault(d => d.Version == latest.Version && d.Language == "en")
            ?? latest;
    }

    public Task<ConsentRecord?> CurrentConsentAsync(long participantId, CancellationToken ct) =>
        db.ConsentRecords.Where(c => c.ParticipantId == participantId && c.WithdrawnAt == null)
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);

    public Task<List<IdentityAnswer>> MarkersAsync(long participantId, CancellationToken ct) =>
        db.IdentityAnswers.AsNoTracking().Where(a => a.ParticipantId == participantId).ToListAsync(ct);

    /// <summary>Records consent to the document and, marker by marker, stores only the consented answers.</summary>
    public async Task RecordConsentAsync(Participant participant, Study study, ConsentDocument document, string lang, IReadOnlyList<MarkerInput> markers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(markers);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var record = await CurrentConsentAsync(participant.Id, ct);
        if (record is null || record.DocumentVersion != document.Version)
        {
            record = new ConsentRecord { ParticipantId = participant.Id, DocumentVersion = document.Version, Language = lang, ConsentedAt = Now };
            db.ConsentRecords.Add(record);
        }

        await SaveMarkersCoreAsync(participant.Id, study, record, markers, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Changes or erases identity answers; an answer whose box is unticked is erased.</summary>
    public async Task UpdateMarkersAsync(long participantId, Study study, IReadOnlyList<MarkerInput> markers, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var record = await db.ConsentRecords.Where(c => c.ParticipantId == participantId && c.WithdrawnAt == null)
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct)
            ?? throw new InvalidOperationException("The participant has not consented.");
        await SaveMarkersCoreAsync(participantId, study, record, markers, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private async Task SaveMarkersCoreAsync(long participantId, Study study, ConsentRecord record, IReadOnlyList<MarkerInput> markers, CancellationToken ct)
    {
        var existing = await db.IdentityAnswers.Where(a => a.ParticipantId == participantId).ToListAsync(ct);
        var consents = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var marker in study.IdentityMarkers)
        {
            var input = markers.FirstOrDefault(m => m.Marker == marker);
            var value = input?.Value?.Trim();
            var answered = input is { Consent: true } && (input.PreferNotToSay || !string.IsNullOrEmpty(value));
            consents[marker] = input?.Consent == true;
            var stored = existing.FirstOrDefault(a => a.Marker == marker);
            if (!answered)
            {
                if (stored is not null)
                {
                    db.IdentityAnswers.Remove(stored);
                }

                continue;
            }

            stored ??= db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = participantId, Marker = marker }).Entity;
            stored.PreferNotToSay = input!.PreferNotToSay;
            stored.Value = input.PreferNotToSay ? null : value![..Math.Min(value!.Length, 200)];
            stored.AnsweredAt = Now;
        }

        record.MarkerConsents = consents;
    }

    /// <summary>The open batch of the study, if any (the earliest-closing one when several are open).</summary>
    public static Batch? OpenBatch(Study study, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(study);
        return study.Batches.Where(b => b.IsOpen(now)).OrderBy(b => b.ClosesAt).FirstOrDefault();
    }

    /// <summary>The participant's unanswered assignment in the open batch, or a new one; or a break, or nothing left.</summary>
    public async Task<NextStep> NextAsync(Participant participant, Study study, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        var now = Now;
        var batch = OpenBatch(study, now);
        if (batch is null)
        {
            return new NextStep.NoOpenBatch();
        }

        var (progress, breakUntil) = await ProgressAsync(participant.Id, study, batch, now, ct);
        if (breakUntil is { } until)
        {
            return new NextStep.Break(until, progress.InSession);
        }

        var pending = study.TaskType == TaskType.Likert ? null : await db.Assignments
            .Where(a => a.ParticipantId == participant.Id && a.BatchId == batch.Id && !db.Annotations.Any(n => n.AssignmentId == a.Id))
            .OrderBy(a => a.Id).FirstOrDefaultAsync(ct);
        if (pending is null)
        {
            if (progress.InBatch >= batch.QuotaPerParticipant)
            {
                return new NextStep.AllDone(progress);
            }

            // Both tasks: alternate, rating an image when there are fewer ratings than comparisons.
            var rateFirst = study.TaskType == TaskType.Likert
                || (study.TaskType == TaskType.Both && await RatedImagesAsync(participant.Id, null, ct) < await db.Annotations.CountAsync(n => n.ParticipantId == participant.Id, ct));
            if (rateFirst && await NextRatingAsync(participant, study, lang, progress, ct) is { } rate)
            {
                return rate;
            }

            pending = study.TaskType == TaskType.Likert ? null : await CreateAssignmentAsync(participant.Id, study, batch, lang, ct);
            if (pending is null)
            {
                return study.TaskType == TaskType.Both && !rateFirst && await NextRatingAsync(participant, study, lang, progress, ct) is { } other
                    ? other
                    : new NextStep.AllDone(progress);
            }
        }

        return await TaskStepAsync(pending, study, lang, progress, null, ct);
    }

    /// <summary>One of the participant's answered assignments, reopened with the stored answer, while its batch is open.</summary>
    public async Task<NextStep.Task?> ChangeStepAsync(Participant participant, Study study, long assignmentId, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        var now = Now;
        var assignment = await OwnAssignmentAsync(participant.Id, assignmentId, ct);
        var batch = assignment is null ? null : study.Batches.FirstOrDefault(b => b.Id == assignment.BatchId && b.IsOpen(now));
        if (assignment is null || batch is null)
        {
            return null;
        }

        var existing = await db.Annotations.AsNoTracking().Include(a => a.Scores)
            .FirstOrDefaultAsync(a => a.AssignmentId == assignment.Id && a.ParticipantId == participant.Id, ct);
        if (existing is null)
        {
            return null;
        }

        var (progress, _) = await ProgressAsync(participant.Id, study, batch, now, ct);
        return await TaskStepAsync(assignment, study, lang, progress, existing, ct);
    }

    /// <summary>Ids of the participant's answered assignments whose batch is still open (their answers can be changed).</summary>
    public async Task<HashSet<long>> ChangeableAsync(long participantId, Study study, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        var now = Now;
        var open = study.Batches.Where(b => b.IsOpen(now)).Select(b => (long?)b.Id).ToList();
        return (await db.Assignments.Where(a => a.ParticipantId == participantId && open.Contains(a.BatchId))
            .Select(a => a.Id).ToListAsync(ct)).ToHashSet();
    }

    private async Task<NextStep.Task> TaskStepAsync(Assignment pending, Study study, string lang, Progress progress, Annotation? existing, CancellationToken ct)
    {
        var pair = await db.Pairs.AsNoTracking().FirstAsync(p => p.Id == pending.PairId, ct);
        string? promptText = null;
        if (study.ShowPrompt)
        {
            promptText = await db.Images.AsNoTracking().Where(i => i.Id == pair.Image0Id)
                .Join(db.Prompts, i => i.PromptId, p => p.Id, (i, p) => p.Text).FirstOrDefaultAsync(ct);
        }

        var criteria = pending.CriteriaShown
            .Select(key => study.Criteria.FirstOrDefault(c => c.Key == key))
            .Where(c => c is not null)
            .Select(c => new ShownCriterion(c!.Key, c.Name.Get(lang), c.Definition.Get(lang)))
            .ToList();
        var (left, right) = pending.Image0OnLeft ? (pair.Image0Id, pair.Image1Id) : (pair.Image1Id, pair.Image0Id);
        return new NextStep.Task(pending, promptText, left, right, criteria, progress, existing);
    }

    private async Task<Assignment?> CreateAssignmentAsync(long participantId, Study study, Batch batch, string lang, CancellationToken ct)
    {
        if (study.GroupQuotas is { } quotas)
        {
            return await CreateQuotaAssignmentAsync(participantId, study, batch, quotas, lang, ct);
        }

        var pairs = await db.Pairs.AsNoTracking()
            .Where(p => p.StudyId == study.Id && (p.BatchId == batch.Id || p.BatchId == null))
            .OrderBy(p => p.Id)
            .Select(p => new { p.Id, p.Kind, Times = db.Assignments.Count(a => a.PairId == p.Id) })
            .ToListAsync(ct);
        var candidates = pairs.Select((p, i) => new PairCandidate(p.Id, p.Kind, p.Times, i)).ToList();
        var seen = (await db.Assignments.Where(a => a.ParticipantId == participantId).Select(a => a.PairId).ToListAsync(ct)).ToHashSet();
        var pick = PairPicker.Pick(candidates, seen, batch.Distribution, batch.Overlap, study.AttentionCheckRate, study.GoldRate, Random.Shared);
        if (pick is null)
        {
            return null;
        }

        var draw = await criteriaCounts.DrawAsync(db, study, ct);
        var assignment = draw.ToAssignment(participantId, pick.PairId, batch.Id, lang, Now);
        db.Assignments.Add(assignment);
        await db.SaveChangesAsync(ct);
        return assignment;
    }

    /// <summary>
    /// Answers in the batch and in the current session. A session is a run of answers with no gap
    /// as long as the break; once it reaches the cap, the participant rests until the break has passed.
    /// </summary>
    public async Task<(Progress Progress, DateTimeOffset? BreakUntil)> ProgressAsync(long participantId, Study study, Batch batch, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(batch);
        var cap = batch.SessionCap ?? study.SessionCap;
        var pause = TimeSpan.FromMinutes(batch.BreakMinutes ?? study.BreakMinutes);
        var inBatch = await db.Annotations.CountAsync(
            n => n.ParticipantId == participantId && db.Assignments.Any(a => a.Id == n.AssignmentId && a.BatchId == batch.Id), ct);
        var recent = await db.Annotations.AsNoTracking().Where(n => n.ParticipantId == participantId)
            .OrderByDescending(n => n.Id).Take(Math.Max(cap, 1) + 1).Select(n => n.SubmittedAt).ToListAsync(ct);
        if (study.TaskType != TaskType.Pairwise)
        {
            inBatch += await RatedImagesAsync(participantId, batch, ct);
            recent.AddRange(await RatingTimesAsync(participantId, Math.Max(cap, 1) + 1, ct));
        }

        recent.Sort((a, b) => b.CompareTo(a));
        var inSession = 0;
        if (recent.Count > 0 && now - recent[0] < pause)
        {
            inSession = 1;
            while (inSession < recent.Count && recent[inSession - 1] - recent[inSession] < pause)
            {
                inSession++;
            }
        }

        DateTimeOffset? breakUntil = cap > 0 && inSession >= cap ? recent[0] + pause : null;
        return (new Progress(inBatch, batch.QuotaPerParticipant, Math.Min(inSession, cap), cap), breakUntil);
    }

    /// <summary>The participant's own assignment, or null (also when it is someone else's).</summary>
    public Task<Assignment?> OwnAssignmentAsync(long participantId, long assignmentId, CancellationToken ct) =>
        db.Assignments.AsNoTracking().FirstOrDefaultAsync(a => a.Id == assignmentId && a.ParticipantId == participantId, ct);

    /// <summary>Checks a submit against what was shown; returns field errors, empty when valid.</summary>
    public static Dictionary<string, string[]> Validate(Assignment assignment, SubmitRequest request, string lang)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request.ClientRequestId) || request.ClientRequestId.Length > 100)
        {
            errors["clientRequestId"] = ["A client request id of 1 to 100 characters is required."];
        }

        var scores = request.Scores ?? [];
        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            if (s is null || s.Criterion is null)
            {
                errors[string.Create(System.Globalization.CultureInfo.InvariantCulture, $"scores[{i}]")] = ["Each score is an object {criterion, score} naming a criterion shown."];
            }
            else if (!assignment.CriteriaShown.Contains(s.Criterion))
            {
                errors[$"scores.{s.Criterion}"] = [Infrastructure.Texts.Get("not-shown", lang)];
            }
            else if (s.Score is { } v && (!double.IsFinite(v) || v < -1 || v > 1))
            {
                errors[$"scores.{s.Criterion}"] = [Infrastructure.Texts.Get("invalid-score", lang)];
            }
        }

        var named = scores.Where(s => s?.Criterion is not null).ToList();
        if (named.GroupBy(s => s.Criterion).Any(g => g.Count() > 1))
        {
            errors["scores"] = ["Each criterion may be answered once."];
        }
        else if (!named.Any(s => s.Score is not null))
        {
            errors["scores"] = [Infrastructure.Texts.Get("need-one", lang)];
        }

        if (request.Comment is { Length: > MaxCommentLength })
        {
            errors["comment"] = [$"A comment has at most {MaxCommentLength} characters."];
        }

        return errors;
    }

    // A write that lost a race on a unique index (a concurrent first answer, a concurrent retry) runs again and then sees the winner.
    private const int WriteAttempts = 4;

    /// <summary>Whether answers to this batch are accepted now.</summary>
    public static bool IsBatchOpen(Study study, long? batchId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(study);
        return batchId is { } id && study.Batches.Any(b => b.Id == id && b.IsOpen(now));
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
        if (!IsBatchOpen(study, assignment.BatchId, Now))
        {
            return new SubmitResult(null, false, false, Refusal.BatchClosed);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SubmitOnceAsync(assignment, request, lang, ct);
            }
            catch (DbUpdateException) when (attempt < WriteAttempts)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<SubmitResult> SubmitOnceAsync(Assignment assignment, SubmitRequest request, string lang, CancellationToken ct)
    {
        var participantId = assignment.ParticipantId;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await HoldCurrentParticipantAsync(participantId, ct))
        {
            return new SubmitResult(null, false, false, Refusal.NotCurrent);
        }

        var applied = await FindAppliedAsync(participantId, AnswerKind.Comparison, request.ClientRequestId, ct);
        if (applied is not null)
        {
            var stored = applied.AssignmentId == assignment.Id
                ? await db.Annotations.AsNoTracking().Include(a => a.Scores).FirstOrDefaultAsync(a => a.AssignmentId == assignment.Id, ct)
                : null;
            return stored is null ? new SubmitResult(null, false, false, Refusal.RequestIdReused) : new SubmitResult(stored, true, false);
        }

        var now = Now;
        var comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim();
        int? clientMs = request.ClientDurationMs is { } ms && ms >= 0 ? ms : null;
        var annotation = await db.Annotations.Include(a => a.Scores).FirstOrDefaultAsync(a => a.AssignmentId == assignment.Id, ct);
        var changed = annotation is not null;
        if (annotation is not null)
        {
            // A change of answer: same row (it keeps the first request id), new scores.
            foreach (var score in annotation.Scores)
            {
                score.Score = request.Scores.FirstOrDefault(s => s?.Criterion == score.CriterionKey)?.Score;
            }

            annotation.Comment = comment;
            annotation.ClientDurationMs = clientMs;
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
                SubmittedAt = now,
                Scores = assignment.CriteriaShown.Select((key, position) => new AnnotationScore
                {
                    CriterionKey = key,
                    Position = position,
                    Score = request.Scores.FirstOrDefault(s => s?.Criterion == key)?.Score,
                }).ToList(),
            };
            db.Annotations.Add(annotation);
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

        db.AppliedRequests.Add(new AppliedRequest
        {
            ParticipantId = participantId,
            Kind = AnswerKind.Comparison,
            ClientRequestId = request.ClientRequestId,
            AssignmentId = assignment.Id,
            AppliedAt = now,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new SubmitResult(annotation, false, changed);
    }

    private Task<AppliedRequest?> FindAppliedAsync(long participantId, AnswerKind kind, string requestId, CancellationToken ct) =>
        db.AppliedRequests.AsNoTracking()
            .FirstOrDefaultAsync(r => r.ParticipantId == participantId && r.Kind == kind && r.ClientRequestId == requestId, ct);

    /// <summary>
    /// Inside the caller's transaction: whether the participant has not withdrawn, held until commit.
    /// PostgreSQL: a key-share lock on their row (the lock the answer's foreign keys take anyway), which
    /// a withdrawal (it locks the row for update first) waits for, and which waits for a withdrawal in
    /// progress and then sees it. SQLite: the
    /// transaction already holds the database's write lock.
    /// </summary>
    private async Task<bool> HoldCurrentParticipantAsync(long participantId, CancellationToken ct)
    {
        if (db.Provider == DatabaseProvider.Postgres)
        {
            var rows = await db.Database
                .SqlQuery<long>($"SELECT id AS \"Value\" FROM participants WHERE id = {participantId} AND withdrawn_at IS NULL FOR KEY SHARE")
                .ToListAsync(ct);
            return rows.Count > 0;
        }

        return await db.Participants.AnyAsync(p => p.Id == participantId && p.WithdrawnAt == null, ct);
    }

    /// <summary>The participant's answers, newest first, with the criteria keys as shown.</summary>
    public Task<List<Annotation>> HistoryAsync(long participantId, CancellationToken ct) =>
        db.Annotations.AsNoTracking().Include(a => a.Scores)
            .Where(a => a.ParticipantId == participantId).OrderByDescending(a => a.Id).Take(500).ToListAsync(ct);

    /// <summary>
    /// Withdraws: identity answers erased, consent closed, contact details (email, password, codes,
    /// the email on their invitations) erased. With <see cref="WithdrawalPolicy.DeleteAnnotations"/>
    /// everything the person answered or was given goes too: comparisons with their scores (and the
    /// cleaning drops on them), ratings, assignments, image reports, quota places, remembered request
    /// ids and archived duplicates. With the keep policy those stay under the pseudonym, and only the
    /// quota places not yet answered are released.
    /// </summary>
    public async Task WithdrawAsync(Participant participant, Study study, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        var now = Now;
        var id = participant.Id;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Provider == DatabaseProvider.Postgres)
        {
            // Before anything else: answers in flight hold a key-share lock on this row; they finish first, later ones see the withdrawal.
            await db.Database.ExecuteSqlAsync($"SELECT id FROM participants WHERE id = {id} FOR UPDATE", ct);
        }

        if (!await db.Participants.AnyAsync(p => p.Id == id && p.WithdrawnAt == null, ct))
        {
            return;
        }

        await db.IdentityAnswers.Where(a => a.ParticipantId == id).ExecuteDeleteAsync(ct);
        await db.ConsentRecords.Where(c => c.ParticipantId == id && c.WithdrawnAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.WithdrawnAt, now), ct);
        var delete = study.WithdrawalPolicy == WithdrawalPolicy.DeleteAnnotations;
        await ReleaseQuotaSlotsAsync(id, delete, ct);
        List<List<string>> shown = [];
        if (delete)
        {
            shown = await db.Assignments.AsNoTracking().Where(a => a.ParticipantId == id).Select(a => a.CriteriaShown).ToListAsync(ct);
            await db.AppliedRequests.Where(r => r.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.ArchivedRows.Where(r => r.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.LikertRatings.Where(r => r.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.AnnotationScores.Where(s => db.Annotations.Any(a => a.Id == s.AnnotationId && a.ParticipantId == id)).ExecuteDeleteAsync(ct);
            await db.Annotations.Where(a => a.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.ImageReports.Where(r => r.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.Assignments.Where(a => a.ParticipantId == id).ExecuteDeleteAsync(ct);
        }

        // No contact detail stays, and nobody can sign in as a withdrawn participant.
        var address = participant.Email;
        if (address is not null)
        {
            await db.OneTimeCodes.Where(c => c.Email == address).ExecuteDeleteAsync(ct);
        }

        await db.Invitations.Where(i => i.Email != null && (i.ParticipantId == id || (address != null && i.StudyId == study.Id && i.Email == address)))
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.Email, (string?)null), ct);
        participant.Email = null;
        participant.PasswordHash = null;
        participant.WithdrawnAt = now;
        db.AuditEntries.Add(new AuditEntry
        {
            ActorParticipantId = id,
            StudyId = study.Id,
            Action = "participant.withdraw",
            Details = System.Text.Json.JsonSerializer.Serialize(new { policy = study.WithdrawalPolicy.ToString() }),
            At = now,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (delete)
        {
            criteriaCounts.Forget(study.Id, shown);
        }
    }

    /// <summary>Whether the participant may see this image: it is in one of their assignments.</summary>
    /// <remarks>In a study with the Likert task, any image of the participant's study (they are rated one by one, without assignments).</remarks>
    public async Task<bool> MaySeeImageAsync(long participantId, long imageId, CancellationToken ct)
    {
        if (await db.Assignments.AnyAsync(a => a.ParticipantId == participantId &&
            db.Pairs.Any(p => p.Id == a.PairId && (p.Image0Id == imageId || p.Image1Id == imageId)), ct))
        {
            return true;
        }

        return await db.Participants.AnyAsync(p => p.Id == participantId &&
            db.Studies.Any(s => s.Id == p.StudyId && s.TaskType != TaskType.Pairwise &&
                db.Images.Any(i => i.Id == imageId && i.StudyId == s.Id)), ct);
    }

    public Task<Image?> FindImageAsync(long imageId, CancellationToken ct) =>
        db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Id == imageId, ct);
}
