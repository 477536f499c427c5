using Pluralist.Core.Model;

namespace Pluralist.Data.Tests;

/// <summary>One row of every entity, linked together, written through EF.</summary>
internal sealed class Sample
{
    // Millisecond precision: what both providers keep.
    public static readonly DateTimeOffset T0 = new(2025, 3, 14, 9, 26, 53, 589, TimeSpan.FromHours(-4));

    public Study Study { get; } = WithProtocolAndPanel(Defaults.LivsStudy(T0));
    public Participant Participant { get; } = new() { Pseudonym = "P-7F3K2Q", Email = "a@example.org", PasswordHash = "hash", PreferredLanguage = "fr", Role = Role.Participant, CreatedAt = T0 };
    public Scenario Scenario { get; } = new() { Name = "Square", Typology = "plaza", Amenities = "benches", Location = "Montréal" };
    public Prompt Prompt { get; } = new() { Text = "A square with trees", Language = "en", Source = PromptSource.Llm2, ExternalId = "p-1", CreatedAt = T0 };
    public Prompt Child { get; } = new() { Text = "A square with trees at dusk", Language = "en", Source = PromptSource.Template, CreatedAt = T0.AddMinutes(1) };
    public Image Image0 { get; } = new() { Generator = "world/1", Seed = 42, Guidance = 7.5, Steps = 30, Width = 512, Height = 384, ContentHash = new string('a', 64), StoragePath = "ab/cd.png", Flags = ImageFlags.Distorted | ImageFlags.Excluded, CreatedAt = T0 };
    public Image Image1 { get; } = new() { Generator = "world/1", Seed = 43, Width = 512, Height = 384, StoragePath = "ab/ce.png", CreatedAt = T0 };
    public Pair Pair { get; } = new() { Kind = PairKind.Gold, ExpectedPreference = -0.5, ExternalId = "pair-1", CreatedAt = T0 };
    public Assignment Assignment { get; } = new() { CriteriaShown = ["safety", "comfort", "diversity"], Image0OnLeft = false, Language = "fr", ServedAt = T0.AddSeconds(5) };
    public Annotation Annotation { get; } = new() { Comment = "plus d'arbres", ClientDurationMs = 4200, ServerDurationMs = 4500, ClientRequestId = "req-1", Language = "fr", SliderSteps = 4, SubmittedAt = T0.AddSeconds(10) };
    public Invitation Invitation { get; } = new() { CodeHash = new string('b', 64), Email = "a@example.org", Language = "fr", Role = Role.Researcher, CreatedAt = T0, ExpiresAt = T0.AddDays(7) };
    public ConsentRecord Consent { get; } = new() { DocumentVersion = "1", Language = "fr", ConsentedAt = T0, MarkerConsents = new() { ["gender"] = true, ["age-band"] = false } };
    public IdentityAnswer Identity { get; } = new() { Marker = "gender", Value = null, PreferNotToSay = true, AnsweredAt = T0 };
    public ImageReport Report { get; } = new() { Reason = ImageReportReason.Distorted, Comment = "melted bench", ReportedAt = T0.AddSeconds(20) };
    public LikertRating Likert { get; } = new() { ServedAt = T0, QuestionKey = "harm", Value = 4, SelectedCategories = ["violence", "bias"], ClientRequestId = "lk-1", ClientDurationMs = 900, ServerDurationMs = 1000, Language = "en", SubmittedAt = T0.AddSeconds(2) };
    public AuditEntry Audit { get; } = new() { Action = "export.bundle", Details = "{\"rows\":3}", At = T0 };
    public AppliedRequest Applied { get; } = new() { Kind = AnswerKind.Comparison, ClientRequestId = "req-1", AppliedAt = T0.AddSeconds(10) };
    public ArchivedRow Archived { get; } = new() { SchemaVersion = 6, SourceTable = "annotations", SourceId = 9999, Reason = "another answer to the assignment was stored first", Data = "{\"row\":{\"id\":9999}}", ArchivedAt = T0.AddDays(1) };
    public IdentityCoding Coding { get; } = new() { QuestionKey = "gender", Answer = "femme", Code = "woman", CodedBy = "R-1", CodedAt = T0.AddDays(2) };
    public OneTimeCode Code { get; } = new() { Email = "a@example.org", CodeHash = new string('c', 64), Purpose = "verify-email", Language = "fr", CreatedAt = T0, ExpiresAt = T0.AddMinutes(15), Attempts = 2, UsedAt = T0.AddMinutes(3) };

    public PanelEntry Panel { get; } = new() { PanelParticipantId = "5f7a9c0e1b2d", Ids = new() { ["PROLIFIC_PID"] = "5f7a9c0e1b2d", ["SESSION_ID"] = "s-2" }, FirstEnteredAt = T0, LastEnteredAt = T0.AddMinutes(5), Entries = 2 };

    private static Study WithProtocolAndPanel(Study study)
    {
        study.Protocol = LocalizedText.Of("Judge the space, not the people.", "Jugez l'espace, pas les personnes.");
        study.Contact = "Dr. A. Researcher, livs@example.org";
        study.Panel = new PanelSettings
        {
            ParticipantParameter = "PROLIFIC_PID",
            OtherParameters = ["SESSION_ID"],
            Exits = { [PanelOutcome.Completed] = new PanelExit { Code = "C1ABC", RedirectUrl = "https://app.prolific.com/submissions/complete?cc=C1ABC" } },
        };
        return study;
    }

    public static async Task<Sample> WriteAsync(PluralistDbContext db)
    {
        var s = new Sample();
        db.Studies.Add(s.Study);
        await db.SaveChangesAsync();
        s.Participant.StudyId = s.Study.Id;
        s.Scenario.StudyId = s.Study.Id;
        db.AddRange(s.Participant, s.Scenario);
        await db.SaveChangesAsync();
        s.Prompt.StudyId = s.Study.Id;
        s.Prompt.ScenarioId = s.Scenario.Id;
        db.Add(s.Prompt);
        await db.SaveChangesAsync();
        s.Child.StudyId = s.Study.Id;
        s.Child.ParentPromptId = s.Prompt.Id;
        s.Image0.StudyId = s.Image1.StudyId = s.Study.Id;
        s.Image0.PromptId = s.Image1.PromptId = s.Prompt.Id;
        db.AddRange(s.Child, s.Image0, s.Image1);
        await db.SaveChangesAsync();
        s.Pair.StudyId = s.Study.Id;
        s.Pair.BatchId = s.Study.Batches[0].Id;
        s.Pair.Image0Id = s.Image0.Id;
        s.Pair.Image1Id = s.Image1.Id;
        db.Add(s.Pair);
        await db.SaveChangesAsync();
        s.Assignment.ParticipantId = s.Participant.Id;
        s.Assignment.PairId = s.Pair.Id;
        s.Assignment.BatchId = s.Pair.BatchId;
        db.Add(s.Assignment);
        await db.SaveChangesAsync();
        s.Annotation.AssignmentId = s.Assignment.Id;
        s.Annotation.ParticipantId = s.Participant.Id;
        s.Annotation.PairId = s.Pair.Id;
        s.Annotation.Scores = [
            new AnnotationScore { CriterionKey = "safety", Position = 0, Score = -1 },
            new AnnotationScore { CriterionKey = "comfort", Position = 1, Score = 0 },
            new AnnotationScore { CriterionKey = "diversity", Position = 2, Score = null },
        ];
        s.Invitation.StudyId = s.Study.Id;
        s.Invitation.ParticipantId = s.Participant.Id;
        s.Invitation.UsedAt = T0.AddHours(1);
        s.Consent.ParticipantId = s.Participant.Id;
        s.Identity.ParticipantId = s.Participant.Id;
        s.Report.ImageId = s.Image1.Id;
        s.Report.ParticipantId = s.Participant.Id;
        s.Report.AssignmentId = s.Assignment.Id;
        s.Likert.ParticipantId = s.Participant.Id;
        s.Likert.ImageId = s.Image0.Id;
        s.Applied.ParticipantId = s.Participant.Id;
        s.Applied.AssignmentId = s.Assignment.Id;
        s.Archived.ParticipantId = s.Participant.Id;
        s.Audit.ActorParticipantId = s.Participant.Id;
        s.Audit.StudyId = s.Study.Id;
        s.Coding.StudyId = s.Study.Id;
        s.Panel.StudyId = s.Study.Id;
        s.Panel.ParticipantId = s.Participant.Id;
        db.AddRange(s.Annotation, s.Invitation, s.Consent, s.Identity, s.Report, s.Likert, s.Audit, s.Code, s.Applied, s.Archived, s.Coding, s.Panel);
        await db.SaveChangesAsync();
        return s;
    }
}
