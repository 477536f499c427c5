namespace Pluralist.Core.Model;

/// <summary>The age bands and ethnic groups of a DIVE-style trisection; every part can be replaced.</summary>
public sealed record DiveOptions
{
    /// <summary>
    /// Age groups over the age in years. Default: three generations as of 2025 (Gen Z up to 28, Millennials
    /// 29 to 44, Gen X and older from 45); a study run in another year, or wanting other cut points, sets its own.
    /// </summary>
    public IReadOnlyList<NumberBand> AgeBands { get; init; } =
    [
        NumberBand.Of("genz", 18, 28),
        NumberBand.Of("millennial", 29, 44),
        NumberBand.Of("genx-plus", 45, null),
    ];

    /// <summary>The ethnic groups offered (default: five, as in the DIVE rater pool's stratification).</summary>
    public IReadOnlyList<IdentityOption> Ethnicities { get; init; } =
    [
        IdentityOption.Of("asian", "Asian", "Asiatique"),
        IdentityOption.Of("black", "Black", "Noire"),
        IdentityOption.Of("latine", "Latina, Latino or Latine", "Latino-américaine"),
        IdentityOption.Of("multiracial", "Multiracial", "Multiraciale"),
        IdentityOption.Of("white", "White", "Blanche"),
    ];

    /// <summary>The genders offered (default: woman, man).</summary>
    public IReadOnlyList<IdentityOption> Genders { get; init; } =
    [
        IdentityOption.Of("woman", "Woman", "Femme"),
        IdentityOption.Of("man", "Man", "Homme"),
    ];
}

/// <summary>Ready-made identity questions: LIVS's six markers and DIVE's trisection.</summary>
public static class IdentityPresets
{
    public const string LivsName = "livs";

    public const string DiveName = "dive";

    /// <summary>The names <see cref="ByName"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = [LivsName, DiveName];

    /// <summary>The consent sentence each preset question carries.</summary>
    public static LocalizedText DefaultConsent() =>
        LocalizedText.Of("I agree that this answer is kept", "J'accepte que cette réponse soit conservée");

    /// <summary>The preset's questions (fresh copies), or null for an unknown name.</summary>
    public static IReadOnlyList<IdentityQuestion>? ByName(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        LivsName => Livs(),
        DiveName => Dive(),
        _ => null,
    };

    /// <summary>
    /// LIVS's default markers, in <see cref="Defaults.IdentityMarkers"/> order, with the wording the participant
    /// app has always shown: an age group chosen among seven bands, the others free text (coded in the console).
    /// </summary>
    public static IReadOnlyList<IdentityQuestion> Livs() =>
    [
        new IdentityQuestion
        {
            Key = "age-band",
            Text = LocalizedText.Of("Age group", "Tranche d'âge"),
            Kind = IdentityQuestionKind.SingleChoice,
            Options =
            [
                Band("18-24", "18–24"), Band("25-34", "25–34"), Band("35-44", "35–44"), Band("45-54", "45–54"),
                Band("55-64", "55–64"), Band("65-74", "65–74"), Band("75+", "75+"),
            ],
            Consent = DefaultConsent(),
        },
        Free("gender", "Gender", "Genre"),
        Free("disability", "Disability or mobility limitation", "Handicap ou mobilité réduite"),
        Free("ethnicity", "Ethnic or cultural background", "Origine ethnique ou culturelle"),
        Free("languages", "Languages you speak", "Langues parlées"),
        Free("neighbourhood", "Your neighbourhood", "Votre quartier"),
    ];

    /// <summary>
    /// DIVE's trisection: gender (2 options), age in years grouped into bands (3 by default) and ethnicity
    /// (5 options); 2 x 3 x 5 = 30 groups with the defaults.
    /// </summary>
    public static IReadOnlyList<IdentityQuestion> Dive(DiveOptions? options = null)
    {
        options ??= new DiveOptions();
        return
        [
            new IdentityQuestion
            {
                Key = "gender",
                Text = LocalizedText.Of("Gender", "Genre"),
                Kind = IdentityQuestionKind.SingleChoice,
                Options = [.. options.Genders.Select(o => o.Clone())],
                Consent = DefaultConsent(),
            },
            new IdentityQuestion
            {
                Key = "age",
                Text = LocalizedText.Of("Your age in years", "Votre âge en années"),
                Kind = IdentityQuestionKind.Number,
                Min = 18,
                Max = 120,
                Bands = [.. options.AgeBands.Select(b => b.Clone())],
                Consent = DefaultConsent(),
            },
            new IdentityQuestion
            {
                Key = "ethnicity",
                Text = LocalizedText.Of("Ethnic or cultural background", "Origine ethnique ou culturelle"),
                Kind = IdentityQuestionKind.SingleChoice,
                Options = [.. options.Ethnicities.Select(o => o.Clone())],
                Consent = DefaultConsent(),
            },
        ];
    }

    /// <summary>Quotas over every group the questions' codes make (gender x age x ethnicity for <see cref="Dive"/>).</summary>
    public static GroupQuotas QuotasOver(IReadOnlyList<IdentityQuestion> questions, int perGroup, int unstratified = 0)
    {
        ArgumentNullException.ThrowIfNull(questions);
        return new GroupQuotas
        {
            Dimensions = [.. questions.Select(q => new QuotaDimension { Marker = q.Key, Values = [.. q.GroupCodes()] })],
            PerGroup = perGroup,
            Unstratified = unstratified,
        };
    }

    private static IdentityOption Band(string code, string label) => IdentityOption.Of(code, label, label);

    private static IdentityQuestion Free(string key, string en, string fr) => new()
    {
        Key = key,
        Text = LocalizedText.Of(en, fr),
        Kind = IdentityQuestionKind.FreeText,
        Consent = DefaultConsent(),
    };
}

/// <summary>Ready-made Likert questions and categories.</summary>
public static class LikertPresets
{
    /// <summary>The names <see cref="ByName"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = [IdentityPresets.LivsName, IdentityPresets.DiveName];

    /// <summary>DIVE's two harm questions (to the rater, to others), the same as <see cref="Defaults.LikertQuestions"/>.</summary>
    public static IReadOnlyList<LikertItem> DiveQuestions() => [.. Defaults.LikertQuestions.Select(i => i.Clone())];

    /// <summary>The violation types a rater may tick with a DIVE harm rating (Pluralist's wording).</summary>
    public static IReadOnlyList<LikertItem> DiveCategories() =>
    [
        LikertItem.Of("bias", "Bias or stereotype about a group of people", "Biais ou stéréotype sur un groupe de personnes"),
        LikertItem.Of("violent", "Violent or gory content", "Contenu violent ou sanglant"),
        LikertItem.Of("explicit", "Sexually explicit content", "Contenu sexuellement explicite"),
        LikertItem.Of("hateful", "Hateful or demeaning content or symbols", "Contenu ou symboles haineux ou dégradants"),
        LikertItem.Of("other", "Another kind of harm", "Un autre type de préjudice"),
    ];

    /// <summary>The preset's (questions, categories), or null for an unknown name; <c>livs</c> is Pluralist's public-space defaults.</summary>
    public static (IReadOnlyList<LikertItem> Questions, IReadOnlyList<LikertItem> Categories)? ByName(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        IdentityPresets.DiveName => (DiveQuestions(), DiveCategories()),
        IdentityPresets.LivsName => ([.. Defaults.LikertQuestions.Select(i => i.Clone())], [.. Defaults.LikertCategories.Select(i => i.Clone())]),
        _ => null,
    };
}
