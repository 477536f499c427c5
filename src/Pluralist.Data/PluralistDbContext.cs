using System.Data.Common;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;

namespace Pluralist.Data;

/// <summary>
/// The one EF Core model for both providers. Tables and columns are snake_case and identical on
/// SQLite and PostgreSQL; the schema itself comes from the hand-written migrations
/// (<see cref="PluralistDatabase.MigrateAsync"/>), never from EF.
/// </summary>
/// <remarks>
/// Enums are stored as their integer values. LocalizedText, string lists and marker-consent maps
/// are JSON text. DateTimeOffset is UTC: unix milliseconds (INTEGER) on SQLite so that it can be
/// compared and ordered in queries, timestamptz on PostgreSQL.
/// </remarks>
public sealed class PluralistDbContext : DbContext
{
    /// <summary>
    /// The shadow property of <see cref="Pair"/> that holds how many assignments the pair has (column
    /// <c>pairs.assignment_count</c>, schema version 14): kept by the database's triggers on every insert and delete of an
    /// assignment, read with <c>EF.Property&lt;int&gt;(pair, AssignmentCountProperty)</c>, never written by EF.
    /// </summary>
    public const string AssignmentCountProperty = "AssignmentCount";

    private readonly DatabaseOptions _options;

    /// <summary>
    /// A context over options made by <see cref="PluralistDatabase.ContextOptions"/> (which carry the database they were
    /// made for); the only public constructor, as EF's context pool requires (<see cref="PluralistDatabase.CreatePool"/>).
    /// The context keeps no state of its own beyond those options, so a pooled instance starts each lease as a new one.
    /// </summary>
    public PluralistDbContext(DbContextOptions<PluralistDbContext> options)
        : base(options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.FindExtension<DatabaseOptionsExtension>()?.Database
            ?? throw new ArgumentException("The context options were not made by PluralistDatabase.ContextOptions (they name no Pluralist database).", nameof(options));
    }

    public DatabaseProvider Provider => _options.Provider;

    public DbSet<Study> Studies => Set<Study>();
    public DbSet<Criterion> Criteria => Set<Criterion>();
    public DbSet<ConsentDocument> ConsentDocuments => Set<ConsentDocument>();
    public DbSet<Batch> Batches => Set<Batch>();
    public DbSet<Participant> Participants => Set<Participant>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<ConsentRecord> ConsentRecords => Set<ConsentRecord>();
    public DbSet<IdentityAnswer> IdentityAnswers => Set<IdentityAnswer>();
    public DbSet<IdentityCoding> IdentityCodings => Set<IdentityCoding>();
    public DbSet<Scenario> Scenarios => Set<Scenario>();
    public DbSet<Prompt> Prompts => Set<Prompt>();
    public DbSet<Image> Images => Set<Image>();
    public DbSet<Pair> Pairs => Set<Pair>();
    public DbSet<Assignment> Assignments => Set<Assignment>();
    public DbSet<Annotation> Annotations => Set<Annotation>();
    public DbSet<AnnotationScore> AnnotationScores => Set<AnnotationScore>();
    public DbSet<ImageReport> ImageReports => Set<ImageReport>();
    public DbSet<LikertRating> LikertRatings => Set<LikertRating>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<OneTimeCode> OneTimeCodes => Set<OneTimeCode>();
    public DbSet<CleaningRunRecord> CleaningRuns => Set<CleaningRunRecord>();
    public DbSet<CleaningDrop> CleaningDrops => Set<CleaningDrop>();
    public DbSet<QuotaSlot> QuotaSlots => Set<QuotaSlot>();
    public DbSet<AppliedRequest> AppliedRequests => Set<AppliedRequest>();
    public DbSet<ArchivedRow> ArchivedRows => Set<ArchivedRow>();
    public DbSet<PanelEntry> PanelEntries => Set<PanelEntry>();
    public DbSet<DataProtectionKeyRow> DataProtectionKeys => Set<DataProtectionKeyRow>();
    public DbSet<RateLimitWindow> RateLimitWindows => Set<RateLimitWindow>();

    public DbSet<SyntheticRun> SyntheticRuns => Set<SyntheticRun>();

    public DbSet<SyntheticAnswer> SyntheticAnswers => Set<SyntheticAnswer>();

    /// <summary>The background job queue (<see cref="Pluralist.Data.Jobs.JobQueue"/> claims from it).</summary>
    public DbSet<Job> Jobs => Set<Job>();

    /// <summary>snake_case of a PascalCase name, with an underscore before and after digits (<c>Image0Id</c> → <c>image_0_id</c>).</summary>
    public static string SnakeCase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (i > 0)
            {
                var prev = name[i - 1];
                var boundary = (char.IsUpper(c) && (char.IsLower(prev) || char.IsDigit(prev))) ||
                               (char.IsDigit(c) && char.IsLetter(prev));
                if (boundary)
                {
                    sb.Append('_');
                }
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }

    /// <summary>The provider, connection and SQLite pragmas of <paramref name="options"/>, on <paramref name="builder"/>.</summary>
    internal static DbContextOptions<PluralistDbContext> Configure(DbContextOptionsBuilder<PluralistDbContext> builder, DatabaseOptions options)
    {
        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                builder.UseSqlite(options.ConnectionString);
                builder.AddInterceptors(SqlitePragmas.Instance);
                break;
            case DatabaseProvider.Postgres:
                builder.UseNpgsql(options.ConnectionString);
                break;
            default:
                throw new InvalidOperationException($"Unknown provider {options.Provider}.");
        }

        ((Microsoft.EntityFrameworkCore.Infrastructure.IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(new DatabaseOptionsExtension(options));
        return builder.Options;
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        if (_options.Provider == DatabaseProvider.Sqlite)
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
        }
        else
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcConverter>();
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Study>(e =>
        {
            e.ToTable("studies");
            e.HasIndex(x => x.Key).IsUnique();
            // Raised by the database's triggers on every change to the study or its criteria, batches and consent
            // documents (schema version 11); never written from here. StudyCache reads it per request.
            var revision = e.Property<long>(StudyCache.RevisionProperty).Metadata;
            revision.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
            revision.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
            Localized(e.Property(x => x.Title));
            Localized(e.Property(x => x.Description));
            Localized(e.Property(x => x.Protocol));
            e.Property(x => x.Panel).HasConversion(
                new ValueConverter<PanelSettings?, string?>(
                    v => v == null ? null : PanelJson.Write(v),
                    v => v == null ? null : PanelJson.Read(v)),
                new ValueComparer<PanelSettings?>(
                    (a, b) => a == null ? b == null : b != null && PanelJson.Write(a) == PanelJson.Write(b),
                    v => v == null ? 0 : PanelJson.Write(v).GetHashCode(StringComparison.Ordinal),
                    v => v == null ? null : v.Clone()));
            StringList(e.Property(x => x.IdentityMarkers));
            LikertItems(e.Property(x => x.LikertQuestions));
            LikertItems(e.Property(x => x.LikertCategories));
            e.Property(x => x.IdentityQuestions).HasConversion(
                new ValueConverter<List<IdentityQuestion>, string>(
                    v => QuestionsJson.SerializeIdentityQuestions(v),
                    v => QuestionsJson.DeserializeIdentityQuestions(v)),
                new ValueComparer<List<IdentityQuestion>>(
                    (a, b) => a == null ? b == null : b != null && QuestionsJson.SerializeIdentityQuestions(a) == QuestionsJson.SerializeIdentityQuestions(b),
                    v => QuestionsJson.SerializeIdentityQuestions(v).GetHashCode(StringComparison.Ordinal),
                    v => v.Select(q => q.Clone()).ToList()));
            e.Property(x => x.GroupQuotas).HasConversion(
                new ValueConverter<GroupQuotas?, string?>(
                    v => v == null ? null : QuotasJson.Write(v),
                    v => v == null ? null : QuotasJson.Read(v)),
                new ValueComparer<GroupQuotas?>(
                    (a, b) => a == null ? b == null : b != null && QuotasJson.Write(a) == QuotasJson.Write(b),
                    v => v == null ? 0 : QuotasJson.Write(v).GetHashCode(StringComparison.Ordinal),
                    v => v == null ? null : v.Clone()));
            e.HasMany(x => x.Criteria).WithOne().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Batches).WithOne().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.ConsentDocuments).WithOne().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Criterion>(e =>
        {
            e.ToTable("criteria");
            e.HasIndex(x => new { x.StudyId, x.Key }).IsUnique();
            Localized(e.Property(x => x.Name));
            Localized(e.Property(x => x.Definition));
        });

        modelBuilder.Entity<ConsentDocument>(e =>
        {
            e.ToTable("consent_documents");
            e.HasIndex(x => new { x.StudyId, x.Version, x.Language }).IsUnique();
        });

        modelBuilder.Entity<Batch>(e => e.ToTable("batches"));

        modelBuilder.Entity<Participant>(e =>
        {
            e.ToTable("participants");
            e.HasIndex(x => x.Pseudonym).IsUnique();
            e.HasIndex(x => x.Email);
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<Invitation>(e =>
        {
            e.ToTable("invitations");
            e.HasIndex(x => x.CodeHash).IsUnique();
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<ConsentRecord>(e =>
        {
            e.ToTable("consent_records");
            e.HasIndex(x => x.ParticipantId);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.MarkerConsents).HasConversion(
                new ValueConverter<Dictionary<string, bool>, string>(
                    v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
                    v => JsonSerializer.Deserialize<Dictionary<string, bool>>(v, JsonSerializerOptions.Default) ?? new Dictionary<string, bool>()),
                new ValueComparer<Dictionary<string, bool>>(
                    (a, b) => a == null ? b == null : b != null && a.Count == b.Count && !a.Except(b).Any(),
                    v => v.Aggregate(0, (h, kv) => h ^ HashCode.Combine(kv.Key, kv.Value)),
                    v => new Dictionary<string, bool>(v)));
        });

        modelBuilder.Entity<IdentityAnswer>(e =>
        {
            e.ToTable("identity_answers");
            e.HasIndex(x => new { x.ParticipantId, x.Marker }).IsUnique();
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<IdentityCoding>(e =>
        {
            e.ToTable("identity_codings");
            e.HasIndex(x => new { x.StudyId, x.QuestionKey, x.Answer }).IsUnique();
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Scenario>(e =>
        {
            e.ToTable("scenarios");
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Prompt>(e =>
        {
            e.ToTable("prompts");
            e.HasIndex(x => x.StudyId);
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Prompt>().WithMany().HasForeignKey(x => x.ParentPromptId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Scenario>().WithMany().HasForeignKey(x => x.ScenarioId).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<Image>(e =>
        {
            e.ToTable("images");
            e.HasIndex(x => x.PromptId);
            e.HasIndex(x => x.StudyId);
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Prompt>().WithMany().HasForeignKey(x => x.PromptId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<Pair>(e =>
        {
            e.ToTable("pairs", t => t.HasCheckConstraint("ck_pairs_distinct_images", "image_0_id <> image_1_id"));
            e.HasIndex(x => x.StudyId);
            // How many assignments the pair has, kept by the database's triggers on assignments (schema version 14);
            // never written from here. The next-assignment read takes it instead of counting the pair's assignments.
            var count = e.Property<int>(AssignmentCountProperty).Metadata;
            count.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
            count.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Batch>().WithMany().HasForeignKey(x => x.BatchId).OnDelete(DeleteBehavior.SetNull);
            e.HasOne<Image>().WithMany().HasForeignKey(x => x.Image0Id).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Image>().WithMany().HasForeignKey(x => x.Image1Id).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<Assignment>(e =>
        {
            e.ToTable("assignments");
            e.HasIndex(x => x.ParticipantId);
            e.HasIndex(x => x.PairId);
            // Overlap K (v8): one assignment per rater place of a pair, and one place per participant and pair.
            e.HasIndex(x => new { x.PairId, x.OverlapSlot }).IsUnique().HasFilter("overlap_slot IS NOT NULL");
            e.HasIndex(x => new { x.ParticipantId, x.PairId }).IsUnique().HasFilter("overlap_slot IS NOT NULL");
            StringList(e.Property(x => x.CriteriaShown));
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Pair>().WithMany().HasForeignKey(x => x.PairId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Batch>().WithMany().HasForeignKey(x => x.BatchId).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<Annotation>(e =>
        {
            e.ToTable("annotations", t => t.HasCheckConstraint("ck_annotations_slider_steps", "slider_steps IS NULL OR slider_steps >= 0"));
            e.HasIndex(x => new { x.ParticipantId, x.ClientRequestId }).IsUnique();
            e.HasIndex(x => x.PairId);
            // One answer per assignment (v6): a change updates it, a concurrent first answer cannot add another.
            e.HasIndex(x => x.AssignmentId).IsUnique();
            e.HasOne<Assignment>().WithMany().HasForeignKey(x => x.AssignmentId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Pair>().WithMany().HasForeignKey(x => x.PairId).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(x => x.Scores).WithOne().HasForeignKey(x => x.AnnotationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AnnotationScore>(e =>
        {
            e.ToTable("annotation_scores", t => t.HasCheckConstraint("ck_annotation_scores_range", "score BETWEEN -1 AND 1"));
            e.HasIndex(x => new { x.AnnotationId, x.CriterionKey }).IsUnique();
        });

        modelBuilder.Entity<ImageReport>(e =>
        {
            e.ToTable("image_reports");
            e.HasIndex(x => x.ImageId);
            e.HasOne<Image>().WithMany().HasForeignKey(x => x.ImageId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Assignment>().WithMany().HasForeignKey(x => x.AssignmentId).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<LikertRating>(e =>
        {
            e.ToTable("likert_ratings", t => t.HasCheckConstraint("ck_likert_ratings_value", "value BETWEEN 1 AND 5"));
            e.HasIndex(x => new { x.ParticipantId, x.ClientRequestId }).IsUnique();
            // One value per participant, image and question (v6).
            e.HasIndex(x => new { x.ParticipantId, x.ImageId, x.QuestionKey }).IsUnique();
            e.HasIndex(x => x.ImageId);
            StringList(e.Property(x => x.SelectedCategories));
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Image>().WithMany().HasForeignKey(x => x.ImageId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit_entries");
            e.HasIndex(x => x.At);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ActorParticipantId).OnDelete(DeleteBehavior.SetNull);
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<OneTimeCode>(e =>
        {
            e.ToTable("one_time_codes");
            e.HasIndex(x => new { x.Email, x.Purpose });
        });

        modelBuilder.Entity<CleaningRunRecord>(e =>
        {
            e.ToTable("cleaning_runs");
            e.HasIndex(x => x.StudyId);
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CleaningDrop>(e =>
        {
            e.ToTable("cleaning_drops");
            e.HasIndex(x => new { x.RunId, x.AnswerId }).IsUnique();
            e.HasIndex(x => x.AnswerId);
            e.HasOne<CleaningRunRecord>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AnnotationScore>().WithMany().HasForeignKey(x => x.AnswerId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<QuotaSlot>(e =>
        {
            e.ToTable("quota_slots", t => t.HasCheckConstraint("ck_quota_slots_slot", "slot >= 1"));
            e.HasIndex(x => new { x.ItemKind, x.ItemId, x.GroupKey, x.Slot }).IsUnique();
            e.HasIndex(x => new { x.ItemKind, x.ItemId, x.ParticipantId }).IsUnique();
            e.HasIndex(x => x.StudyId);
            e.HasIndex(x => x.ParticipantId);
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AppliedRequest>(e =>
        {
            e.ToTable("applied_requests");
            e.HasIndex(x => new { x.ParticipantId, x.Kind, x.ClientRequestId }).IsUnique();
            e.HasIndex(x => x.AssignmentId);
            e.HasIndex(x => x.ImageId);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Assignment>().WithMany().HasForeignKey(x => x.AssignmentId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Image>().WithMany().HasForeignKey(x => x.ImageId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<PanelEntry>(e =>
        {
            e.ToTable("panel_entries");
            // One participant per panel id and study: a second entry (or two at once) resumes, never duplicates.
            e.HasIndex(x => new { x.StudyId, x.PanelParticipantId }).IsUnique();
            e.HasIndex(x => x.ParticipantId).IsUnique();
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.Ids).HasConversion(
                new ValueConverter<Dictionary<string, string>, string>(
                    v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
                    v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, JsonSerializerOptions.Default) ?? new Dictionary<string, string>()),
                new ValueComparer<Dictionary<string, string>>(
                    (a, b) => a == null ? b == null : b != null && a.Count == b.Count && !a.Except(b).Any(),
                    v => v.Aggregate(0, (h, kv) => h ^ HashCode.Combine(kv.Key, kv.Value)),
                    v => new Dictionary<string, string>(v)));
        });

        modelBuilder.Entity<SyntheticRun>(e =>
        {
            e.ToTable("synthetic_runs");
            e.HasIndex(x => new { x.StudyId, x.Name }).IsUnique();
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Job>(e =>
        {
            e.ToTable("jobs");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Ignore(x => x.Active);
            e.HasIndex(x => new { x.State, x.RunAfter });
            e.HasIndex(x => new { x.StudyId, x.Kind });
            e.HasIndex(x => x.ExclusiveKey).IsUnique().HasFilter("exclusive_key IS NOT NULL AND state IN (0, 1)");
            e.HasOne<Study>().WithMany().HasForeignKey(x => x.StudyId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.RequestedBy).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<SyntheticAnswer>(e =>
        {
            e.ToTable("synthetic_answers");
            // One answer per persona and item as shown: a resumed run skips what is there.
            e.HasIndex(x => new { x.RunId, x.PersonaKey, x.ItemKey }).IsUnique();
            e.HasIndex(x => x.CacheKey);
            e.HasIndex(x => x.PairId);
            e.HasIndex(x => x.ImageId);
            e.HasOne<SyntheticRun>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Pair>().WithMany().HasForeignKey(x => x.PairId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Image>().WithMany().HasForeignKey(x => x.ImageId).OnDelete(DeleteBehavior.Cascade);
            StringList(e.Property(x => x.CriteriaShown));
            e.Property(x => x.Scores).HasConversion(
                new ValueConverter<List<double>, string>(
                    v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
                    v => JsonSerializer.Deserialize<List<double>>(v, JsonSerializerOptions.Default) ?? new List<double>()),
                new ValueComparer<List<double>>(
                    (a, b) => a == null ? b == null : b != null && a.SequenceEqual(b),
                    v => v.Aggregate(0, (h, x) => HashCode.Combine(h, x)),
                    v => v.ToList()));
            e.Property(x => x.Persona).HasConversion(
                new ValueConverter<Dictionary<string, string>, string>(
                    v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
                    v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, JsonSerializerOptions.Default) ?? new Dictionary<string, string>()),
                new ValueComparer<Dictionary<string, string>>(
                    (a, b) => a == null ? b == null : b != null && a.Count == b.Count && !a.Except(b).Any(),
                    v => v.Aggregate(0, (h, kv) => h ^ HashCode.Combine(kv.Key, kv.Value)),
                    v => new Dictionary<string, string>(v)));
        });

        modelBuilder.Entity<ArchivedRow>(e =>
        {
            e.ToTable("archived_rows");
            e.HasIndex(x => x.ParticipantId);
            e.HasOne<Participant>().WithMany().HasForeignKey(x => x.ParticipantId).OnDelete(DeleteBehavior.Cascade);
        });

        // Shared by app instances (SharedState reads and writes them with plain SQL); mapped so the schema is checked.
        modelBuilder.Entity<DataProtectionKeyRow>(e =>
        {
            e.ToTable("data_protection_keys");
            e.HasIndex(x => x.FriendlyName).IsUnique();
        });
        modelBuilder.Entity<RateLimitWindow>(e =>
        {
            e.ToTable("rate_limit_windows");
            e.HasKey(x => x.Key);
            e.HasIndex(x => x.WindowStart);
        });

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
            }

            foreach (var index in entity.GetIndexes())
            {
                index.SetDatabaseName($"ix_{entity.GetTableName()}_{string.Join('_', index.Properties.Select(p => SnakeCase(p.Name)))}");
            }
        }
    }

    private static void Localized(PropertyBuilder<LocalizedText> property) =>
        property.HasConversion(
            new ValueConverter<LocalizedText, string>(
                v => JsonSerializer.Serialize(v.ToDictionary(kv => kv.Key, kv => kv.Value), JsonSerializerOptions.Default),
                v => new LocalizedText(JsonSerializer.Deserialize<Dictionary<string, string>>(v, JsonSerializerOptions.Default) ?? new Dictionary<string, string>())),
            new ValueComparer<LocalizedText>(
                (a, b) => a == null ? b == null : a.Equals(b),
                v => v.GetHashCode(),
                v => v.Clone()));

    /// <summary>A string list as stored (JSON text), as the model reads it: for plain SQL reads of such a column.</summary>
    public static List<string> StringListOf(string json) =>
        JsonSerializer.Deserialize<List<string>>(json, JsonSerializerOptions.Default) ?? new List<string>();

    private static void StringList(PropertyBuilder<List<string>> property) =>
        property.HasConversion(
            new ValueConverter<List<string>, string>(
                v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
                v => StringListOf(v)),
            new ValueComparer<List<string>>(
                (a, b) => a == null ? b == null : b != null && a.SequenceEqual(b),
                v => v.Aggregate(0, (h, s) => HashCode.Combine(h, s)),
                v => v.ToList()));

    // [{"key":"harm-self","text":{"en":"…","fr":"…"}}]
    private static void LikertItems(PropertyBuilder<List<LikertItem>> property) =>
        property.HasConversion(
            new ValueConverter<List<LikertItem>, string>(
                v => JsonSerializer.Serialize(v.Select(i => new LikertItemJson(i.Key, i.Text.ToDictionary(kv => kv.Key, kv => kv.Value))).ToList(), JsonSerializerOptions.Web),
                v => (JsonSerializer.Deserialize<List<LikertItemJson>>(v, JsonSerializerOptions.Web) ?? new List<LikertItemJson>())
                    .Select(j => new LikertItem { Key = j.Key, Text = new LocalizedText(j.Text) }).ToList()),
            new ValueComparer<List<LikertItem>>(
                (a, b) => a == null ? b == null : b != null && a.Count == b.Count && a.Zip(b).All(p => p.First.Key == p.Second.Key && p.First.Text.Equals(p.Second.Text)),
                v => v.Aggregate(0, (h, i) => HashCode.Combine(h, i.Key, i.Text.GetHashCode())),
                v => v.Select(i => new LikertItem { Key = i.Key, Text = i.Text.Clone() }).ToList()));

    private sealed record LikertItemJson(string Key, Dictionary<string, string> Text);

    private sealed class UnixMillisecondsConverter : ValueConverter<DateTimeOffset, long>
    {
        public UnixMillisecondsConverter()
            : base(v => v.ToUnixTimeMilliseconds(), v => DateTimeOffset.FromUnixTimeMilliseconds(v))
        {
        }
    }

    private sealed class UtcConverter : ValueConverter<DateTimeOffset, DateTimeOffset>
    {
        public UtcConverter()
            : base(v => v.ToUniversalTime(), v => v)
        {
        }
    }

    /// <summary>
    /// Durability and integrity settings applied to every SQLite connection EF opens. They belong to the SQLite
    /// connection handle, which Microsoft.Data.Sqlite pools and hands out again on the next open: each handle gets them
    /// once (EF opens and closes the connection around every query, and parsing four pragmas each time was measurable).
    /// </summary>
    internal sealed class SqlitePragmas : DbConnectionInterceptor
    {
        public static readonly SqlitePragmas Instance = new();

        // The handles already set up; weak, so a handle closed for good (a cleared pool) leaves with its object.
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Applied = [];

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            if (IsApplied(connection))
            {
                return;
            }

            using var command = connection.CreateCommand();
            command.CommandText = PluralistDatabase.SqliteConnectionPragmas;
            command.ExecuteNonQuery();
            MarkApplied(connection);
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (IsApplied(connection))
            {
                return;
            }

            await using var command = connection.CreateCommand();
            command.CommandText = PluralistDatabase.SqliteConnectionPragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
            MarkApplied(connection);
        }

        private static bool IsApplied(DbConnection connection) =>
            connection is Microsoft.Data.Sqlite.SqliteConnection { Handle: { } handle } && Applied.TryGetValue(handle, out _);

        private static void MarkApplied(DbConnection connection)
        {
            if (connection is Microsoft.Data.Sqlite.SqliteConnection { Handle: { } handle })
            {
                Applied.AddOrUpdate(handle, handle);
            }
        }
    }
}
