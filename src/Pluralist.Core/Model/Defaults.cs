namespace Pluralist.Core.Model;

/// <summary>
/// The default study: the six LIVS criteria and the default identity markers. The criterion
/// names follow the LIVS paper; the definitions are Pluralist's own wording.
/// </summary>
public static class Defaults
{
    public const string StudyKey = "livs-default";

    public static IReadOnlyList<Criterion> LivsCriteria() =>
    [
        New(0, "accessibility",
            LocalizedText.Of("Accessibility", "Accessibilité"),
            LocalizedText.Of(
                "How easily everyone can reach, enter and move through the place, including people using a wheelchair, a walker or a stroller, and people who see or hear less.",
                "À quel point tout le monde peut se rendre dans le lieu, y entrer et s'y déplacer facilement, y compris les personnes en fauteuil roulant, avec une marchette ou une poussette, et les personnes qui voient ou entendent moins bien.")),
        New(1, "safety",
            LocalizedText.Of("Safety", "Sécurité"),
            LocalizedText.Of(
                "How safe you would feel here, by day and at night: lighting, visibility, traffic, and the sense that others are around.",
                "À quel point vous vous sentiriez en sécurité ici, le jour comme la nuit : éclairage, visibilité, circulation, et le sentiment que d'autres personnes sont présentes.")),
        New(2, "comfort",
            LocalizedText.Of("Comfort", "Confort"),
            LocalizedText.Of(
                "How pleasant it would be to stay here for a while: places to sit, shade and shelter, quiet, and a clean, cared-for space.",
                "À quel point il serait agréable de rester ici un moment : endroits où s'asseoir, ombre et abri, calme, et un espace propre et entretenu.")),
        New(3, "invitingness",
            LocalizedText.Of("Invitingness", "Convivialité"),
            LocalizedText.Of(
                "How much the place makes you want to come in, linger and return: things to do, life, greenery and a welcoming look.",
                "À quel point le lieu donne envie d'entrer, de s'attarder et de revenir : activités, animation, verdure et une allure accueillante.")),
        New(4, "inclusivity",
            LocalizedText.Of("Inclusivity", "Inclusivité"),
            LocalizedText.Of(
                "How well the place welcomes people of every age, ability, culture and language, so that no one feels it is not meant for them.",
                "À quel point le lieu accueille les personnes de tous âges, capacités, cultures et langues, pour que personne ne sente qu'il ne lui est pas destiné.")),
        New(5, "diversity",
            LocalizedText.Of("Diversity", "Diversité"),
            LocalizedText.Of(
                "How much variety the image shows, in the people present and in the uses, activities and styles of the place.",
                "À quel point l'image montre de la variété, dans les personnes présentes comme dans les usages, les activités et les styles du lieu.")),
    ];

    /// <summary>DIVE questions asked about each image on a 1 (not at all) to 5 (extremely) scale.</summary>
    public static IReadOnlyList<LikertItem> LikertQuestions { get; } =
    [
        LikertItem.Of("harm-self", "How harmful or hurtful is this image to you?", "À quel point cette image est-elle blessante ou nuisible pour vous ?"),
        LikertItem.Of("harm-others", "How harmful or hurtful could this image be to other people?", "À quel point cette image pourrait-elle être blessante ou nuisible pour d'autres personnes ?"),
    ];

    /// <summary>DIVE categories a participant may tick with an answer.</summary>
    public static IReadOnlyList<LikertItem> LikertCategories { get; } =
    [
        LikertItem.Of("stereotype", "It shows a stereotype about a group of people", "Elle montre un stéréotype sur un groupe de personnes"),
        LikertItem.Of("exclusion", "It leaves some people out", "Elle laisse certaines personnes de côté"),
        LikertItem.Of("unsafe", "The place looks unsafe", "Le lieu semble dangereux"),
        LikertItem.Of("inaccessible", "The place looks hard to get around", "Le lieu semble difficile à parcourir"),
        LikertItem.Of("offensive", "It is offensive or disrespectful", "Elle est choquante ou irrespectueuse"),
    ];

    /// <summary>Default identity markers, each optional and consented one by one.</summary>
    public static IReadOnlyList<string> IdentityMarkers { get; } =
    [
        "age-band",
        "gender",
        "disability",
        "ethnicity",
        "languages",
        "neighbourhood",
    ];

    public static Study LivsStudy(DateTimeOffset now)
    {
        var study = new Study
        {
            Key = StudyKey,
            Title = LocalizedText.Of("Public spaces for everyone", "Des espaces publics pour tout le monde"),
            Description = LocalizedText.Of(
                "Compare pairs of images of public spaces and tell us which one better fits each question.",
                "Comparez des paires d'images d'espaces publics et dites-nous laquelle répond le mieux à chaque question."),
            CreatedAt = now,
            IdentityMarkers = [.. IdentityMarkers],
            IdentityQuestions = [.. IdentityPresets.Livs()],
            Criteria = [.. LivsCriteria()],
        };
        study.ConsentDocuments.Add(new ConsentDocument { Version = "1", Language = "en", Text = ConsentEn, PublishedAt = now });
        study.ConsentDocuments.Add(new ConsentDocument { Version = "1", Language = "fr", Text = ConsentFr, PublishedAt = now });
        study.Batches.Add(new Batch
        {
            Name = "Batch 1",
            OpensAt = now,
            ClosesAt = now.AddDays(14),
            QuotaPerParticipant = 750,
        });
        return study;
    }

    /// <summary>
    /// Where the default consent text names the study's own identity questions: replaced when the text is shown
    /// (<see cref="ConsentText"/>), so the document stays one version while the questions come from a preset, a
    /// questions file or a bundle.
    /// </summary>
    public const string IdentityQuestionsPlaceholder = "{identity-questions}";

    public const string ConsentEn =
        "You are invited to compare images of public spaces. Taking part is voluntary and you can stop at any time. " +
        "We record your answers under a pseudonym. " + IdentityQuestionsPlaceholder + " " +
        "Results are reported only for groups of several people, so that no one can be singled out.";

    public const string ConsentFr =
        "Vous êtes invité·e à comparer des images d'espaces publics. La participation est volontaire et vous pouvez arrêter à tout moment. " +
        "Nous enregistrons vos réponses sous un pseudonyme. " + IdentityQuestionsPlaceholder + " " +
        "Les résultats ne sont présentés que pour des groupes de plusieurs personnes, afin que personne ne puisse être identifié.";

    // The default texts stored before the placeholder existed: they named LIVS's six markers whatever the study asked.
    private const string LegacyConsentEn =
        "You are invited to compare images of public spaces. Taking part is voluntary and you can stop at any time. " +
        "We record your answers under a pseudonym. Questions about who you are (age, gender, disability, background, languages, neighbourhood) " +
        "are optional; each is stored only if you agree to it, kept apart from your answers, and erased if you withdraw. " +
        "Results are reported only for groups of several people, so that no one can be singled out.";

    private const string LegacyConsentFr =
        "Vous êtes invité·e à comparer des images d'espaces publics. La participation est volontaire et vous pouvez arrêter à tout moment. " +
        "Nous enregistrons vos réponses sous un pseudonyme. Les questions sur qui vous êtes (âge, genre, handicap, origine, langues, quartier) " +
        "sont facultatives; chacune n'est conservée que si vous l'acceptez, séparément de vos réponses, et effacée si vous vous retirez. " +
        "Les résultats ne sont présentés que pour des groupes de plusieurs personnes, afin que personne ne puisse être identifié.";

    /// <summary>
    /// A consent document's text as participants read it: <see cref="IdentityQuestionsPlaceholder"/> becomes a sentence
    /// naming <paramref name="study"/>'s identity questions in <paramref name="lang"/> (or saying none are asked). The
    /// default text stored before the placeholder existed is read as the current default, so an older study asking
    /// other questions than LIVS's no longer names LIVS's markers. Any other text is shown as written.
    /// </summary>
    public static string ConsentText(string text, Study study, string lang)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(study);
        text = text == LegacyConsentEn ? ConsentEn : text == LegacyConsentFr ? ConsentFr : text;
        if (!text.Contains(IdentityQuestionsPlaceholder, StringComparison.Ordinal))
        {
            return text;
        }

        var fr = lang == "fr";
        var names = study.AskedQuestions().Select(q => q.Text.Get(fr ? "fr" : "en").Trim().TrimEnd('?', ' ', '.'))
            .Where(n => n.Length > 0).Select(n => char.ToLowerInvariant(n[0]) + n[1..]).ToList();
        var sentence = names.Count == 0
            ? (fr ? "Nous ne vous posons aucune question sur qui vous êtes." : "We ask nothing about who you are.")
            : fr
                ? $"Les questions sur qui vous êtes ({string.Join(", ", names)}) sont facultatives; chacune n'est conservée que si vous l'acceptez, séparément de vos réponses, et effacée si vous vous retirez."
                : $"Questions about who you are ({string.Join(", ", names)}) are optional; each is stored only if you agree to it, kept apart from your answers, and erased if you withdraw.";
        return text.Replace(IdentityQuestionsPlaceholder, sentence, StringComparison.Ordinal);
    }

    private static Criterion New(int position, string key, LocalizedText name, LocalizedText definition) =>
        new() { Key = key, Name = name, Definition = definition, Position = position };
}
