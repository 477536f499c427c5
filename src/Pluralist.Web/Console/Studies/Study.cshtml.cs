using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Studies;
using Pluralist.Studies.Console;
using Pluralist.Studies.Recruitment;

namespace Pluralist.Web.Console.Studies;

/// <summary>/console/studies/{key}: settings and criteria. Liaisons read; researchers change (each change audited).</summary>
public sealed class StudyModel(ConsoleService service) : ConsolePage(service)
{
    public string? Message { get; private set; }

    public Dictionary<string, string> Errors { get; } = [];

    public (int Open, int Used, int Expired) Invitations { get; private set; }

    /// <summary>The study's prompts per language, to warn when participants who read French will see English prompts.</summary>
    public IReadOnlyList<(string Language, int Prompts)> PromptLanguages { get; private set; } = [];

    /// <summary>Whether the prompts shown above the images are all in one language other than French.</summary>
    public bool PromptsLackFrench => PromptLanguages.Count > 0 && !PromptLanguages.Any(l => l.Language.StartsWith("fr", StringComparison.OrdinalIgnoreCase));

    public string? NewKey { get; private set; }
    public string? NewNameEn { get; private set; }
    public string? NewNameFr { get; private set; }
    public string? NewDefinitionEn { get; private set; }
    public string? NewDefinitionFr { get; private set; }

    public async Task OnGetAsync(string? saved, CancellationToken ct)
    {
        Message = saved is null ? null : $"Saved: {saved}.";
        await LoadCountsAsync(Study!, ct);
    }

    public async Task<IActionResult> OnPostSettingsAsync(
        string taskType, int criteriaPerPair, int sliderSteps, int sessionCap, int breakMinutes, double attentionCheckRate, double goldRate,
        int minGroupSize, string withdrawalPolicy, bool showPrompt, bool requireEmail, string? identityMarkers, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        var s = Study!;
        var active = s.Criteria.Count(c => !c.Retired);
        Check(Tokens.TryParse(taskType, out TaskType task), "taskType", "Choose a task.");
        Check(criteriaPerPair >= 1 && criteriaPerPair <= Math.Max(1, active), "criteriaPerPair", $"Criteria per pair must be between 1 and the {active} active criteria.");
        Check(sliderSteps >= 0, "sliderSteps", "Slider steps must be 0 or more.");
        Check(sessionCap >= 1, "sessionCap", "A session needs at least 1 answer.");
        Check(breakMinutes >= 0, "breakMinutes", "The break cannot be negative.");
        Check(attentionCheckRate is >= 0 and <= 1, "attentionCheckRate", "The share of attention checks is between 0 and 1.");
        Check(goldRate is >= 0 and <= 1, "goldRate", "The share of gold pairs is between 0 and 1.");
        Check(minGroupSize >= 1, "minGroupSize", "The smallest group shown must be at least 1.");
        Check(Tokens.TryParse(withdrawalPolicy, out WithdrawalPolicy policy), "withdrawalPolicy", "Choose what happens to answers on withdrawal.");
        var markers = (identityMarkers ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        Check(markers.All(Data.Bundles.BundleFormat.IsKey) && markers.Distinct().Count() == markers.Count, "identityMarkers", "Identity question keys are lower-case letters, digits and '-', each once.");
        if (Errors.Count > 0)
        {
            await LoadCountsAsync(s, ct);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await Service.UpdateSettingsAsync(Staff, s, x =>
        {
            x.TaskType = task;
            x.CriteriaPerPair = criteriaPerPair;
            x.SliderSteps = sliderSteps;
            x.SessionCap = sessionCap;
            x.BreakMinutes = breakMinutes;
            x.AttentionCheckRate = attentionCheckRate;
            x.GoldRate = goldRate;
            x.MinGroupSize = minGroupSize;
            x.WithdrawalPolicy = policy;
            x.ShowPrompt = showPrompt;
            x.RequireEmail = requireEmail;
            x.IdentityMarkers = markers;
        }, ct);
        return Redirect($"/console/studies/{s.Key}?saved=settings");
    }

    public async Task<IActionResult> OnPostCriterionAsync(string criterion, string? nameEn, string? nameFr, string? definitionEn, string? definitionFr, bool retired, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        var c = Study!.Criteria.FirstOrDefault(x => x.Key == criterion);
        if (c is null)
        {
            return NotFound();
        }

        foreach (var (field, message) in StudyEndpoints.ValidateCriterion(Study, c.Key, Names(nameEn, nameFr), creating: false))
        {
            Errors[$"{field.Replace("name.", "name-", StringComparison.Ordinal)}-{c.Key}"] = message[0];
        }

        if (retired && !c.Retired && Study.Criteria.Count(x => !x.Retired) <= Study.CriteriaPerPair)
        {
            Errors[$"name-en-{c.Key}"] = $"Retiring {c.Key} would leave fewer active criteria than the {Study.CriteriaPerPair} shown per pair.";
        }

        if (Errors.Count > 0)
        {
            await LoadCountsAsync(Study, ct);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await Service.EditCriterionAsync(Staff, Study, c, Text(nameEn, nameFr), Text(definitionEn, definitionFr), retired, ct);
        return Redirect($"/console/studies/{Study.Key}?saved={c.Key}");
    }

    public async Task<IActionResult> OnPostAddCriterionAsync(string? newKey, string? nameEn, string? nameFr, string? definitionEn, string? definitionFr, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        (NewKey, NewNameEn, NewNameFr, NewDefinitionEn, NewDefinitionFr) = (newKey?.Trim(), nameEn, nameFr, definitionEn, definitionFr);
        foreach (var (field, message) in StudyEndpoints.ValidateCriterion(Study!, NewKey, Names(nameEn, nameFr), creating: true))
        {
            Errors[field.Replace('.', '-')] = message[0];
        }

        if (Errors.Count > 0)
        {
            await LoadCountsAsync(Study!, ct);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await Service.AddCriterionAsync(Staff, Study!, NewKey!, Text(nameEn, nameFr), Text(definitionEn, definitionFr), ct);
        return Redirect($"/console/studies/{Study!.Key}?saved={NewKey}");
    }

    /// <summary>What was sent to the protocol form when it was refused (null: show the stored values).</summary>
    public (string En, string Fr, string Contact)? ProtocolSent { get; private set; }

    /// <summary>
    /// The protocol page's text in English and French (paragraphs separated by blank lines; empty restores the app's
    /// default text for that language) and the study's contact, through the same use case as <c>pluralist study
    /// protocol</c>: checked first (sizes), audited, nothing saved on a problem.
    /// </summary>
    public async Task<IActionResult> OnPostProtocolAsync(string? protocolEn, string? protocolFr, string? contact, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        (protocolEn, protocolFr, contact) = (protocolEn ?? "", protocolFr ?? "", contact ?? "");
        ProtocolSent = (Keep(protocolEn), Keep(protocolFr), Keep(contact));
        Check(protocolEn.Length <= StudyRecruitment.MaxProtocolLength, "protocolEn",
            $"The English protocol text is {protocolEn.Length} characters long; at most {StudyRecruitment.MaxProtocolLength} are kept.");
        Check(protocolFr.Length <= StudyRecruitment.MaxProtocolLength, "protocolFr",
            $"The French protocol text is {protocolFr.Length} characters long; at most {StudyRecruitment.MaxProtocolLength} are kept.");
        Check(contact.Length <= StudyRecruitment.MaxContactLength, "contact",
            $"The contact is {contact.Length} characters long; at most {StudyRecruitment.MaxContactLength} are kept.");
        if (Errors.Count == 0)
        {
            try
            {
                await StudyRecruitment.SetProtocolAsync(Service.Db, Study!.Key, new Dictionary<string, string> { ["en"] = protocolEn, ["fr"] = protocolFr }, contact, Staff.Id, DateTimeOffset.UtcNow, ct);
                return Redirect($"/console/studies/{Study.Key}?saved=protocol#protocol-heading");
            }
            catch (StudyInputException e)
            {
                Service.Db.ChangeTracker.Clear();
                Errors["protocolEn"] = e.Message;
            }
        }

        await LoadCountsAsync(Study!, ct);
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    // A refused text is shown again as sent, up to a size a browser handles well; the rest is cut (the error says how long it was).
    private static string Keep(string text) => text.Length <= 2 * StudyRecruitment.MaxProtocolLength ? text : text[..(2 * StudyRecruitment.MaxProtocolLength)];

    public string? QuotaDimensionsText { get; private set; }
    public int? QuotaPerGroupValue { get; private set; }
    public int? QuotaUnstratifiedValue { get; private set; }

    /// <summary>The quota dimensions as the form shows them: one marker per line, <c>marker: value, value</c>.</summary>
    public static string DimensionsText(GroupQuotas? quotas) => quotas is null ? "" :
        string.Join("\n", quotas.Dimensions.Select(d => d.Values.Count == 0 ? d.Marker : $"{d.Marker}: {string.Join(", ", d.Values)}"));

    /// <summary>Reads the form's quota dimensions; problems name the line.</summary>
    public static List<QuotaDimension> ParseDimensions(string? text, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var dimensions = new List<QuotaDimension>();
        var lines = (text ?? "").Replace("\r", "", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var marker = (colon < 0 ? line : line[..colon]).Trim();
            var values = colon < 0 ? [] : line[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
            if (marker.Length == 0)
            {
                problems.Add($"Line {i + 1}: write the identity question's key before the ':'.");
                continue;
            }

            dimensions.Add(new QuotaDimension { Marker = marker, Values = values });
        }

        return dimensions;
    }

    public async Task<IActionResult> OnPostQuotasAsync(string? quotaDimensions, int? perGroup, int? unstratified, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        (QuotaDimensionsText, QuotaPerGroupValue, QuotaUnstratifiedValue) = (quotaDimensions, perGroup, unstratified);
        var problems = new List<string>();
        var quotas = new GroupQuotas { Dimensions = ParseDimensions(quotaDimensions, problems), PerGroup = perGroup ?? 0, Unstratified = unstratified ?? 0 };
        if (problems.Count > 0)
        {
            Errors["quotaDimensions"] = string.Join(" ", problems);
        }

        foreach (var (field, message) in Core.Assignments.QuotaPicker.Problems(quotas, Study!.IdentityMarkers))
        {
            var id = field.StartsWith("dimensions", StringComparison.Ordinal) ? "quotaDimensions" : field;
            var text = char.ToUpperInvariant(message[0]) + message[1..] + ".";
            Errors[id] = Errors.TryGetValue(id, out var already) ? already + " " + text : text;
        }

        if (Errors.Count > 0)
        {
            await LoadCountsAsync(Study, ct);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await Service.SetQuotasAsync(Staff, Study, quotas, ct);
        return Redirect($"/console/studies/{Study.Key}?saved=quotas");
    }

    public async Task<IActionResult> OnPostRemoveQuotasAsync(CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        await Service.SetQuotasAsync(Staff, Study!, null, ct);
        return Redirect($"/console/studies/{Study!.Key}?saved=quotas");
    }

    private void Check(bool ok, string field, string message)
    {
        if (!ok)
        {
            Errors[field] = message;
        }
    }

    private static Dictionary<string, string> Names(string? en, string? fr) => new() { ["en"] = en?.Trim() ?? "", ["fr"] = fr?.Trim() ?? "" };

    private static LocalizedText Text(string? en, string? fr)
    {
        var t = new LocalizedText();
        if (!string.IsNullOrWhiteSpace(en))
        {
            t["en"] = en.Trim();
        }

        if (!string.IsNullOrWhiteSpace(fr))
        {
            t["fr"] = fr.Trim();
        }

        return t;
    }

    private async Task LoadCountsAsync(Study study, CancellationToken ct)
    {
        Invitations = await Service.InvitationCountsAsync(study, ct);
        PromptLanguages = await Service.PromptLanguagesAsync(study, ct);
    }
}
