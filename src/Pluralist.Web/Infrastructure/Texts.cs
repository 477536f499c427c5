using System.Collections.Frozen;
using System.Globalization;

namespace Pluralist.Web.Infrastructure;

/// <summary>Every participant-facing text in English and French.</summary>
public static class Texts
{
    public static readonly FrozenDictionary<string, (string En, string Fr)> All = new Dictionary<string, (string, string)>
    {
        ["app"] = ("Pluralist", "Pluralist"),
        ["switch"] = ("Français", "English"),
        ["switch-label"] = ("Lire en français", "Read in English"),
        ["skip"] = ("Skip to the main content", "Aller au contenu principal"),
        ["join-title"] = ("Welcome", "Bienvenue"),
        ["join-intro"] = ("Type the invitation code you received, then press Continue.", "Tapez le code d'invitation que vous avez reçu, puis appuyez sur Continuer."),
        ["code"] = ("Invitation code", "Code d'invitation"),
        ["code-hint"] = ("For example ABCD-EFGH. Capital letters and dashes do not matter.", "Par exemple ABCD-EFGH. Les majuscules et les tirets n'ont pas d'importance."),
        ["continue"] = ("Continue", "Continuer"),
        ["code-unknown"] = ("We could not find this code. Please check it and try again.", "Nous n'avons pas trouvé ce code. Vérifiez-le et réessayez."),
        ["code-expired"] = ("This code has expired. Please ask the study team for a new one.", "Ce code a expiré. Demandez un nouveau code à l'équipe de l'étude."),
        ["code-used"] = ("This code has already been used. If it was you, you are welcome to ask the study team for help.", "Ce code a déjà été utilisé. Si c'était vous, l'équipe de l'étude peut vous aider."),
        ["too-many"] = ("Too many attempts. Please wait one minute and try again.", "Trop d'essais. Attendez une minute, puis réessayez."),
        ["consent-title"] = ("Before we start", "Avant de commencer"),
        ["consent-agree"] = ("I have read this text and I agree to take part.", "J'ai lu ce texte et j'accepte de participer."),
        ["consent-required"] = ("Please tick the box to agree before continuing.", "Cochez la case pour donner votre accord avant de continuer."),
        ["about-you"] = ("About you (optional)", "À propos de vous (facultatif)"),
        ["about-you-intro"] = ("Each question is optional. An answer is kept only if you tick its box. You can change or erase these answers later.", "Chaque question est facultative. Une réponse n'est conservée que si vous cochez sa case. Vous pourrez modifier ou effacer ces réponses plus tard."),
        ["marker-consent"] = ("I agree that this answer is kept", "J'accepte que cette réponse soit conservée"),
        ["prefer-not"] = ("I prefer not to say", "Je préfère ne pas répondre"),
        ["your-answer"] = ("Your answer", "Votre réponse"),
        ["save"] = ("Save", "Enregistrer"),
        ["marker:age-band"] = ("Age group", "Tranche d'âge"),
        ["marker:gender"] = ("Gender", "Genre"),
        ["marker:disability"] = ("Disability or mobility limitation", "Handicap ou mobilité réduite"),
        ["marker:ethnicity"] = ("Ethnic or cultural background", "Origine ethnique ou culturelle"),
        ["marker:languages"] = ("Languages you speak", "Langues parlées"),
        ["marker:neighbourhood"] = ("Your neighbourhood", "Votre quartier"),
        ["task-title"] = ("Compare two images", "Comparez deux images"),
        ["task-intro"] = ("Look at both images. For each question, move the slider towards the image that fits better. Leave it in the middle if they are equal.", "Regardez les deux images. Pour chaque question, déplacez le curseur vers l'image qui convient le mieux. Laissez-le au milieu si elles sont équivalentes."),
        ["prompt"] = ("Description", "Description"),
        ["left-image"] = ("Left image", "Image de gauche"),
        ["right-image"] = ("Right image", "Image de droite"),
        ["which-better"] = ("Which image is better for {0}?", "Quelle image est meilleure pour : {0} ?"),
        ["what-means"] = ("What does this mean?", "Qu'est-ce que cela veut dire ?"),
        ["not-answered"] = ("Not answered yet", "Pas encore répondu"),
        ["answered"] = ("Answered", "Répondu"),
        ["slider-keys"] = ("Use the arrow keys, Home, End, or 0 for no preference.", "Utilisez les flèches, Début, Fin, ou 0 pour aucune préférence."),
        ["v-left-strong"] = ("Strongly prefers the left image", "Préfère nettement l'image de gauche"),
        ["v-left"] = ("Somewhat prefers the left image", "Préfère un peu l'image de gauche"),
        ["v-neutral"] = ("No preference", "Aucune préférence"),
        ["v-right"] = ("Somewhat prefers the right image", "Préfère un peu l'image de droite"),
        ["v-right-strong"] = ("Strongly prefers the right image", "Préfère nettement l'image de droite"),
        ["comment"] = ("Comment (optional)", "Commentaire (facultatif)"),
        ["report"] = ("One of these images is broken or distorted", "Une de ces images est abîmée ou déformée"),
        ["submit"] = ("Send my answer", "Envoyer ma réponse"),
        ["need-one"] = ("Please answer at least one question by moving its slider (or pressing 0 for no preference).", "Répondez à au moins une question en déplaçant son curseur (ou en appuyant sur 0 pour aucune préférence)."),
        ["sending"] = ("Sending…", "Envoi…"),
        ["retrying"] = ("The connection is slow. Your answer is kept and we are trying again…", "La connexion est lente. Votre réponse est gardée et nous réessayons…"),
        ["saved"] = ("Saved. Thank you!", "Enregistré. Merci !"),
        ["progress"] = ("{0} answers in this batch (of {1}); {2} in this session (break after {3}).", "{0} réponses dans ce lot (sur {1}) ; {2} dans cette séance (pause après {3})."),
        ["no-batch"] = ("There is nothing to compare right now. Thank you! Please come back when the next batch opens.", "Il n'y a rien à comparer pour le moment. Merci ! Revenez quand le prochain lot ouvrira."),
        ["all-done"] = ("You have compared every pair in this batch. Thank you very much!", "Vous avez comparé toutes les paires de ce lot. Merci beaucoup !"),
        ["break-title"] = ("Time for a break", "C'est l'heure de la pause"),
        ["break-text"] = ("You have given {0} answers in this session. Please rest your eyes. You can continue in about {1} minutes. Your answers are saved.", "Vous avez donné {0} réponses pendant cette séance. Reposez vos yeux. Vous pourrez continuer dans environ {1} minutes. Vos réponses sont enregistrées."),
        ["break-back"] = ("Try to continue", "Essayer de continuer"),
        ["history"] = ("My answers", "Mes réponses"),
        ["history-empty"] = ("You have not answered yet.", "Vous n'avez pas encore répondu."),
        ["history-when"] = ("When", "Quand"),
        ["history-what"] = ("Answers", "Réponses"),
        ["nav-task"] = ("Compare", "Comparer"),
        ["nav-about"] = ("About me", "À propos de moi"),
        ["nav-withdraw"] = ("Leave the study", "Quitter l'étude"),
        ["withdraw-title"] = ("Leave the study", "Quitter l'étude"),
        ["withdraw-keep"] = ("If you leave, your answers about yourself are erased. Your image comparisons are kept, under your pseudonym only.", "Si vous quittez l'étude, vos réponses à propos de vous sont effacées. Vos comparaisons d'images sont conservées, seulement sous votre pseudonyme."),
        ["withdraw-delete"] = ("If you leave, your answers about yourself and all your image comparisons are erased.", "Si vous quittez l'étude, vos réponses à propos de vous et toutes vos comparaisons d'images sont effacées."),
        ["withdraw-confirm"] = ("Yes, I want to leave the study", "Oui, je veux quitter l'étude"),
        ["withdrawn"] = ("You have left the study. Thank you for your help.", "Vous avez quitté l'étude. Merci pour votre aide."),
        ["withdrawn-kept"] = ("Your answers about yourself have been erased. Your image comparisons are kept, under your pseudonym only.", "Vos réponses à propos de vous ont été effacées. Vos comparaisons d'images sont conservées, seulement sous votre pseudonyme."),
        ["withdrawn-deleted"] = ("Your answers about yourself and all your image comparisons have been erased.", "Vos réponses à propos de vous et toutes vos comparaisons d'images ont été effacées."),
        ["invalid-score"] = ("Scores must be between -1 and 1.", "Les réponses doivent être entre -1 et 1."),
        ["not-shown"] = ("This question was not shown with this pair.", "Cette question n'était pas affichée avec cette paire."),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static string Get(string key, string lang) =>
        All.TryGetValue(key, out var t) ? (lang == "fr" ? t.Fr : t.En) : throw new KeyNotFoundException($"No text '{key}'.");

    public static string Format(string key, string lang, params object[] args) =>
        string.Format(CultureInfo.GetCultureInfo(lang == "fr" ? "fr-CA" : "en-CA"), Get(key, lang), args);
}
