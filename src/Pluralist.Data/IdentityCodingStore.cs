using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Data;

/// <summary>One distinct consented answer of a question, how many participants gave it, and its group.</summary>
public sealed record AnswerToCode(string QuestionKey, string Answer, int Participants, string? Code, bool Coded);

/// <summary>
/// A study's coding table in the database: what a researcher decided a free-text (or out-of-options) answer
/// counts as. Every change is stored with who and when, and written to the audit log in the same save.
/// </summary>
public static class IdentityCodingStore
{
    /// <summary>The study's coding table, for <see cref="IdentityGroupCoder"/>.</summary>
    public static async Task<IdentityCodingTable> TableAsync(PluralistDbContext db, long studyId, CancellationToken ct = default) =>
        new(await ListAsync(db, studyId, ct));

    /// <summary>The study's coding rows, by question then answer.</summary>
    public static async Task<List<IdentityCoding>> ListAsync(PluralistDbContext db, long studyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return (await db.IdentityCodings.AsNoTracking().Where(c => c.StudyId == studyId).ToListAsync(ct))
            .OrderBy(c => c.QuestionKey, StringComparer.Ordinal).ThenBy(c => c.Answer, StringComparer.Ordinal).ToList();
    }

    /// <summary>The problem field of a save refused because someone else changed the coding since it was read.</summary>
    public const string ChangedField = "changed";

    /// <summary>
    /// Codes <paramref name="answer"/> of question <paramref name="questionKey"/> as <paramref name="code"/>, or removes
    /// its coding when <paramref name="code"/> is null or blank. With <paramref name="expected"/> (the code the editor
    /// saw, empty for "not coded"), the save is optimistic: when the stored coding differs by then (another researcher
    /// saved in between), nothing is saved and the problem (field <see cref="ChangedField"/>) names who changed it, when,
    /// and to what. Returns the problems (fields <c>question</c>, <c>answer</c>, <c>code</c>, <c>changed</c>); nothing is
    /// saved when there are any.
    /// </summary>
    public static async Task<IReadOnlyList<IdentityProblem>> SetAsync(
        PluralistDbContext db, Study study, string questionKey, string answer, string? code, string codedBy, long? actorParticipantId, DateTimeOffset now,
        string? expected = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        var problems = new List<IdentityProblem>();
        var normalized = IdentityCodingTable.Normalize(answer);
        code = string.IsNullOrWhiteSpace(code) ? null : code.Trim();
        if (!study.IdentityMarkers.Contains(questionKey ?? "") && study.IdentityQuestions.All(q => q.Key != questionKey))
        {
            problems.Add(new IdentityProblem(questionKey ?? "", "question", $"'{questionKey}' is not an identity question of study '{study.Key}'"));
        }

        if (normalized.Length == 0)
        {
            problems.Add(new IdentityProblem(questionKey ?? "", "answer", "the answer to code is empty"));
        }
        else if (normalized.Length > IdentityQuestion.MaxLength)
        {
            problems.Add(new IdentityProblem(questionKey ?? "", "answer", $"at most {IdentityQuestion.MaxLength} characters"));
        }

        if (code is not null && !IdentityValidation.IsCode(code))
        {
            problems.Add(new IdentityProblem(questionKey ?? "", "code", $"'{code}' is not a valid group code (1 to 64 letters, digits, '-', '_', '+' or '.')"));
        }

        if (problems.Count > 0)
        {
            return problems;
        }

        var row = await db.IdentityCodings.SingleOrDefaultAsync(c => c.StudyId == study.Id && c.QuestionKey == questionKey && c.Answer == normalized, ct);
        var before = row?.Code;
        if (expected is not null && Changed(row, expected) is { } changedBefore)
        {
            return [changedBefore];
        }

        if (code is null)
        {
            if (row is not null)
            {
                db.IdentityCodings.Remove(row);
            }
        }
        else if (row is null)
        {
            db.IdentityCodings.Add(new IdentityCoding { StudyId = study.Id, QuestionKey = questionKey!, Answer = normalized, Code = code, CodedBy = codedBy, CodedAt = now });
        }
        else
        {
            row.Code = code;
            row.CodedBy = codedBy;
            row.CodedAt = now;
        }

        if (before != code)
        {
            db.AuditEntries.Add(new AuditEntry
            {
                ActorParticipantId = actorParticipantId,
                StudyId = study.Id,
                Action = "identity.code",
                Details = JsonSerializer.Serialize(new { question = questionKey, answer = normalized, before, after = code, by = codedBy }),
                At = now,
            });
        }

        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (expected is not null)
        {
            // Two first codings of one answer at the same moment: the unique index lets one in; the other is told.
            db.ChangeTracker.Clear();
            var latest = await db.IdentityCodings.AsNoTracking().SingleOrDefaultAsync(c => c.StudyId == study.Id && c.QuestionKey == questionKey && c.Answer == normalized, ct);
            if (Changed(latest, expected) is { } changed)
            {
                return [changed];
            }

            throw;
        }

        return problems;

        IdentityProblem? Changed(IdentityCoding? stored, string seen)
        {
            var current = stored?.Code ?? "";
            if (string.Equals(current, seen.Trim(), StringComparison.Ordinal))
            {
                return null;
            }

            var what = stored is null
                ? $"the coding '{seen.Trim()}' was removed"
                : $"{stored.CodedBy} coded it '{stored.Code}' at {stored.CodedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC";
            var was = seen.Trim().Length == 0 ? "not coded" : $"coded '{seen.Trim()}'";
            var yours = code is null ? "your removal of its coding" : $"your code '{code}'";
            return new IdentityProblem(questionKey!, ChangedField,
                $"'{normalized}' was {was} when you opened the page, and since then {what}; {yours} was not saved. Check the stored coding and save again to replace it");
        }
    }

    /// <summary>
    /// The distinct consented answers of the study's free-text questions, and of choice, year and number answers that
    /// no option or band codes (answers stored before the question changed), each with its participant count and the
    /// group it counts in now: what a researcher codes in the console. Withdrawn participants and unconsented answers
    /// are left out.
    /// </summary>
    public static async Task<List<AnswerToCode>> AnswersToCodeAsync(PluralistDbContext db, Study study, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        var table = await TableAsync(db, study.Id, ct);
        var people = await db.Participants.AsNoTracking().Where(p => p.StudyId == study.Id && p.WithdrawnAt == null).Select(p => p.Id).ToListAsync(ct);
        var consents = (await db.ConsentRecords.AsNoTracking().Where(c => people.Contains(c.ParticipantId) && c.WithdrawnAt == null).ToListAsync(ct))
            .GroupBy(c => c.ParticipantId).ToDictionary(g => g.Key, g => g.OrderByDescending(c => c.ConsentedAt).First());
        var answers = (await db.IdentityAnswers.AsNoTracking().Where(a => people.Contains(a.ParticipantId) && !a.PreferNotToSay && a.Value != null).ToListAsync(ct))
            .GroupBy(a => (a.ParticipantId, a.Marker)).Select(g => g.OrderByDescending(a => a.AnsweredAt).First())
            .Where(a => consents.TryGetValue(a.ParticipantId, out var c) && c.MarkerConsents.GetValueOrDefault(a.Marker) && study.IdentityMarkers.Contains(a.Marker));
        var result = new List<AnswerToCode>();
        foreach (var g in answers.GroupBy(a => (a.Marker, Answer: IdentityCodingTable.Normalize(a.Value))))
        {
            var question = study.QuestionFor(g.Key.Marker);
            var uncoded = IdentityGroupCoder.Code(question, g.First().Value, false);
            var byDefinition = question.Kind != IdentityQuestionKind.FreeText && uncoded is not null &&
                IdentityValidation.CheckAnswer(question, g.First().Value, false).IsValid;
            if (byDefinition || g.Key.Answer.Length == 0)
            {
                continue;
            }

            var coded = table.Find(g.Key.Marker, g.Key.Answer);
            result.Add(new AnswerToCode(g.Key.Marker, g.Key.Answer, g.Count(), coded ?? uncoded, coded is not null));
        }

        return [.. result.OrderBy(a => study.IdentityMarkers.IndexOf(a.QuestionKey)).ThenByDescending(a => a.Participants).ThenBy(a => a.Answer, StringComparer.Ordinal)];
    }
}
