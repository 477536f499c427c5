using Pluralist.World.Scenes;

namespace Pluralist.World.Prompts;

/// <summary>
/// Captions a scene spec in English or French, using only the lexicon's own phrases, so that a
/// caption read back by <see cref="PromptParser"/> has no unknown words and asks for nothing the
/// scene does not have. These are the text half of text-image pairs for training.
/// </summary>
public static class SceneCaption
{
    private static readonly string[] EnNumbers = ["zero", "one", "two", "three", "four", "five", "six"];
    private static readonly string[] FrNumbersM = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six"];
    private static readonly string[] FrNumbersF = ["zéro", "une", "deux", "trois", "quatre", "cinq", "six"];

    public static string Describe(SceneSpec spec, string language)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return language switch
        {
            "en" => English(spec),
            "fr" => French(spec),
            _ => throw new ArgumentException($"Caption language '{language}' is not supported; expected en or fr.", nameof(language)),
        };
    }

    private static string English(SceneSpec s)
    {
        string Count(int n, string one, string many) => n == 1 ? $"one {one}" : $"{EnNumbers[n]} {many}";
        string start = s.Detail >= 0.8 ? "A detailed illustration of a" : s.Detail <= 0.3 ? "A simple illustration of a" : "A";
        string place = s.Typology switch
        {
            Typology.Park => "park",
            Typology.Plaza => "plaza",
            Typology.PedestrianPromenade => "pedestrian promenade",
            Typology.ResidentialStreet => "residential street",
            Typology.CommercialBackAlley => "back alley",
            Typology.Waterfront => "waterfront",
            Typology.Schoolyard => "schoolyard",
            _ => "bus stop",
        };
        string season = s.Season.ToString().ToLowerInvariant();
        string time = s.TimeOfDay == TimeOfDay.Noon ? $"at noon in {season}" : $"on {(s.Season == Season.Autumn ? "an" : "a")} {season} {s.TimeOfDay.ToString().ToLowerInvariant()}";
        string weather = s.Weather switch
        {
            Weather.Clear => "clear sky",
            Weather.Cloudy => "cloudy",
            Weather.Rain => "in the rain",
            Weather.Snow => "in the snow",
            _ => "in the fog",
        };
        var items = new List<string>();
        string width = s.PathWidth >= 0.45 ? "a wide" : s.PathWidth <= 0.2 ? "a narrow" : "a";
        items.Add($"{width} {(s.SmoothPath ? "smooth" : "cracked")} path");
        items.AddRange(s.Access switch
        {
            StepFreeAccess.Ramp => ["a ramp"],
            StepFreeAccess.Stairs => ["stairs"],
            StepFreeAccess.RampAndStairs => ["a ramp and stairs"],
            _ => Array.Empty<string>(),
        });
        Add(items, s.KerbCuts, "curb cuts");
        Add(items, s.TactilePaving, "tactile paving");
        Add(items, s.Benches > 0, Count(s.Benches, "bench", "benches"));
        Add(items, s.Chairs > 0, Count(s.Chairs, "cafe table", "cafe tables"));
        Add(items, s.Canopy, "a shade sail");
        Add(items, s.Trees > 0, Count(s.Trees, "tree", "trees"));
        Add(items, s.Lawn, "lawns");
        Add(items, s.Planters > 0, Count(s.Planters, "planter", "planters"));
        Add(items, s.Fountain, "a fountain");
        string light = s.LightCoverage >= 0.7 ? " with bright light" : s.LightCoverage <= 0.4 ? " with dim light" : "";
        Add(items, s.Lights > 0, Count(s.Lights, "lamp post", "lamp posts") + light);
        string langs = s.SignLanguages switch { 1 => "monolingual", 2 => "bilingual", _ => "multilingual" };
        Add(items, s.Signs > 0, s.Signs == 1 ? $"one {langs} sign" : $"{EnNumbers[s.Signs]} {langs} signs");
        Add(items, s.Bollards, "bollards");
        Add(items, s.Cars > 0, Count(s.Cars, "car", "cars"));
        Add(items, s.Litter > 0, s.Litter == 1 ? "some litter" : "litter");
        Add(items, s.Graffiti, "graffiti");
        Add(items, s.PlayArea, "a playground");
        Add(items, s.SportArea, "a basketball court");
        Add(items, s.Kiosk, "a kiosk");
        Add(items, s.MarketStalls > 0, Count(s.MarketStalls, "market stall", "market stalls"));
        Add(items, s.PublicArt, "a sculpture");
        Add(items, s.Pedestrians > 0, Count(s.Pedestrians, "pedestrian", "pedestrians"));
        Add(items, s.Children > 0, Count(s.Children, "child", "children"));
        Add(items, s.Seniors > 0, Count(s.Seniors, "senior", "seniors"));
        Add(items, s.WheelchairUsers > 0, Count(s.WheelchairUsers, "wheelchair user", "wheelchair users"));
        Add(items, s.WalkerUsers > 0, Count(s.WalkerUsers, "rollator user", "rollator users"));
        Add(items, s.Strollers > 0, Count(s.Strollers, "stroller", "strollers"));
        Add(items, s.Groups > 0, Count(s.Groups, "group of friends", "groups of friends"));
        Add(items, s.Dogs > 0, Count(s.Dogs, "dog", "dogs"));
        Add(items, s.Birds > 0, Count(s.Birds, "bird", "birds"));
        return $"{start} {place} {time}, {weather}, with {Join(items, "and")}.";
    }

    private static string French(SceneSpec s)
    {
        string Count(int n, bool feminine, string one, string many) => n == 1 ? $"{(feminine ? "une" : "un")} {one}" : $"{(feminine ? FrNumbersF : FrNumbersM)[n]} {many}";
        string place = s.Typology switch
        {
            Typology.Park => "un parc",
            Typology.Plaza => "une place publique",
            Typology.PedestrianPromenade => "une promenade piétonne",
            Typology.ResidentialStreet => "une rue résidentielle",
            Typology.CommercialBackAlley => "une ruelle",
            Typology.Waterfront => "un quai",
            Typology.Schoolyard => "une cour d'école",
            _ => "un arrêt d'autobus",
        };
        string start = s.Detail >= 0.8 ? $"Une illustration détaillée : {place}" : s.Detail <= 0.3 ? $"Une illustration épurée : {place}" : char.ToUpperInvariant(place[0]) + place[1..];
        string season = s.Season switch { Season.Spring => "de printemps", Season.Summer => "d'été", Season.Autumn => "d'automne", _ => "d'hiver" };
        string seasonIn = s.Season switch { Season.Spring => "au printemps", Season.Summer => "en été", Season.Autumn => "en automne", _ => "en hiver" };
        string time = s.TimeOfDay switch
        {
            TimeOfDay.Morning => $"un matin {season}",
            TimeOfDay.Noon => $"à midi {seasonIn}",
            TimeOfDay.Evening => $"un soir {season}",
            _ => $"une nuit {season}",
        };
        string weather = s.Weather switch
        {
            Weather.Clear => "ciel dégagé",
            Weather.Cloudy => "nuageux",
            Weather.Rain => "sous la pluie",
            Weather.Snow => "sous la neige",
            _ => "dans le brouillard",
        };
        var items = new List<string>();
        string width = s.PathWidth >= 0.45 ? " large" : s.PathWidth <= 0.2 ? " étroit" : "";
        items.Add($"un chemin{width} {(s.SmoothPath ? "lisse" : "fissuré")}");
        items.AddRange(s.Access switch
        {
            StepFreeAccess.Ramp => ["une rampe"],
            StepFreeAccess.Stairs => ["un escalier"],
            StepFreeAccess.RampAndStairs => ["une rampe et un escalier"],
            _ => Array.Empty<string>(),
        });
        Add(items, s.KerbCuts, "des trottoirs abaissés");
        Add(items, s.TactilePaving, "des bandes podotactiles");
        Add(items, s.Benches > 0, Count(s.Benches, false, "banc", "bancs"));
        Add(items, s.Chairs > 0, Count(s.Chairs, true, "table de café", "tables de café"));
        Add(items, s.Canopy, "une toile d'ombrage");
        Add(items, s.Trees > 0, Count(s.Trees, false, "arbre", "arbres"));
        Add(items, s.Lawn, "des pelouses");
        Add(items, s.Planters > 0, Count(s.Planters, true, "jardinière", "jardinières"));
        Add(items, s.Fountain, "une fontaine");
        string light = s.LightCoverage >= 0.7 ? " à lumière vive" : s.LightCoverage <= 0.4 ? " à lumière faible" : "";
        Add(items, s.Lights > 0, Count(s.Lights, false, "lampadaire", "lampadaires") + light);
        string langs = s.SignLanguages switch { 1 => "unilingue", 2 => "bilingue", _ => "multilingue" };
        Add(items, s.Signs > 0, s.Signs == 1 ? $"un panneau {langs}" : $"{FrNumbersM[s.Signs]} panneaux {langs}s");
        Add(items, s.Bollards, "des bornes");
        Add(items, s.Cars > 0, Count(s.Cars, true, "voiture", "voitures"));
        Add(items, s.Litter > 0, s.Litter == 1 ? "quelques déchets" : "des déchets");
        Add(items, s.Graffiti, "des graffitis");
        Add(items, s.PlayArea, "une aire de jeux");
        Add(items, s.SportArea, "un terrain de basket");
        Add(items, s.Kiosk, "un kiosque");
        Add(items, s.MarketStalls > 0, Count(s.MarketStalls, false, "étal", "étals"));
        Add(items, s.PublicArt, "une sculpture");
        Add(items, s.Pedestrians > 0, Count(s.Pedestrians, false, "piéton", "piétons"));
        Add(items, s.Children > 0, Count(s.Children, false, "enfant", "enfants"));
        Add(items, s.Seniors > 0, Count(s.Seniors, false, "aîné", "aînés"));
        Add(items, s.WheelchairUsers > 0, Count(s.WheelchairUsers, true, "personne en fauteuil roulant", "personnes en fauteuil roulant"));
        Add(items, s.WalkerUsers > 0, Count(s.WalkerUsers, true, "personne avec marchette", "personnes avec marchette"));
        Add(items, s.Strollers > 0, Count(s.Strollers, true, "poussette", "poussettes"));
        Add(items, s.Groups > 0, Count(s.Groups, false, "groupe d'amis", "groupes d'amis"));
        Add(items, s.Dogs > 0, Count(s.Dogs, false, "chien", "chiens"));
        Add(items, s.Birds > 0, Count(s.Birds, false, "oiseau", "oiseaux"));
        return $"{start} {time}, {weather}, avec {Join(items, "et")}.";
    }

    private static void Add(List<string> items, bool present, string text)
    {
        if (present)
        {
            items.Add(text);
        }
    }

    private static string Join(List<string> items, string and) =>
        items.Count == 1 ? items[0] : $"{string.Join(", ", items.Take(items.Count - 1))} {and} {items[^1]}";
}
