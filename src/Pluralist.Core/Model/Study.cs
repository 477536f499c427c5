namespace Pluralist.Core.Model;

/// <summary>A preference study: its criteria, settings, consent documents and batches.</summary>
public sealed class Study
{
    public long Id { get; set; }

    /// <summary>Stable, URL-safe key (<c>livs-default</c>); unique across the database.</summary>
    public string Key { get; set; } = "";

    public LocalizedText Title { get; set; } = new();

    public LocalizedText Description { get; set; } = new();

    public TaskType TaskType { get; set; } = TaskType.Pairwise;

    /// <summary>How many criteria each pairwise assignment shows (LIVS: 3 of 6).</summary>
    public int CriteriaPerPair { get; set; } = 3;

    /// <summary>Steps of the slider on each side of neutral; 0 means continuous.</summary>
    public int SliderSteps { get; set; }

    /// <summary>Whether the prompt is shown above the two images.</summary>
    public bool ShowPrompt { get; set; } = true;

    /// <summary>Whether joining asks for an email address verified by a one-time code.</summary>
    public bool RequireEmail { get; set; }

    /// <summary>Answers per session before a break (LIVS: 90).</summary>
    public int SessionCap { get; set; } = 90;

    public int BreakMinutes { get; set; } = 10;

    /// <summary>Share of assignments that are attention-check pairs, in [0, 1].</summary>
    public double AttentionCheckRate { get; set; }

    /// <summary>Share of assignments that are gold pairs, in [0, 1].</summary>
    public double GoldRate { get; set; }

    public WithdrawalPolicy WithdrawalPolicy { get; set; } = WithdrawalPolicy.KeepAnnotations;

    /// <summary>Smallest identity group shown in any breakdown or export (default 5).</summary>
    public int MinGroupSize { get; set; } = 5;

    /// <summary>Keys of the identity markers this study offers, in the order asked; each resolves to a question by <see cref="QuestionFor"/>.</summary>
    public List<string> IdentityMarkers { get; set; } = [];

    /// <summary>
    /// The study's own identity question definitions, in order. A key of <see cref="IdentityMarkers"/> without one
    /// here uses the LIVS preset's question of that key, else a free-text question (<see cref="QuestionFor"/>).
    /// </summary>
    public List<IdentityQuestion> IdentityQuestions { get; set; } = [];

    /// <summary>DIVE-style quotas per identity group and item; null: no quotas (the batch's overlap applies).</summary>
    public GroupQuotas? GroupQuotas { get; set; }

    /// <summary>Likert questions of the DIVE task (empty: <see cref="Defaults.LikertQuestions"/>).</summary>
    public List<LikertItem> LikertQuestions { get; set; } = [];

    /// <summary>Categories offered with each Likert answer (empty: <see cref="Defaults.LikertCategories"/>).</summary>
    public List<LikertItem> LikertCategories { get; set; } = [];

    /// <summary>The protocol page's text (LIVS App. D: instructions, expected time, device advice), per language; empty: the app's default text.</summary>
    public LocalizedText Protocol { get; set; } = new();

    /// <summary>Who participants can write to about the study (a name and an e-mail address or telephone number); shown on the protocol page.</summary>
    public string Contact { get; set; } = "";

    /// <summary>Entry through a recruitment panel's URL and what each outcome gives back; null: entry by invitation code only.</summary>
    public PanelSettings? Panel { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<Criterion> Criteria { get; set; } = [];

    public List<Batch> Batches { get; set; } = [];

    public List<ConsentDocument> ConsentDocuments { get; set; } = [];

    /// <summary>
    /// Copies every setting of <paramref name="source"/> (task, criteria per pair, slider, prompt, email, session and
    /// break, check rates, withdrawal policy, minimum group size, identity markers and questions, quotas, Likert
    /// questions and categories, protocol text, contact, panel entry) into this study, as copies it can change on its own. Not copied: id, key, texts, creation time,
    /// criteria, batches and consent documents, which each caller decides. The one place a study's settings are
    /// copied (export, a new study from a template), so a new setting cannot be carried by one and lost by the other.
    /// </summary>
    public void CopySettingsFrom(Study source)
    {
        ArgumentNullException.ThrowIfNull(source);
        TaskType = source.TaskType;
        CriteriaPerPair = source.CriteriaPerPair;
        SliderSteps = source.SliderSteps;
        ShowPrompt = source.ShowPrompt;
        RequireEmail = source.RequireEmail;
        SessionCap = source.SessionCap;
        BreakMinutes = source.BreakMinutes;
        AttentionCheckRate = source.AttentionCheckRate;
        GoldRate = source.GoldRate;
        WithdrawalPolicy = source.WithdrawalPolicy;
        MinGroupSize = source.MinGroupSize;
        IdentityMarkers = [.. source.IdentityMarkers];
        IdentityQuestions = [.. source.IdentityQuestions.Select(q => q.Clone())];
        GroupQuotas = source.GroupQuotas?.Clone();
        LikertQuestions = [.. source.LikertQuestions.Select(i => i.Clone())];
        LikertCategories = [.. source.LikertCategories.Select(i => i.Clone())];
        Protocol = source.Protocol.Clone();
        Contact = source.Contact;
        Panel = source.Panel?.Clone();
    }

    /// <summary>
    /// The question asked under <paramref name="key"/>: the study's own, else the LIVS preset's, else a free-text
    /// question named by its key. Never throws, so no stored or typed key can break a page.
    /// </summary>
    public IdentityQuestion QuestionFor(string? key)
    {
        key ??= "";
        return IdentityQuestions.FirstOrDefault(q => q.Key == key)
            ?? IdentityPresets.Livs().FirstOrDefault(q => q.Key == key)
            ?? IdentityQuestion.FreeText(key);
    }

    /// <summary>The questions asked, in the order of <see cref="IdentityMarkers"/>.</summary>
    public IReadOnlyList<IdentityQuestion> AskedQuestions() => [.. IdentityMarkers.Select(QuestionFor)];

    /// <summary>Makes <paramref name="questions"/> (copies) the study's questions and asks them, in their order.</summary>
    public void UseIdentityQuestions(IEnumerable<IdentityQuestion> questions)
    {
        ArgumentNullException.ThrowIfNull(questions);
        IdentityQuestions = [.. questions.Select(q => q.Clone())];
        IdentityMarkers = [.. IdentityQuestions.Select(q => q.Key)];
    }
}

/// <summary>A criterion participants judge (Accessibility, Safety, …), with a stable key.</summary>
public sealed class Criterion
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    /// <summary>Stable key (<c>accessibility</c>): what files, labels and analyses refer to.</summary>
    public string Key { get; set; } = "";

    public LocalizedText Name { get; set; } = new();

    public LocalizedText Definition { get; set; } = new();

    public int Position { get; set; }

    /// <summary>A retired criterion keeps its answers but is no longer shown.</summary>
    public bool Retired { get; set; }
}

/// <summary>One version of a study's consent document in one language.</summary>
public sealed class ConsentDocument
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public string Version { get; set; } = "1";

    public string Language { get; set; } = "en";

    public string Text { get; set; } = "";

    public DateTimeOffset PublishedAt { get; set; }
}

/// <summary>A period in which participants annotate (LIVS: two-week batches of about 750 comparisons).</summary>
public sealed class Batch
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public string Name { get; set; } = "";

    public DateTimeOffset OpensAt { get; set; }

    public DateTimeOffset ClosesAt { get; set; }

    /// <summary>Comparisons each participant is asked for in this batch.</summary>
    public int QuotaPerParticipant { get; set; } = 750;

    /// <summary>Answers per session before a break; overrides the study's when set.</summary>
    public int? SessionCap { get; set; }

    /// <summary>Break length in minutes; overrides the study's when set.</summary>
    public int? BreakMinutes { get; set; }

    public PairDistribution Distribution { get; set; } = PairDistribution.Random;

    /// <summary>K: how many distinct participants are given each regular pair, never more (attention checks and gold pairs go to everyone).</summary>
    public int Overlap { get; set; } = DefaultOverlap;

    /// <summary>The overlap a new batch gets unless its researcher sets another: three raters per pair, so that agreement (Krippendorff's alpha, GAI) has pairs to compare.</summary>
    public const int DefaultOverlap = 3;

    public bool IsOpen(DateTimeOffset now) => now >= OpensAt && now < ClosesAt;
}
