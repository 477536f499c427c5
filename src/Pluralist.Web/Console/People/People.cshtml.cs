using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Pluralist.Core.Text;
using Pluralist.Data.Imports;
using Pluralist.Studies.Console;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console.People;

/// <summary>/console/studies/{key}/people: invitations (printable codes, or emails from a CSV) and who joined. Liaisons may invite.</summary>
public sealed class PeopleModel(ConsoleService service, IOptions<ImportLimits> limits) : ConsolePage(service)
{
    public IReadOnlyList<ConsoleParticipant> People { get; private set; } = [];

    public (int Open, int Used, int Expired) Invitations { get; private set; }

    public IReadOnlyList<NewInvitation> Made { get; private set; } = [];

    public List<string> Errors { get; } = [];

    /// <summary>The app's public address (configured, else this request's): shown to print, and the link in emails.</summary>
    public string JoinUrl => WebSetup.PublicBaseUrl(HttpContext);

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostCodesAsync(int count, int days, string? language, CancellationToken ct)
    {
        if (count is < 1 or > 500)
        {
            Errors.Add("Make between 1 and 500 codes at a time.");
        }

        if (days is < 1 or > 365)
        {
            Errors.Add("Codes are valid for 1 to 365 days.");
        }

        if (language is not ("en" or "fr"))
        {
            Errors.Add("Choose English or French.");
        }

        if (Errors.Count == 0)
        {
            Made = await Service.InviteAsync(Staff, Study!, Enumerable.Repeat(((string?)null, language!), count).ToList(), days, JoinUrl, ct);
        }
        else
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostCsvAsync(IFormFile? file, int days, CancellationToken ct)
    {
        var errors = new List<CsvError>();
        IReadOnlyList<(string? Email, string Language)> people = [];
        if (file is null || file.Length == 0)
        {
            Errors.Add("Choose a CSV file.");
        }
        else if (file.Length > 5_000_000)
        {
            Errors.Add("The file is larger than 5 MB.");
        }
        else
        {
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, ct);
            var text = StrictUtf8.TryDecode(buffer.ToArray(), file.FileName, out var encoding);
            if (text is null)
            {
                errors.Add(encoding!);
            }
            else
            {
                people = ConsoleService.ReadInvitationCsv(text, errors);
            }
        }

        if (days is < 1 or > 365)
        {
            Errors.Add("Codes are valid for 1 to 365 days.");
        }

        Errors.AddRange(ImportErrors.Lines(errors, 0, limits.Value.MaxReportedErrors));
        if (Errors.Count == 0)
        {
            Made = await Service.InviteAsync(Staff, Study!, people, days, JoinUrl, ct);
        }
        else
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        await LoadAsync(ct);
        return Page();
    }

    /// <summary>The participant whose code was just reset, and the new code (shown once).</summary>
    public (string Pseudonym, NewInvitation Code)? Reset { get; private set; }

    public async Task<IActionResult> OnPostResetAsync(string? pseudonym, CancellationToken ct)
    {
        var made = await Service.ResetCodeAsync(Staff, Study!, pseudonym ?? "", ResetDays, ct);
        if (made is null)
        {
            Errors.Add($"There is no participant '{pseudonym}' in this study who has not withdrawn.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else
        {
            Reset = (pseudonym!, made);
        }

        await LoadAsync(ct);
        return Page();
    }

    /// <summary>How long a reset code works.</summary>
    public const int ResetDays = 14;

    private async Task LoadAsync(CancellationToken ct)
    {
        People = await Service.ParticipantsAsync(Study!, ct);
        Invitations = await Service.InvitationCountsAsync(Study!, ct);
    }
}
