using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;

namespace Pluralist.Studies.Identity;

/// <summary>New questions for a study; a null list is left as it is.</summary>
public sealed record QuestionsChange(
    IReadOnlyList<IdentityQuestion>? IdentityQuestions,
    IReadOnlyList<LikertItem>? LikertQuestions,
    IReadOnlyList<LikertItem>? LikertCategories,
    string Source);

/// <summary>What a change did: the markers now asked, and the list sizes.</summary>
public sealed record QuestionsApplied(string StudyKey, IReadOnlyList<string> Markers, int LikertQuestions, int LikertCategories);

/// <summary>
/// Replaces a study's identity questions and Likert lists (from a preset or a file), for every front end: the questions
/// are checked together, the study's quotas must still make sense with them, and a marker that participants have
/// already answered cannot be dropped (its answers would leave exports and analyses). Audited.
/// </summary>
public static class StudyQuestions
{
    /// <summary>The change a preset name makes (<c>livs</c>, <c>dive</c>): its identity questions and its Likert lists.</summary>
    public static QuestionsChange Preset(string name)
    {
        var identity = IdentityPresets.ByName(name);
        var likert = LikertPresets.ByName(name);
        if (identity is null || likert is null)
        {
            throw new StudyInputException($"--preset '{name}' is not one of {string.Join(", ", IdentityPresets.Names)}");
        }

        return new QuestionsChange(identity, likert.Value.Questions, likert.Value.Categories, "preset:" + name.Trim().ToLowerInvariant());
    }

    /// <summary>The change a questions file makes (docs/formats.md); problems are located in the file.</summary>
    public static QuestionsChange FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = File.ReadAllBytes(path);
        var errors = new List<CsvError>();
        var file = QuestionsJson.ReadFile(bytes, Path.GetFileName(path), errors);
        if (errors.Count > 0 || file is null)
        {
            throw new StudyInputException(errors);
        }

        return new QuestionsChange(file.IdentityQuestions, file.LikertQuestions, file.LikertCategories, "file:" + Path.GetFileName(path));
    }

    /// <summary>
    /// The questions file of a study as it stands: the questions it asks (each marker resolved by
    /// <see cref="Study.QuestionFor"/>) and its Likert lists (the defaults when it has none), ready to edit and load again.
    /// </summary>
    public static async Task<byte[]> DescribeAsync(PluralistDbContext db, string studyKey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var study = await StudyLookup.FindStudyAsync(db, studyKey, ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WritePropertyName("identityQuestions");
            QuestionsJson.WriteIdentityQuestions(w, study.AskedQuestions());
            w.WritePropertyName("likertQuestions");
            QuestionsJson.WriteLikertItems(w, study.LikertQuestions.Count > 0 ? study.LikertQuestions : Defaults.LikertQuestions);
            w.WritePropertyName("likertCategories");
            QuestionsJson.WriteLikertItems(w, study.LikertCategories.Count > 0 ? study.LikertCategories : Defaults.LikertCategories);
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Applies <paramref name="change"/> to the study, or throws <see cref="StudyInputException"/> and changes nothing.</summary>
    public static async Task<QuestionsApplied> ApplyAsync(PluralistDbContext db, string studyKey, QuestionsChange change, long? actorParticipantId, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(change);
        var found = await StudyLookup.FindStudyAsync(db, studyKey, ct).ConfigureAwait(false);
        var study = await db.Studies.SingleAsync(s => s.Id == found.Id, ct).ConfigureAwait(false);
        if (change.IdentityQuestions is { } questions)
        {
            var problems = IdentityValidation.CheckQuestions(questions);
            if (problems.Count > 0)
            {
                throw new StudyInputException(string.Join("; ", problems.Select(p => $"identityQuestions{p.Path}: {p.Message}")));
            }

            var keys = questions.Select(q => q.Key).ToHashSet(StringComparer.Ordinal);
            var dropped = study.IdentityMarkers.Where(m => !keys.Contains(m)).ToList();
            var answered = await db.IdentityAnswers.AsNoTracking()
                .Where(a => dropped.Contains(a.Marker) && db.Participants.Any(p => p.Id == a.ParticipantId && p.StudyId == study.Id))
                .GroupBy(a => a.Marker).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct).ConfigureAwait(false);
            if (answered.Count > 0)
            {
                throw new StudyInputException(
                    $"study '{study.Key}': participants have answered {string.Join(", ", answered.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"'{a.Key}' ({a.Count})"))}, " +
                    "which the new questions do not ask; keep a question of that key so the answers stay in exports and analyses");
            }

            study.UseIdentityQuestions(questions);
            if (study.GroupQuotas is { } quotas && QuotaPicker.Problems(quotas, study) is { Count: > 0 } quotaProblems)
            {
                // Nothing is saved: the context's changes are dropped with it.
                throw new StudyInputException(
                    $"study '{study.Key}': its group quotas do not fit the new questions: {string.Join("; ", quotaProblems.Select(p => $"groupQuotas.{p.Field}: {p.Message}"))}");
            }
        }

        if (change.LikertQuestions is { } likertQuestions)
        {
            study.LikertQuestions = [.. likertQuestions.Select(i => i.Clone())];
        }

        if (change.LikertCategories is { } likertCategories)
        {
            study.LikertCategories = [.. likertCategories.Select(i => i.Clone())];
        }

        db.AuditEntries.Add(new AuditEntry
        {
            ActorParticipantId = actorParticipantId,
            StudyId = study.Id,
            Action = "study.questions",
            Details = JsonSerializer.Serialize(new
            {
                source = change.Source,
                identityQuestions = change.IdentityQuestions?.Select(q => q.Key),
                likertQuestions = change.LikertQuestions?.Select(q => q.Key),
                likertCategories = change.LikertCategories?.Select(q => q.Key),
            }),
            At = now,
        });
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return new QuestionsApplied(study.Key, study.IdentityMarkers, study.LikertQuestions.Count, study.LikertCategories.Count);
    }
}
