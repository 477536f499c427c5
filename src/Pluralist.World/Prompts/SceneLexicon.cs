using System.Globalization;
using System.Text;

namespace Pluralist.World.Prompts;

/// <summary>One lexicon entry: phrases in one language and the constraints they ask of a scene.</summary>
/// <param name="Language"><c>en</c> or <c>fr</c>.</param>
/// <param name="Phrases">Normalised phrases (lower case, no accents, words separated by one space).</param>
/// <param name="Effects">What the phrase asks for; empty for setting words that have no picture (neighbourhood).</param>
public sealed record LexiconEntry(string Language, IReadOnlyList<string> Phrases, IReadOnlyList<SceneConstraint> Effects);

/// <summary>
/// The explicit English and French vocabulary of the procedural world. A phrase maps to constraints
/// on scene attributes; the longest phrase wins; a number word or digit right before a counted thing
/// sets the count; a negation before a phrase asks for the opposite ("no cars",
/// "sans escaliers"). Words that are neither here nor stop words are reported as unknown, never
/// guessed. A number counts only a phrase right after it whose one effect is a count
/// ("three benches", "une jardinière"). <c>pluralist world lexicon</c> prints this table.
/// </summary>
public static class SceneLexicon
{
    public static IReadOnlyList<string> Languages { get; } = ["en", "fr"];

    // (language, phrases separated by |, effects separated by ;)
    private static readonly (string Lang, string Phrases, string Effects)[] Table =
    [
        // Typologies.
        ("en", "park|parks|public park|green park", "typology=park"),
        ("fr", "parc|parcs|parc public", "typology=park"),
        ("en", "plaza|square|public square|piazza|town square", "typology=plaza"),
        ("fr", "place|place publique|esplanade|square|parvis", "typology=plaza"),
        ("en", "pedestrian promenade|promenade|pedestrian street|pedestrian mall|pedestrian zone|walkway|boulevard", "typology=pedestrian-promenade"),
        ("fr", "promenade|promenade pietonne|promenade pietonniere|rue pietonne|rue pietonniere|zone pietonne|boulevard", "typology=pedestrian-promenade"),
        ("en", "residential street|street|streets|road|sidewalk|residential", "typology=residential-street"),
        ("fr", "rue residentielle|rue|rues|trottoir|residentiel|residentielle", "typology=residential-street"),
        ("en", "back alley|commercial back alley|alley|alleyway|laneway|lane", "typology=commercial-back-alley"),
        ("fr", "ruelle|ruelle commerciale|allee|passage", "typology=commercial-back-alley"),
        ("en", "waterfront|riverside|river|lakeside|lake|harbour|harbor|quay|canal|shore|seaside|water's edge", "typology=waterfront"),
        ("fr", "bord de l'eau|berge|berges|quai|quais|riviere|fleuve|lac|canal|port|bord de la riviere|bord du fleuve", "typology=waterfront"),
        ("en", "schoolyard|school yard|school|playground of a school", "typology=schoolyard"),
        ("fr", "cour d'ecole|cour de l'ecole|cour d'ecole primaire|ecole|cour", "typology=schoolyard"),
        ("en", "transit stop|bus stop|tram stop|metro station|metro|subway|station|bus|shelter stop", "typology=transit-stop"),
        ("fr", "arret d'autobus|arret de bus|arret|abribus|station de metro|metro|autobus|gare|station", "typology=transit-stop"),

        // Time, season, weather, detail.
        ("en", "morning|sunrise|dawn|early morning", "timeOfDay=morning"),
        ("fr", "matin|matinee|aube|lever du soleil|petit matin", "timeOfDay=morning"),
        ("en", "noon|midday|afternoon|daytime|day|during the day", "timeOfDay=noon"),
        ("fr", "midi|apres-midi|apres midi|jour|journee|en plein jour", "timeOfDay=noon"),
        ("en", "evening|dusk|sunset|twilight", "timeOfDay=evening"),
        ("fr", "soir|soiree|crepuscule|coucher du soleil|fin de journee", "timeOfDay=evening"),
        ("en", "night|at night|nighttime|night-time|midnight", "timeOfDay=night"),
        ("fr", "nuit|la nuit|de nuit|nocturne|minuit", "timeOfDay=night"),
        ("en", "spring|springtime|blossoms|blossom", "season=spring"),
        ("fr", "printemps|printanier|printaniere|fleurs de cerisier", "season=spring"),
        ("en", "summer|summertime", "season=summer"),
        ("fr", "ete|estival|estivale", "season=summer"),
        ("en", "autumn|fall|autumnal|fallen leaves", "season=autumn"),
        ("fr", "automne|automnal|automnale|feuilles mortes", "season=autumn"),
        ("en", "winter|wintry|wintertime", "season=winter"),
        ("fr", "hiver|hivernal|hivernale", "season=winter"),
        ("en", "sunny|clear|clear sky|sunshine|sun", "weather=clear"),
        ("fr", "ensoleille|ensoleillee|soleil|ciel degage|degage", "weather=clear"),
        ("en", "cloudy|overcast|grey|gray|clouds", "weather=cloudy"),
        ("fr", "nuageux|nuageuse|couvert|gris|grise|nuages|ciel nuageux|ciel couvert|ciel gris", "weather=cloudy"),
        ("en", "rain|rainy|raining|wet|drizzle", "weather=rain"),
        ("fr", "pluie|pluvieux|pluvieuse|sous la pluie|bruine|mouille", "weather=rain"),
        ("en", "snow|snowy|snowing|snowfall", "weather=snow"),
        ("fr", "neige|enneige|enneigee|neigeux|sous la neige|chute de neige", "weather=snow"),
        ("en", "fog|foggy|mist|misty|haze", "weather=fog"),
        ("fr", "brouillard|brume|brumeux|brumeuse", "weather=fog"),
        ("en", "detailed|intricate|richly detailed|highly detailed", "detail>=0.8"),
        ("fr", "detaille|detaillee|tres detaille|minutieux", "detail>=0.8"),
        ("en", "simple|minimalist|plain|sketch", "detail<=0.3"),
        ("fr", "simple|epure|epuree|minimaliste|croquis", "detail<=0.3"),

        // Walking surfaces and access.
        ("en", "wide path|wide sidewalk|wide|broad|spacious|wide walkway|wide sidewalks", "pathWidth>=0.45"),
        ("fr", "large|larges|large trottoir|larges trottoirs|spacieux|spacieuse|chemin large", "pathWidth>=0.45"),
        ("en", "narrow|narrow path|narrow sidewalk|cramped", "pathWidth<=0.2"),
        ("fr", "etroit|etroite|trottoir etroit|exigu", "pathWidth<=0.2"),
        ("en", "path|paths|pathway|footpath", "pathWidth>=0.1"),
        ("fr", "sentier|sentiers|chemin|chemins|allee pietonne", "pathWidth>=0.1"),
        ("en", "smooth|smooth path|well maintained|well-maintained|paved|even surface", "smoothPath=true"),
        ("fr", "lisse|bien entretenu|bien entretenue|pave|pavee|surface uniforme", "smoothPath=true"),
        ("en", "cracked|rough|potholes|broken pavement|uneven|neglected|run-down", "smoothPath=false"),
        ("fr", "fissure|fissuree|abime|abimee|nids-de-poule|nids de poule|inegal|neglige|negligee|delabre", "smoothPath=false"),
        ("en", "kerb cut|kerb cuts|curb cut|curb cuts|lowered curb|lowered kerb|curb ramp|curb ramps|dropped kerb", "kerbCuts=true"),
        ("fr", "bateau|bateaux|trottoir abaisse|trottoirs abaisses|bordure abaissee|bordures abaissees", "kerbCuts=true"),
        ("en", "ramp|ramps|wheelchair ramp|access ramp|gentle slope", "access in ramp,ramp-and-stairs"),
        ("fr", "rampe|rampes|rampe d'acces|plan incline|pente douce", "access in ramp,ramp-and-stairs"),
        ("en", "stairs|steps|staircase|stairway|stair", "access in stairs,ramp-and-stairs"),
        ("fr", "escalier|escaliers|marches d'escalier|cage d'escalier", "access in stairs,ramp-and-stairs"),
        ("en", "step-free|step free|accessible|wheelchair accessible|barrier-free|barrier free|universally accessible|universal access", "access in ramp,ramp-and-stairs;kerbCuts=true;smoothPath=true;tactilePaving=true"),
        ("fr", "accessible|accessibles|sans obstacle|sans obstacles|accessibilite universelle|universellement accessible|sans marche|de plain-pied", "access in ramp,ramp-and-stairs;kerbCuts=true;smoothPath=true;tactilePaving=true"),
        ("en", "tactile paving|tactile strips|tactile|warning strips|detectable warnings", "tactilePaving=true"),
        ("fr", "pave tactile|paves tactiles|bande podotactile|bandes podotactiles|surface podotactile|podotactile", "tactilePaving=true"),

        // Seating and shade.
        ("en", "bench|a bench", "benches>=1"),
        ("fr", "banc|un banc", "benches>=1"),
        ("en", "benches|park benches", "benches>=2"),
        ("fr", "bancs|bancs publics", "benches>=2"),
        ("en", "seating|places to sit|place to sit|seats|somewhere to sit|sitting areas|rest areas", "benches>=1;chairs>=1"),
        ("fr", "places assises|endroits ou s'asseoir|endroit ou s'asseoir|sieges|assises|aires de repos|mobilier urbain", "benches>=1;chairs>=1"),
        ("en", "chairs|tables|cafe tables|cafe terrace|terrace|patio|bistro tables", "chairs>=2"),
        ("en", "cafe table|table|chair|bistro table", "chairs>=1"),
        ("fr", "chaises|tables|terrasse|terrasses|tables de bistro|tables de cafe", "chairs>=2"),
        ("fr", "table de cafe|table|chaise|table de bistro", "chairs>=1"),
        ("en", "shade|shady|canopy|canopies|shade sail|awning|sheltered|shelter", "canopy=true"),
        ("fr", "ombre|ombrage|ombrages|auvent|auvents|toile d'ombrage|abri|abrite|abritee", "canopy=true"),

        // Greenery and water.
        ("en", "tree|a tree", "trees>=1"),
        ("fr", "arbre|un arbre", "trees>=1"),
        ("en", "trees|tree-lined|tree lined|leafy|mature trees", "trees>=3"),
        ("fr", "arbres|arbore|arboree|bordee d'arbres|borde d'arbres|grands arbres", "trees>=3"),
        ("en", "green spaces|green space|greenery|green|vegetation|nature|plants|lush|verdant", "trees>=3;lawn=true;planters>=2"),
        ("fr", "espaces verts|espace vert|verdure|vert|verte|verts|vertes|vegetation|nature|plantes|verdoyant|verdoyante|vegetalise|vegetalisee", "trees>=3;lawn=true;planters>=2"),
        ("en", "lawn|lawns|grass|grassy|meadow", "lawn=true"),
        ("fr", "pelouse|pelouses|gazon|herbe|pre", "lawn=true"),
        ("en", "planters|planter|flowers|flower beds|flowerbeds|flower boxes|gardens|garden", "planters>=2"),
        ("fr", "jardinieres|jardiniere|fleurs|fleuri|fleurie|platebandes|plates-bandes|bacs a fleurs|jardin|jardins", "planters>=2"),
        ("en", "fountain|fountains|water feature|pond|pool|splash pad|water", "fountain=true"),
        ("fr", "fontaine|fontaines|bassin|jets d'eau|jeux d'eau|eau|plan d'eau", "fountain=true"),

        // Lighting and signage.
        ("en", "lamp posts|lamp post|lamps|lamp|street lights|streetlights|street light|lanterns|lights", "lights>=2"),
        ("en", "lighting|lit|well-lit|well lit|illuminated|good lighting", "lights>=3;lightCoverage>=0.7"),
        ("en", "bright light|bright|strong light", "lightCoverage>=0.7"),
        ("en", "dim light|dim|weak light", "lightCoverage<=0.4"),
        ("fr", "lampadaires|lampadaire|lanternes|lanterne|lumieres|reverberes", "lights>=2"),
        ("fr", "eclairage|eclaire|eclairee|bien eclaire|bien eclairee|lumineux|lumineuse|illumine|illuminee|bon eclairage", "lights>=3;lightCoverage>=0.7"),
        ("fr", "lumiere vive|a lumiere vive|forte lumiere", "lightCoverage>=0.7"),
        ("fr", "lumiere faible|a lumiere faible|faible lumiere|tamise|tamisee", "lightCoverage<=0.4"),
        ("en", "dark|unlit|poorly lit|dimly lit|gloomy", "lights<=1;lightCoverage<=0.4"),
        ("fr", "sombre|mal eclaire|mal eclairee|peu eclaire|peu eclairee|obscur|obscure", "lights<=1;lightCoverage<=0.4"),
        ("en", "sign|signs|signage|wayfinding|information panel|signposts", "signs>=1"),
        ("fr", "panneau|panneaux|signalisation|affichage|signaletique|orientation", "signs>=1"),
        ("en", "bilingual|in two languages|bilingual signs|bilingual signage", "signs>=1;signLanguages>=2"),
        ("fr", "bilingue|bilingues|en deux langues|affichage bilingue", "signs>=1;signLanguages>=2"),
        ("en", "multilingual|in several languages|many languages|multilingual signs", "signs>=1;signLanguages=3"),
        ("fr", "multilingue|multilingues|plusieurs langues|en plusieurs langues", "signs>=1;signLanguages=3"),
        ("en", "english only|monolingual|one language|unilingual", "signs>=1;signLanguages=1"),
        ("fr", "unilingue|unilingues|une seule langue|francais seulement|monolingue", "signs>=1;signLanguages=1"),

        // Safety, traffic and upkeep.
        ("en", "safe|safety|secure|safe streets|safe street|feels safe", "lights>=2;graffiti=false;litter<=0"),
        ("fr", "securitaire|securitaires|securite|securise|securisee|rues securitaires|rue securitaire", "lights>=2;graffiti=false;litter<=0"),
        ("en", "bollards|barriers|bollard|posts", "bollards=true"),
        ("en", "protected|protected from traffic|traffic calming|traffic calmed", "bollards=true;cars<=1"),
        ("fr", "bornes|bollards|barrieres|borne|potelets", "bollards=true"),
        ("fr", "protege|protegee|apaise|apaisee|circulation apaisee", "bollards=true;cars<=1"),
        ("en", "traffic|cars|busy road|car|vehicles|parked cars", "cars>=2"),
        ("fr", "circulation|voitures|voiture|trafic|vehicules|autos|auto", "cars>=2"),
        ("en", "car-free|car free|traffic-free|traffic free", "cars<=0"),
        ("fr", "sans voiture|sans auto|sans circulation", "cars<=0"),
        ("en", "litter|trash|garbage|rubbish|dirty|messy|littered", "litter>=2"),
        ("en", "some litter|a little litter|bits of litter", "litter>=1"),
        ("fr", "dechets|ordures|detritus|sale|sales|malpropre|jonche", "litter>=2"),
        ("fr", "quelques dechets|un peu de dechets", "litter>=1"),
        ("en", "clean|tidy|spotless|cared-for|cared for", "litter<=0;graffiti=false"),
        ("fr", "propre|propres|soigne|soignee|impeccable", "litter<=0;graffiti=false"),
        ("en", "graffiti|tags|tagged|vandalism|vandalized", "graffiti=true"),
        ("fr", "graffiti|graffitis|tags|tague|taguee|vandalisme|vandalise", "graffiti=true"),

        // Activities.
        ("en", "playground|play area|play structure|swings|slide|play equipment|play", "playArea=true"),
        ("fr", "aire de jeux|aire de jeu|terrain de jeux|module de jeux|jeux|balancoires|balancoire|glissoire|toboggan", "playArea=true"),
        ("en", "basketball|basketball court|sports|sport|court|sports field|games court", "sportArea=true"),
        ("fr", "basketball|basket|terrain de basket|terrain de sport|sport|sports|terrain multisport", "sportArea=true"),
        ("en", "kiosk|cafe|coffee stand|food truck|snack bar|refreshments|ice cream", "kiosk=true"),
        ("fr", "kiosque|cafe|casse-croute|buvette|camion de cuisine de rue|creme glacee", "kiosk=true"),
        ("en", "market|markets|market stalls|stalls|farmers market|farmers' market|vendors|street vendors", "marketStalls>=2"),
        ("en", "market stall|stall|vendor", "marketStalls>=1"),
        ("fr", "marche|marches|marche public|etals|kiosques de marche|marchands|marche fermier", "marketStalls>=2"),
        ("fr", "etal|marchand", "marketStalls>=1"),
        ("en", "public art|sculpture|sculptures|art|artwork|statue|monument|mural|murals", "publicArt=true"),
        ("fr", "art public|sculpture|sculptures|oeuvre|oeuvres|oeuvre d'art|statue|monument|murale|murales|art", "publicArt=true"),

        // People and animals.
        ("en", "busy|lively|crowded|bustling|vibrant|animated|people|crowd|many people", "pedestrians>=3;groups>=1"),
        ("fr", "anime|animee|achalande|achalandee|vivant|vivante|gens|foule|monde|du monde|passants|frequente|frequentee", "pedestrians>=3;groups>=1"),
        ("en", "empty|deserted|quiet|calm|peaceful|tranquil", "pedestrians<=1;groups<=0;cars<=0"),
        ("fr", "vide|desert|deserte|calme|tranquille|paisible", "pedestrians<=1;groups<=0;cars<=0"),
        ("en", "pedestrians|pedestrian|walkers|passers-by|person", "pedestrians>=1"),
        ("fr", "pietons|pieton|pietonnes|promeneurs|passant|personne", "pedestrians>=1"),
        ("en", "children|kids|child|kid|youth|teenagers", "children>=2"),
        ("fr", "enfants|enfant|jeunes|adolescents|ados", "children>=2"),
        ("en", "families|family|family-friendly|family friendly", "children>=1;strollers>=1"),
        ("fr", "familles|famille|familial|familiale|pour les familles", "children>=1;strollers>=1"),
        ("en", "elderly|seniors|senior|older people|older adults|aging|ageing|elders", "seniors>=2"),
        ("fr", "aines|aine|personnes agees|personne agee|ages|troisieme age|seniors", "seniors>=2"),
        ("en", "wheelchair|wheelchairs|wheelchair users|wheelchair user|people in wheelchairs", "wheelchairUsers>=1"),
        ("fr", "fauteuil roulant|fauteuils roulants|personnes en fauteuil|personne en fauteuil|en fauteuil|personnes en fauteuil roulant|personne en fauteuil roulant", "wheelchairUsers>=1"),
        ("en", "walker|walkers for seniors|rollator|rollators|mobility aids|mobility aid|canes|rollator users|rollator user|people with walkers|person with a walker", "walkerUsers>=1"),
        ("fr", "marchette|marchettes|deambulateur|deambulateurs|aides a la mobilite|aide a la mobilite|cannes|personnes avec marchette|personne avec marchette|personnes avec une marchette", "walkerUsers>=1"),
        ("en", "stroller|strollers|pram|prams|pushchair|babies|baby|parents", "strollers>=1"),
        ("fr", "poussette|poussettes|landau|bebe|bebes|parents", "strollers>=1"),
        ("en", "groups|group|friends|gathering|gatherings|community|neighbours|neighbors|social", "groups>=1"),
        ("fr", "groupes|groupe|amis|rassemblement|rassemblements|communaute|communautaire|voisins|social|sociale", "groups>=1"),
        ("en", "diverse|diversity|inclusive|everyone|all ages|for everyone|for all|multigenerational|intergenerational", "children>=1;seniors>=1;wheelchairUsers>=1;strollers>=1;signLanguages>=2"),
        ("fr", "diversifie|diversifiee|diversite|inclusif|inclusive|tout le monde|tous ages|pour tous|pour toutes et tous|intergenerationnel|intergenerationnelle", "children>=1;seniors>=1;wheelchairUsers>=1;strollers>=1;signLanguages>=2"),
        ("en", "dog|dogs|dog walkers|pets|pet", "dogs>=1"),
        ("fr", "chien|chiens|animaux de compagnie|promeneurs de chiens", "dogs>=1"),
        ("en", "birds|bird|pigeons|gulls|seagulls|ducks", "birds>=2"),
        ("fr", "oiseaux|oiseau|pigeons|goelands|mouettes|canards", "birds>=2"),

        // Setting words: understood, but with nothing to draw.
        ("en", "neighbourhood|neighborhood|area|district|city|downtown|urban|public|space|spaces|public space|public spaces|place|places|location|spot|scene|view|image|picture|photo|illustration|drawing|rendering", ""),
        ("fr", "quartier|secteur|arrondissement|ville|centre-ville|urbain|urbaine|public|publique|espace|espaces|espace public|espaces publics|lieu|lieux|endroit|scene|vue|image|photo|illustration|dessin|rendu", ""),
    ];

    private static readonly Lazy<IReadOnlyList<LexiconEntry>> Built = new(Build);

    /// <summary>Every entry, in table order.</summary>
    public static IReadOnlyList<LexiconEntry> Entries => Built.Value;

    /// <summary>Words that carry no scene meaning and are never reported as unknown.</summary>
    public static IReadOnlySet<string> StopWords(string language) => language == "fr" ? FrenchStop : EnglishStop;

    /// <summary>Words that turn the next phrase into its opposite (within two words).</summary>
    public static IReadOnlySet<string> Negations(string language) => language == "fr" ? FrenchNegations : EnglishNegations;

    /// <summary>Number words and their values; digits are read too.</summary>
    public static IReadOnlyDictionary<string, int> Numbers(string language) => language == "fr" ? FrenchNumbers : EnglishNumbers;

    private static readonly HashSet<string> EnglishStop = new(
        "s a an the in on at of with and or for to from by near next its it their some many lots lot few several very into is are there where which that this these those plenty full lined along around between behind front beside under over during as be has have having where while my our your his her they we you i would should could like nice beautiful pretty lovely good great really also more most much well where".Split(' '),
        StringComparer.Ordinal);

    private static readonly HashSet<string> FrenchStop = new(
        "un une des de du la le les l d au aux en dans sur avec et ou pour par pres a qui que qu ce cet cette ces son sa ses leur leurs plusieurs beaucoup quelques tres bien plein pleine entre devant derriere autour long est sont il y ont pendant comme mon ma mes notre nos votre vos je nous vous ils elles on joli jolie beau belle bel bon bonne aussi plus vraiment sous".Split(' '),
        StringComparer.Ordinal);

    private static readonly HashSet<string> EnglishNegations = new("no without not none zero never".Split(' '), StringComparer.Ordinal);

    private static readonly HashSet<string> FrenchNegations = new("sans pas aucun aucune ni jamais".Split(' '), StringComparer.Ordinal);

    private static readonly Dictionary<string, int> EnglishNumbers = new(StringComparer.Ordinal)
    {
        ["one"] = 1,
        ["two"] = 2,
        ["three"] = 3,
        ["four"] = 4,
        ["five"] = 5,
        ["six"] = 6,
    };

    private static readonly Dictionary<string, int> FrenchNumbers = new(StringComparer.Ordinal)
    {
        ["un"] = 1,
        ["une"] = 1,
        ["deux"] = 2,
        ["trois"] = 3,
        ["quatre"] = 4,
        ["cinq"] = 5,
        ["six"] = 6,
    };

    /// <summary>Lower case, accents removed, apostrophes and hyphens kept inside words: the form phrases are matched in.</summary>
    public static string Normalise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (char ch in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            char c = ch switch
            {
                '\u2019' or '\u2018' => '\'',
                '\u0153' => 'o', // œ, followed by an e below
                _ => char.ToLowerInvariant(ch),
            };
            sb.Append(c);
            if (ch == '\u0153')
            {
                sb.Append('e');
            }
        }

        return sb.ToString();
    }

    private static List<LexiconEntry> Build()
    {
        var entries = new List<LexiconEntry>();
        foreach (var (lang, phrases, effects) in Table)
        {
            var list = phrases.Split('|').Select(p => string.Join(' ', PromptParser.Tokenise(Normalise(p)))).Distinct(StringComparer.Ordinal).ToArray();
            var constraints = effects.Length == 0 ? [] : effects.Split(';').Select(SceneConstraint.Parse).ToArray();
            entries.Add(new LexiconEntry(lang, list, constraints));
        }

        return entries;
    }
}
