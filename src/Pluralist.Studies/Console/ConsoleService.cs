using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Studies.Accounts;
using Pluralist.Studies.Console.Quotas;

namespace Pluralist.Studies.Console;

/// <summary>What researchers and liaisons do to studies: create and edit them, their criteria and batches, invite people. Every change is audited.</summary>
public sealed class ConsoleService(PluralistDbContext db, IEmailSender email)
{
    public PluralistDbContext Db => db;

    public Task<IReadOnlyList<StudySummary>> StudiesAsync(CancellationToken ct) => StudyStore.ListAsync(db, ct);

    /// <summary>The study with this key. Console links and routes carry keys only (never ids), so an older all-digit key is reached too and never taken for an id.</summary>
    public Task<Study?> FindStudyAsync(string key, CancellationToken ct) => StudyStore.FindByKeyAsync(db, key, ct);

    /// <summary>Problems with a new study, by field (<c>key</c>, <c>title.en</c>, <c>title.fr</c>, <c>template</c>); empty when it can be created.</summary>
    public static Dictionary<string, string> ValidateNewStudy(string? key, string? titleEn, string? titleFr, string? template, IReadOnlyList<StudySummary> studies)
    {
        ArgumentNullException.ThrowIfNull(studies);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (StudyKeys.Problem(key) is { } problem)
        {
            errors["key"] = char.ToUpperInvariant(problem[0]) + problem[1..] + ".";
        }
        else if (studies.Any(s => s.Key == key))
        {
            errors["key"] = $"A study with the key '{key}' already exists.";
        }

        if (string.IsNullOrWhiteSpace(titleEn))
        {
            errors["title.en"] = "A title in English is required.";
        }

        if (string.IsNullOrWhiteSpace(titleFr))
        {
            errors["title.fr"] = "A title in French is required.";
        }

        if (template is not null && studies.All(s => s.Key != template))
        {
            errors["template"] = $"There is no study '{template}' to copy.";
        }

        return errors;
    }

    public Task<Participant?> FindStaffAsync(long id, CancellationToken ct) =>
        db.Participants.FirstOrDefaultAsync(p => p.Id == id && p.StudyId == null && p.Role != Role.Participant, ct);

    /// <summary>
    /// Creates a study with the LIVS criteria, or with a copy of another study's criteria, settings and consent (a template).
    /// Null when another study took the key meanwhile.
    /// </summary>
    public async Task<Study?> CreateStudyAsync(Participant actor, string key, LocalizedText title, LocalizedText description, string? templateKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (StudyKeys.Problem(key) is { } problem)
        {
            throw new ArgumentException(problem, nameof(key));
        }

        var now = DateTimeOffset.UtcNow;
        Study study;
        if (templateKey is not null)
        {
            var template = await FindStudyAsync(templateKey, ct) ?? throw new ArgumentException($"no study with key '{templateKey}' to copy");
            study = new Study
            {
                Criteria = [.. template.Criteria.Select(c => new Criterion { Key = c.Key, Name = c.Name.Clone(), Definition = c.Definition.Clone(), Position = c.Position, Retired = c.Retired })],
                ConsentDocuments = [.. template.ConsentDocuments.Select(d => new ConsentDocument { Version = d.Version, Language = d.Language, Text = d.Text, PublishedAt = now })],
            };
            study.CopySettingsFrom(template);
        }
        else
        {
            study = Defaults.LivsStudy(now);
            study.Batches.Clear();
        }

        study.Key = key;
        study.Title = title;
        study.Description = description;
        study.CreatedAt = now;
        // The audit entry needs the study's id: both in one transaction.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Studies.Add(study);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            if (await db.Studies.AnyAsync(s => s.Key == key, ct))
            {
                return null;
            }

            throw;
        }

        Audit(actor, study, "study.create", new { key, template = templateKey });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return study;
    }

    public async Task UpdateSettingsAsync(Participant actor, Study study, Action<Study> change, CancellationToken ct)
    {
        var before = Snapshot(study);
        change(study);
        Audit(actor, study, "study.settings", new { before, after = Snapshot(study) });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Sets or removes (null) the study's group quotas. Places already taken stay; a smaller quota only stops new ones.</summary>
    public async Task SetQuotasAsync(Participant actor, Study study, GroupQuotas? quotas, CancellationToken ct)
    {
        var before = study.GroupQuotas is { } b ? QuotaSettings.Of(b) : null;
        study.GroupQuotas = quotas;
        Audit(actor, study, quotas is null ? "quotas.remove" : "quotas.set", new { before, after = quotas is null ? null : QuotaSettings.Of(quotas) });
        await db.SaveChangesAsync(ct);
    }

    public async Task AddCriterionAsync(Participant actor, Study study, string key, LocalizedText name, LocalizedText definition, CancellationToken ct)
    {
        db.Criteria.Add(new Criterion { StudyId = study.Id, Key = key, Name = name, Definition = definition, Position = study.Criteria.Count == 0 ? 0 : study.Criteria.Max(c => c.Position) + 1 });
        Audit(actor, study, "criterion.add", new { key, name = name.ToDictionary(kv => kv.Key, kv => kv.Value) });
        await db.SaveChangesAsync(ct);
    }

    public async Task EditCriterionAsync(Participant actor, Study study, Criterion criterion, LocalizedText name, LocalizedText definition, bool retired, CancellationToken ct)
    {
        var before = new { name = criterion.Name.ToDictionary(kv => kv.Key, kv => kv.Value), definition = criterion.Definition.ToDictionary(kv => kv.Key, kv => kv.Value), criterion.Retired };
        criterion.Name = name;
        criterion.Definition = definition;
        criterion.Retired = retired;
        Audit(actor, study, retired && !before.Retired ? "criterion.retire" : "criterion.edit", new { criterion.Key, before, after = new { name = name.ToDictionary(kv => kv.Key, kv => kv.Value), definition = definition.ToDictionary(kv => kv.Key, kv => kv.Value), retired } });
        await db.SaveChangesAsync(ct);
    }

    public async Task<Batch> AddBatchAsync(Participant actor, Study study, Batch batch, CancellationToken ct)
    {
        batch.StudyId = study.Id;
        db.Batches.Add(batch);
        Audit(actor, study, "batch.create", new { batch.Name, batch.OpensAt, batch.ClosesAt, batch.QuotaPerParticipant, distribution = batch.Distribution.ToToken(), batch.Overlap });
        await db.SaveChangesAsync(ct);
        return batch;
    }

    /// <summary>New single-use codes. Only their hashes are stored; the clear codes are returned once, to print or send.</summary>
    public async Task<IReadOnlyList<NewInvitation>> InviteAsync(Participant actor, Study study, IReadOnlyList<(string? Email, string Language)> people, int validDays, string? baseUrl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(people);
        // Every way in (CSV, form, API) checks addresses first; this guard keeps a header-injecting one out of any mail.
        if (people.FirstOrDefault(p => p.Email is not null && EmailAddresses.Normalize(p.Email, out _) != p.Email) is { Email: { } bad })
        {
            throw new ArgumentException($"'{EmailAddresses.Shown(bad)}' is not a checked email address", nameof(people));
        }

        var now = DateTimeOffset.UtcNow;
        var made = new List<NewInvitation>();
        foreach (var (email, language) in people)
        {
            var code = Codes.NewCode();
            db.Invitations.Add(new Invitation { StudyId = study.Id, CodeHash = Codes.Hash(code), Email = email, Language = language, CreatedAt = now, ExpiresAt = now.AddDays(validDays) });
            made.Add(new NewInvitation(code, email, language, now.AddDays(validDays)));
        }

        Audit(actor, study, "invitations.create", new { count = made.Count, withEmail = made.Count(m => m.Email is not null), validDays });
        await db.SaveChangesAsync(ct);
        foreach (var m in made.Where(m => m.Email is not null))
        {
            await WriteInvitationEmailAsync(study, m, baseUrl, ct);
        }

        return made;
    }

    /// <summary>
    /// A new single-use code that signs the participant back in (a lost session, another device);
    /// every earlier unused code of theirs stops working. Null for an unknown or withdrawn pseudonym.
    /// </summary>
    public async Task<NewInvitation?> ResetCodeAsync(Participant actor, Study study, string pseudonym, int validDays, CancellationToken ct)
    {
        var participant = await db.Participants.FirstOrDefaultAsync(p => p.StudyId == study.Id && p.Pseudonym == pseudonym && p.WithdrawnAt == null && p.Role == Role.Participant, ct);
        if (participant is null)
        {
            return null;
        }

        var now = DateTimeOffset.UtcNow;
        var code = Codes.NewCode();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var revoked = await db.Invitations.Where(i => i.ParticipantId == participant.Id && i.UsedAt == null && i.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ExpiresAt, now), ct);
        db.Invitations.Add(new Invitation
        {
            StudyId = study.Id,
            CodeHash = Codes.Hash(code),
            Language = participant.PreferredLanguage,
            ParticipantId = participant.Id,
            CreatedAt = now,
            ExpiresAt = now.AddDays(validDays),
        });
        Audit(actor, study, "participant.code-reset", new { participant = pseudonym, revoked, validDays });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new NewInvitation(code, null, participant.PreferredLanguage, now.AddDays(validDays));
    }

    /// <summary>
    /// Reads the bulk-invitation CSV (<c>email</c> required, checked by <see cref="EmailAddresses"/>, <c>language</c> en or fr,
    /// default en). Errors are located by line and column.
    /// </summary>
    public static IReadOnlyList<(string? Email, string Language)> ReadInvitationCsv(string text, List<CsvError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var table = CsvTable.Parse(new StringReader(text ?? ""), "invitations.csv", errors);
        var people = new List<(string?, string)>();
        if (!table.RequireColumns("email"))
        {
            return people;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in table.Rows)
        {
            var raw = table.String(row, "email");
            var language = (table.OptionalString(row, "language") ?? "en").Trim().ToLowerInvariant();
            var email = EmailAddresses.Normalize(raw, out var problem);
            if (raw.Length > 0 && email is null)
            {
                table.AddError(row, "email", $"'{EmailAddresses.Shown(raw)}' is not an email address: {problem}");
            }
            else if (email is not null && !seen.Add(email))
            {
                table.AddError(row, "email", $"{email} is listed twice");
            }

            if (language is not ("en" or "fr"))
            {
                table.AddError(row, "language", $"'{language}' is not en or fr");
            }

            people.Add((email, language));
        }

        if (table.Rows.Count == 0 && errors.Count == 0)
        {
            errors.Add(new CsvError("invitations.csv", 2, 0, string.Empty, "no one to invite: add one row per person under the header"));
        }

        return people;
    }

    public async Task<IReadOnlyList<ConsoleParticipant>> ParticipantsAsync(Study study, CancellationToken ct)
    {
        var people = await db.Participants.AsNoTracking().Where(p => p.StudyId == study.Id).OrderBy(p => p.Id).ToListAsync(ct);
        var answers = await db.Annotations.AsNoTracking()
            .Where(a => db.Participants.Any(p => p.Id == a.ParticipantId && p.StudyId == study.Id))
            .GroupBy(a => a.ParticipantId)
            .Select(g => new { g.Key, Count = g.Count(), Last = g.Max(a => a.SubmittedAt) })
            .ToDictionaryAsync(x => x.Key, ct);
        return people.Select(p => new ConsoleParticipant(p.Pseudonym, p.PreferredLanguage, p.CreatedAt,
            answers.TryGetValue(p.Id, out var a) ? a.Last : null, a?.Count ?? 0, p.WithdrawnAt is not null)).ToList();
    }

    public async Task<(int Open, int Used, int Expired)> InvitationCountsAsync(Study study, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var all = await db.Invitations.AsNoTracking().Where(i => i.StudyId == study.Id).Select(i => new { i.UsedAt, i.ExpiresAt }).ToListAsync(ct);
        return (all.Count(i => i.UsedAt is null && i.ExpiresAt > now), all.Count(i => i.UsedAt is not null), all.Count(i => i.UsedAt is null && i.ExpiresAt <= now));
    }

    /// <summary>How many of the study's prompts are written in each language, most first.</summary>
    public async Task<IReadOnlyList<(string Language, int Prompts)>> PromptLanguagesAsync(Study study, CancellationToken ct)
    {
        var counts = await db.Prompts.AsNoTracking().Where(p => p.StudyId == study.Id)
            .GroupBy(p => p.Language).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return counts.OrderByDescending(c => c.Count).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Count)).ToList();
    }

    public async Task<IReadOnlyList<AuditEntry>> AuditAsync(Study? study, int take, CancellationToken ct)
    {
        var query = db.AuditEntries.AsNoTracking();
        if (study is not null)
        {
            query = query.Where(a => a.StudyId == study.Id);
        }

        return await query.OrderByDescending(a => a.Id).Take(take).ToListAsync(ct);
    }

    public Dictionary<long, string> StaffNames(IEnumerable<long?> ids)
    {
        var wanted = ids.OfType<long>().Distinct().ToList();
        return db.Participants.AsNoTracking().Where(p => wanted.Contains(p.Id))
            .ToDictionary(p => p.Id, p => p.Email ?? p.Pseudonym);
    }

    /// <summary>Records a console action; <paramref name="actor"/> is null for the command line (run by whoever holds the data directory).</summary>
    public void Audit(Participant? actor, Study? study, string action, object details) =>
        db.AuditEntries.Add(new AuditEntry
        {
            ActorParticipantId = actor?.Id,
            StudyId = study?.Id is > 0 ? study.Id : null,
            Action = action,
            Details = JsonSerializer.Serialize(details),
            At = DateTimeOffset.UtcNow,
        });

    // Through the app's email sender: the outbox folder by default, SMTP when configured.
    private Task WriteInvitationEmailAsync(Study study, NewInvitation invitation, string? baseUrl, CancellationToken ct)
    {
        var fr = invitation.Language == "fr";
        var link = $"{(baseUrl ?? "").TrimEnd('/')}/?code={Uri.EscapeDataString(invitation.Code)}";
        var subject = fr ? $"Invitation : {study.Title.Get("fr")}" : $"Invitation: {study.Title.Get("en")}";
        var body = fr
            ? $"Bonjour,\n\nVous êtes invité·e à participer à l'étude « {study.Title.Get("fr")} ».\n{study.Description.Get("fr")}\n\nVotre code d'invitation : {invitation.Code}\nPour commencer : {link}\n\nCe code est valable jusqu'au {invitation.ExpiresAt.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo("fr-CA"))} et ne peut servir qu'une fois.\nLa participation est volontaire; vous pouvez arrêter à tout moment.\n"
            : $"Hello,\n\nYou are invited to take part in the study \"{study.Title.Get("en")}\".\n{study.Description.Get("en")}\n\nYour invitation code: {invitation.Code}\nTo start: {link}\n\nThis code works once, until {invitation.ExpiresAt.ToString("MMMM d, yyyy", CultureInfo.GetCultureInfo("en-CA"))}.\nTaking part is voluntary; you can stop at any time.\n";
        return email.SendAsync(new EmailMessage(invitation.Email!, subject, body, invitation.Language), ct);
    }

    private static object Snapshot(Study s) => new
    {
        title = s.Title.ToDictionary(kv => kv.Key, kv => kv.Value),
        description = s.Description.ToDictionary(kv => kv.Key, kv => kv.Value),
        taskType = s.TaskType.ToToken(),
        s.CriteriaPerPair,
        s.SliderSteps,
        s.ShowPrompt,
        s.RequireEmail,
        s.SessionCap,
        s.BreakMinutes,
        s.AttentionCheckRate,
        s.GoldRate,
        withdrawalPolicy = s.WithdrawalPolicy.ToToken(),
        s.MinGroupSize,
        s.IdentityMarkers,
        groupQuotas = s.GroupQuotas is { } q ? Data.QuotasJson.Write(q) : null,
    };
}
