using System.Globalization;
using Pluralist.Core.Model;
using Pluralist.Web.Participation;

namespace Pluralist.Web.Pages;

/// <summary>The participant's own answers, newest first.</summary>
public sealed class HistoryModel(ParticipantService service) : ParticipantPage(service)
{
    public IReadOnlyList<Annotation> Items { get; private set; } = [];

    public CultureInfo Culture => CultureInfo.GetCultureInfo(Language == "fr" ? "fr-CA" : "en-CA");

    public async Task OnGetAsync(CancellationToken ct) => Items = await Service.HistoryAsync(Participant.Id, ct);

    public string CriterionName(string key) => Study.Criteria.FirstOrDefault(c => c.Key == key)?.Name.Get(Language) ?? key;

    public string Describe(double? score) => score switch
    {
        null => T("not-answered"),
        <= -0.75 => T("v-left-strong"),
        < 0 => T("v-left"),
        0 => T("v-neutral"),
        < 0.75 => T("v-right"),
        _ => T("v-right-strong"),
    };
}
