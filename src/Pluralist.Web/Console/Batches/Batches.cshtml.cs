using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Studies.Console;

namespace Pluralist.Web.Console.Batches;

/// <summary>/console/studies/{key}/batches: the study's batches; researchers open new ones.</summary>
public sealed class BatchesModel(ConsoleService service) : ConsolePage(service)
{
    public Dictionary<string, string> Errors { get; } = [];

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Opens { get; set; }
    [BindProperty] public string? Closes { get; set; }
    [BindProperty] public int Quota { get; set; } = 750;
    [BindProperty] public string Distribution { get; set; } = "random";
    [BindProperty] public int Overlap { get; set; } = 1;
    [BindProperty] public int? SessionCap { get; set; }

    public void OnGet()
    {
        var now = DateTimeOffset.UtcNow;
        Name = $"Batch {Study!.Batches.Count + 1}";
        Opens = now.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
        Closes = now.AddDays(14).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        var opens = Parse(Opens, "opens", "When the batch opens");
        var closes = Parse(Closes, "closes", "When the batch closes");
        if (string.IsNullOrWhiteSpace(Name))
        {
            Errors["name"] = "A name is required.";
        }

        if (opens is not null && closes is not null && closes <= opens)
        {
            Errors["closes"] = "The batch must close after it opens.";
        }

        if (Quota < 1)
        {
            Errors["quota"] = "The quota must be at least 1.";
        }

        if (Overlap < 1)
        {
            Errors["overlap"] = "At least one participant should see each pair.";
        }

        if (SessionCap is < 1)
        {
            Errors["sessionCap"] = "A session cap must be at least 1, or empty.";
        }

        if (!Tokens.TryParse(Distribution, out PairDistribution distribution))
        {
            Errors["distribution"] = "Choose how pairs are handed out.";
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await Service.AddBatchAsync(Staff, Study!, new Batch
        {
            Name = Name!.Trim(),
            OpensAt = opens!.Value,
            ClosesAt = closes!.Value,
            QuotaPerParticipant = Quota,
            Distribution = distribution,
            Overlap = Overlap,
            SessionCap = SessionCap,
        }, ct);
        return Redirect($"/console/studies/{Study!.Key}/batches");
    }

    private DateTimeOffset? Parse(string? value, string field, string what)
    {
        if (DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
        {
            return new DateTimeOffset(d, TimeSpan.Zero);
        }

        Errors[field] = $"{what} needs a date and time.";
        return null;
    }
}
