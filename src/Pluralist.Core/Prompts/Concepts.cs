namespace Pluralist.Core.Prompts;

/// <summary>A concept word found in a prompt: its character span and its category.</summary>
public sealed record ConceptMatch(int Start, int Length, string Category, string Word);

/// <summary>
/// Concept words for public-space prompts, per category and language (LIVS augmentation: scenario keywords and template
/// refills). Categories: typologies, amenities, nature, places, people, architecture, transport, art, times and seasons,
/// animals. Words are lower case; multi-word entries are matched as phrases.
/// </summary>
public static class Concepts
{
    public const string Typologies = "typologies";
    public const string Amenities = "amenities";
    public const string Nature = "nature";
    public const string Places = "places";
    public const string People = "people";
    public const string Architecture = "architecture";
    public const string Transport = "transport";
    public const string Art = "art";
    public const string TimesAndSeasons = "times-and-seasons";
    public const string Animals = "animals";

    /// <summary>The category names in a fixed order.</summary>
    public static IReadOnlyList<string> Categories { get; } =
        [Typologies, Amenities, Nature, Places, People, Architecture, Transport, Art, TimesAndSeasons, Animals];

    private static readonly Dictionary<string, Dictionary<string, string[]>> Lists = new(StringComparer.Ordinal)
    {
        ["en"] = new(StringComparer.Ordinal)
        {
            [Typologies] = ["park", "plaza", "square", "playground", "community garden", "waterfront", "pedestrian street", "schoolyard", "market", "alley", "courtyard", "riverbank", "promenade", "pocket park", "public library"],
            [Amenities] = ["benches", "picnic tables", "water fountain", "public toilets", "shade structure", "wheelchair ramp", "bike racks", "lighting", "playground equipment", "outdoor gym", "wifi hotspot", "trash bins", "kiosk", "stage", "splash pad"],
            [Nature] = ["trees", "flowers", "grass", "pond", "river", "hedges", "wildflowers", "vegetable beds", "fountain", "green roof", "rain garden", "shrubs", "vines", "meadow"],
            [Places] = ["montreal", "downtown", "suburb", "neighbourhood", "village", "old port", "university campus", "industrial district", "city centre", "residential street", "mountain", "island"],
            [People] = ["children", "elderly people", "families", "teenagers", "wheelchair users", "cyclists", "joggers", "students", "workers", "tourists", "neighbours", "parents with strollers", "dog walkers", "street musicians"],
            [Architecture] = ["brick buildings", "glass towers", "row houses", "murals wall", "arcade", "pergola", "pavilion", "staircase", "bridge", "church", "apartment blocks", "heritage facade", "gazebo"],
            [Transport] = ["bike lane", "bus stop", "metro station", "crosswalk", "tram", "sidewalk", "parking", "scooters", "car-free street", "bicycle", "bus", "footbridge"],
            [Art] = ["mural", "sculpture", "street art", "mosaic", "installation", "graffiti", "public piano", "light installation", "totem", "fresco"],
            [TimesAndSeasons] = ["morning", "afternoon", "evening", "night", "sunset", "winter", "spring", "summer", "autumn", "snow", "rain", "weekend", "festival day"],
            [Animals] = ["dogs", "birds", "pigeons", "squirrels", "ducks", "cats", "butterflies", "bees", "geese", "horses"],
        },
        ["fr"] = new(StringComparer.Ordinal)
        {
            [Typologies] = ["parc", "place publique", "square", "terrain de jeux", "jardin communautaire", "bord de l'eau", "rue piétonne", "cour d'école", "marché", "ruelle", "cour intérieure", "berge", "promenade", "parc de poche", "bibliothèque publique"],
            [Amenities] = ["bancs", "tables de pique-nique", "fontaine à boire", "toilettes publiques", "structure d'ombrage", "rampe d'accès", "supports à vélos", "éclairage", "modules de jeux", "gym extérieur", "borne wifi", "poubelles", "kiosque", "scène", "jeux d'eau"],
            [Nature] = ["arbres", "fleurs", "gazon", "étang", "rivière", "haies", "fleurs sauvages", "potagers", "fontaine", "toit vert", "jardin de pluie", "arbustes", "vignes", "prairie"],
            [Places] = ["montréal", "centre-ville", "banlieue", "quartier", "village", "vieux-port", "campus universitaire", "quartier industriel", "cœur de la ville", "rue résidentielle", "montagne", "île"],
            [People] = ["enfants", "personnes âgées", "familles", "adolescents", "personnes en fauteuil roulant", "cyclistes", "joggeurs", "étudiants", "travailleurs", "touristes", "voisins", "parents avec poussettes", "promeneurs de chiens", "musiciens de rue"],
            [Architecture] = ["immeubles en brique", "tours de verre", "maisons en rangée", "mur peint", "arcade", "pergola", "pavillon", "escalier", "pont", "église", "immeubles d'habitation", "façade patrimoniale", "gloriette"],
            [Transport] = ["piste cyclable", "arrêt d'autobus", "station de métro", "passage piéton", "tramway", "trottoir", "stationnement", "trottinettes", "rue sans voitures", "vélo", "autobus", "passerelle"],
            [Art] = ["murale", "sculpture", "art urbain", "mosaïque", "installation", "graffiti", "piano public", "installation lumineuse", "totem", "fresque"],
            [TimesAndSeasons] = ["matin", "après-midi", "soirée", "nuit", "coucher de soleil", "hiver", "printemps", "été", "automne", "neige", "pluie", "fin de semaine", "jour de festival"],
            [Animals] = ["chiens", "oiseaux", "pigeons", "écureuils", "canards", "chats", "papillons", "abeilles", "oies", "chevaux"],
        },
    };

    /// <summary>Languages with concept lists.</summary>
    public static IReadOnlyList<string> Languages { get; } = ["en", "fr"];

    /// <summary>The words of one category in one language.</summary>
    public static IReadOnlyList<string> Words(string language, string category)
    {
        if (!Lists.TryGetValue(BaseLanguage(language), out var byCategory))
        {
            throw new ArgumentException($"no concept lists for language '{language}'; available: {string.Join(", ", Languages)}", nameof(language));
        }

        return byCategory.TryGetValue(category, out var words)
            ? words
            : throw new ArgumentException($"unknown concept category '{category}'; expected one of {string.Join(", ", Categories)}", nameof(category));
    }

    /// <summary>
    /// Finds concept words by longest match at word boundaries, case-insensitively, non-overlapping, left to right.
    /// </summary>
    public static IReadOnlyList<ConceptMatch> Find(string text, string language)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lower = text.ToLowerInvariant();
        var candidates = Categories
            .SelectMany(c => Words(language, c).Select(w => (Category: c, Word: w)))
            .OrderByDescending(x => x.Word.Length)
            .ToArray();
        var matches = new List<ConceptMatch>();
        int i = 0;
        while (i < lower.Length)
        {
            if (i > 0 && char.IsLetterOrDigit(lower[i - 1]))
            {
                i++;
                continue;
            }

            ConceptMatch? found = null;
            foreach (var (category, word) in candidates)
            {
                if (string.CompareOrdinal(lower, i, word, 0, word.Length) == 0
                    && (i + word.Length == lower.Length || !char.IsLetterOrDigit(lower[i + word.Length])))
                {
                    found = new ConceptMatch(i, word.Length, category, word);
                    break;
                }
            }

            if (found is null)
            {
                i++;
            }
            else
            {
                matches.Add(found);
                i += found.Length;
            }
        }

        return matches;
    }

    /// <summary>Whether concept lists exist for <paramref name="language"/> (a region suffix such as fr-CA is ignored).</summary>
    public static bool Supports(string language) => Lists.ContainsKey(BaseLanguage(language));

    private static string BaseLanguage(string language)
    {
        ArgumentNullException.ThrowIfNull(language);
        int dash = language.IndexOf('-', StringComparison.Ordinal);
        return (dash < 0 ? language : language[..dash]).ToLowerInvariant();
    }
}
