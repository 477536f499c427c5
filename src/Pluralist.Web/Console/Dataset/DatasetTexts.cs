using System.Collections.Frozen;
using System.Globalization;

namespace Pluralist.Web.Console.Dataset;

/// <summary>
/// The words of the dataset viewer's pages and partials in English and French. The console is in English; the public
/// viewer, which community members read, sets the reader's language for the request (<see cref="Use"/>), and the
/// partials it shares with the console read it from there.
/// </summary>
public static class DatasetTexts
{
    private const string Item = "pluralist-dataset-language";

    private static readonly FrozenDictionary<string, (string En, string Fr)> All = new Dictionary<string, (string, string)>
    {
        ["viewer"] = ("Pluralist dataset viewer", "Visionneuse de données Pluralist"),
        ["skip"] = ("Skip to the main content", "Aller au contenu principal"),
        ["viewer-nav"] = ("Viewer", "Visionneuse"),
        ["switch"] = ("Français", "English"),
        ["switch-label"] = ("Lire en français", "Read in English"),
        ["pair-answers"] = ("Pair answers", "Réponses par paire"),
        ["likert-ratings"] = ("Likert ratings", "Évaluations Likert"),
        ["footer"] = ("A read-only view of a released study bundle. It holds no identity data: raters are numbered per bundle, and no marker, group or pseudonym is kept.",
            "Une vue en lecture seule des données publiées d'une étude. Elle ne contient aucune donnée d'identité : les personnes sont numérotées dans ce jeu de données, et aucune caractéristique, aucun groupe ni pseudonyme n'est conservé."),
        ["dropped-answers"] = ("Dropped answers", "Réponses écartées"),
        ["pair-answers-of"] = ("Pair answers of “{0}”", "Réponses par paire de « {0} »"),
        ["likert-ratings-of"] = ("Likert ratings of “{0}”", "Évaluations Likert de « {0} »"),
        ["bin-0-strong"] = ("image 0 strongly", "image 0 nettement"),
        ["bin-0"] = ("image 0", "image 0"),
        ["bin-neutral"] = ("neutral", "neutre"),
        ["bin-1"] = ("image 1", "image 1"),
        ["bin-1-strong"] = ("image 1 strongly", "image 1 nettement"),
        ["prompt"] = ("Prompt", "Description"),
        ["all-prompts"] = ("All prompts", "Toutes les descriptions"),
        ["criterion"] = ("Criterion", "Critère"),
        ["all-criteria"] = ("All criteria", "Tous les critères"),
        ["preference-from"] = ("Preference from (-1 = image 0 strongly)", "Préférence à partir de (-1 = image 0 nettement)"),
        ["preference-to"] = ("Preference up to (+1 = image 1 strongly)", "Préférence jusqu'à (+1 = image 1 nettement)"),
        ["filter"] = ("Filter", "Filtrer"),
        ["dropped-match"] = ("{0} dropped answers match.", "{0} réponses écartées correspondent."),
        ["reasons-caption"] = ("Dropped answers per reason (the first rule, in order, that matched each answer)", "Réponses écartées par raison (la première règle, dans l'ordre, qui s'applique à chaque réponse)"),
        ["reason"] = ("Reason", "Raison"),
        ["rule"] = ("Rule", "Règle"),
        ["plain-words"] = ("In plain words", "En clair"),
        ["answers"] = ("Answers", "Réponses"),
        ["dropped-caption"] = ("Dropped answers, oldest first, with the reason each was dropped (raters numbered per bundle)", "Réponses écartées, les plus anciennes d'abord, avec la raison de chacune (personnes numérotées dans ce jeu de données)"),
        ["answer"] = ("Answer", "Réponse"),
        ["pair"] = ("Pair", "Paire"),
        ["preference"] = ("Preference", "Préférence"),
        ["rater"] = ("Rater", "Personne"),
        ["rater-n"] = ("rater {0}", "personne {0}"),
        ["pairs-match"] = ("{0} pairs with {1} criterion answers match", "{0} paires avec {1} réponses par critère correspondent"),
        ["page-most-answered"] = ("; page {0} of {1}, most answered first", " ; page {0} sur {1}, les plus répondues d'abord"),
        ["pairs-caption"] = ("Pairs and the distribution of their slider answers, oriented to the pair (which image was preferred, whatever side it was shown on)",
            "Les paires et la répartition des réponses au curseur, orientées selon la paire (quelle image a été préférée, quel que soit le côté où elle était montrée)"),
        ["images"] = ("Images", "Images"),
        ["mean"] = ("Mean", "Moyenne"),
        ["not-answered"] = ("Not answered", "Sans réponse"),
        ["open-pair-image"] = ("Open image {0} of pair {1} at full size", "Ouvrir l'image {0} de la paire {1} en taille réelle"),
        ["pair-image"] = ("Image {0} of pair {1}", "Image {0} de la paire {1}"),
        ["cleaning"] = ("Cleaning", "Nettoyage"),
        ["bundle-uncleaned"] = ("This bundle carries no cleaning results and the viewer was started without cleaning: the answers below are",
            "Ce jeu de données ne porte pas de résultats de nettoyage et la visionneuse a été lancée sans nettoyage : les réponses ci-dessous sont"),
        ["raw-uncleaned"] = ("raw, uncleaned", "brutes, non nettoyées"),
        ["n-answers"] = ("({0} answers)", "({0} réponses)"),
        ["cleaned-at-start"] = ("Cleaned when this viewer started (rules {0}, {1}): {2} answers kept, {3} dropped.",
            "Nettoyées au lancement de la visionneuse (règles {0}, {1}) : {2} réponses gardées, {3} écartées."),
        ["kept-or-dropped-answers"] = ("Kept or dropped answers", "Réponses gardées ou écartées"),
        ["kept-by-cleaning"] = ("Kept by cleaning ({0})", "Gardées par le nettoyage ({0})"),
        ["dropped-by-cleaning"] = ("Dropped by cleaning, with reasons ({0})", "Écartées par le nettoyage, avec les raisons ({0})"),
        ["pages"] = ("Pages", "Pages"),
        ["previous-page"] = ("Previous page", "Page précédente"),
        ["page-of"] = ("Page {0} of {1}", "Page {0} sur {1}"),
        ["next-page"] = ("Next page", "Page suivante"),
        ["ratings-cleaning"] = ("Cleaning of the ratings", "Nettoyage des évaluations"),
        ["ratings-not-cleaned"] = ("These ratings were not cleaned: all {0} are shown,", "Ces évaluations n'ont pas été nettoyées : les {0} sont toutes montrées,"),
        ["uncleaned"] = ("uncleaned", "non nettoyées"),
        ["ratings-cleaned"] = ("Ratings cleaned by the Likert rules of the report (too fast, straight-lining, failed attention items): {0} kept, {1} dropped.",
            "Évaluations nettoyées par les règles Likert du rapport (trop rapides, même valeur répétée, questions d'attention manquées) : {0} gardées, {1} écartées."),
        ["kept-or-dropped-ratings"] = ("Kept or dropped ratings", "Évaluations gardées ou écartées"),
        ["question"] = ("Question", "Question"),
        ["all-questions"] = ("All questions", "Toutes les questions"),
        ["category-ticked"] = ("Category ticked", "Catégorie cochée"),
        ["any-or-none"] = ("Any or none", "N'importe laquelle ou aucune"),
        ["ratings-match"] = ("{0} ratings match", "{0} évaluations correspondent"),
        ["dropped-ratings-match"] = ("{0} dropped ratings match", "{0} évaluations écartées correspondent"),
        ["page-n-of"] = ("; page {0} of {1}", " ; page {0} sur {1}"),
        ["questions-caption"] = ("Ratings per question (1 = not at all, 5 = extremely), with the category filter", "Évaluations par question (1 = pas du tout, 5 = extrêmement), avec le filtre de catégorie"),
        ["ratings"] = ("Ratings", "Évaluations"),
        ["ratings-reasons-caption"] = ("Dropped ratings per reason", "Évaluations écartées par raison"),
        ["ratings-caption"] = ("Likert ratings, oldest first", "Évaluations Likert, les plus anciennes d'abord"),
        ["rating"] = ("Rating", "Évaluation"),
        ["image"] = ("Image", "Image"),
        ["value"] = ("Value", "Valeur"),
        ["categories"] = ("Categories", "Catégories"),
        ["participant"] = ("Participant", "Participant"),
        ["open-image"] = ("Open image {0} at full size", "Ouvrir l'image {0} en taille réelle"),
        ["image-prompt"] = ("Image {0}: {1}", "Image {0} : {1}"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every key with its English and French text (for the test that each has both).</summary>
    public static IReadOnlyDictionary<string, (string En, string Fr)> Entries => All;

    /// <summary>Shows this request's dataset pages in <paramref name="language"/> ("fr"; anything else is English).</summary>
    public static void Use(HttpContext ctx, string language)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.Items[Item] = language == "fr" ? "fr" : "en";
    }

    /// <summary>This request's language for the dataset pages: "en" unless the public viewer chose "fr".</summary>
    public static string Language(HttpContext ctx) =>
        ctx?.Items.TryGetValue(Item, out var language) == true && language is "fr" ? "fr" : "en";

    /// <summary>The text of <paramref name="key"/> in this request's language.</summary>
    public static string T(HttpContext ctx, string key)
    {
        var (en, fr) = All[key];
        return Language(ctx) == "fr" ? fr : en;
    }

    /// <summary>The text of <paramref name="key"/>, formatted with <paramref name="args"/> (invariant numbers).</summary>
    public static string T(HttpContext ctx, string key, params object?[] args) =>
        string.Format(CultureInfo.InvariantCulture, T(ctx, key), args);
}
