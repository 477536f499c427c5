using System.Text;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies;
using Pluralist.Studies.Console;
using Pluralist.Studies.Identity;

namespace Pluralist.Web.Console.Questions;

/// <summary>
/// /console/studies/{key}/questions: the study's identity questions and Likert lists (from a preset or an edited
/// questions file, the same checks as <c>pluralist study questions</c>) and the coding table of free-text answers.
/// Researchers only: the coding table shows what participants wrote about themselves. Every change is audited.
/// </summary>
public sealed class QuestionsModel(ConsoleService service) : ConsolePage(service)
{
    /// <summary>Largest questions file accepted from the form (characters).</summary>
    public const int MaxFileChars = 256 * 1024;

    protected override Role MinimumRole => Role.Researcher;

    public string? Message { get; private set; }

    /// <summary>Problems with what was sent, each with the form field it concerns.</summary>
    public List<(string Field, string Text)> Errors { get; } = [];

    /// <summary>The questions file shown in the editor: the study's own, or what was sent when it was refused.</summary>
    public string FileText { get; private set; } = "";

    public IReadOnlyList<AnswerToCode> ToCode { get; private set; } = [];

    public async Task OnGetAsync(string? saved, CancellationToken ct)
    {
        Message = saved switch
        {
            null => null,
            "coding" => "Saved: the coding of that answer.",
            _ => $"Saved: the questions ({saved}).",
        };
        await LoadAsync(null, ct);
    }

    public async Task<IActionResult> OnPostPresetAsync(string? preset, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(preset) || !IdentityPresets.Names.Contains(preset.Trim().ToLowerInvariant()))
        {
            Errors.Add(("preset", $"Choose a preset: {string.Join(", ", IdentityPresets.Names)}."));
            return await RefuseAsync(null, ct);
        }

        return await ApplyAsync(StudyQuestions.Preset(preset), null, $"preset {preset.Trim().ToLowerInvariant()}", ct);
    }

    public async Task<IActionResult> OnPostFileAsync(string? questions, CancellationToken ct)
    {
        questions ??= "";
        if (questions.Length > MaxFileChars)
        {
            Errors.Add(("questions", $"The questions file is longer than {MaxFileChars / 1024} KiB."));
            return await RefuseAsync(questions[..1000], ct);
        }

        var errors = new List<Core.Text.CsvError>();
        var file = QuestionsJson.ReadFile(Encoding.UTF8.GetBytes(questions), "questions", errors);
        if (errors.Count > 0 || file is null)
        {
            Errors.AddRange(errors.Count > 0 ? errors.Select(e => ("questions", e.ToString())) : [("questions", "The questions file is empty.")]);
            return await RefuseAsync(questions, ct);
        }

        return await ApplyAsync(new QuestionsChange(file.IdentityQuestions, file.LikertQuestions, file.LikertCategories, "console"), questions, "edited file", ct);
    }

    /// <summary>
    /// Codes one answer. The form carries the code shown when the page was made (<c>was</c>): when another researcher
    /// changed that coding in between, nothing is saved, the page answers 409 naming who changed it to what, and the
    /// field keeps what this researcher typed, so saving again (now knowingly) replaces it.
    /// </summary>
    public async Task<IActionResult> OnPostCodeAsync(string? question, string? answer, string? code, string? was, CancellationToken ct)
    {
        var problems = await IdentityCodingStore.SetAsync(Service.Db, Study!, question ?? "", answer ?? "", code, Staff.Email ?? Staff.Pseudonym, Staff.Id, DateTimeOffset.UtcNow, was ?? "", ct);
        if (problems.Count > 0)
        {
            var field = CodeFieldId(question ?? "", answer ?? "");
            Errors.AddRange(problems.Select(p => (p.Field is "code" or IdentityCodingStore.ChangedField ? field : "coding", $"{p.QuestionKey}: {p.Message}")));
            SentCodes[field] = code ?? "";
            var result = await RefuseAsync(null, ct);
            if (problems.Any(p => p.Field == IdentityCodingStore.ChangedField))
            {
                Response.StatusCode = StatusCodes.Status409Conflict;
            }

            return result;
        }

        return Redirect($"/console/studies/{Study!.Key}/questions?saved=coding#coding");
    }

    /// <summary>What was typed in a refused row of the coding table, by its field id, shown again instead of the stored code.</summary>
    public Dictionary<string, string> SentCodes { get; } = [];

    /// <summary>The id of the code field of one row of the coding table (stable, HTML-safe).</summary>
    public static string CodeFieldId(string question, string answer) =>
        "code-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(question + "\n" + answer)))[..16];

    private async Task<IActionResult> ApplyAsync(QuestionsChange change, string? sent, string what, CancellationToken ct)
    {
        try
        {
            await StudyQuestions.ApplyAsync(Service.Db, Study!.Key, change, Staff.Id, DateTimeOffset.UtcNow, ct);
        }
        catch (StudyInputException e)
        {
            Service.Db.ChangeTracker.Clear();
            Errors.AddRange(e.Errors.Count > 0 ? e.Errors.Select(x => ("questions", x.ToString())) : [("questions", e.Message)]);
            return await RefuseAsync(sent, ct);
        }

        return Redirect($"/console/studies/{Study!.Key}/questions?saved={Uri.EscapeDataString(what)}");
    }

    private async Task<IActionResult> RefuseAsync(string? sent, CancellationToken ct)
    {
        await LoadAsync(sent, ct);
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private async Task LoadAsync(string? sent, CancellationToken ct)
    {
        FileText = sent ?? Encoding.UTF8.GetString(await StudyQuestions.DescribeAsync(Service.Db, Study!.Key, ct));
        ToCode = await IdentityCodingStore.AnswersToCodeAsync(Service.Db, Study!, ct);
    }
}
