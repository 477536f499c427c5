using System.Globalization;
using Pluralist.Core.Model;
using Pluralist.Studies.Participation;

namespace Pluralist.Web.Participation.History;

/// <summary>The participant's own answers, newest first; answers in an open batch can be changed.</summary>
public sealed class HistoryModel(ParticipationStore store, AnswerHistory history) : ParticipantPage(store)
{
    public IReadOnlyList<Annotation> Items { get; private set; } = [];

    public IReadOnlySet<long> Changeable { get; private set; } = new HashSet<long>();

    /// <summary>Likert ratings grouped by image, newest first.</summary>
    public IReadOnlyList<IGrouping<long, LikertRating>> Ratings { get; private set; } = [];

    /// <summary>Ratings can be changed while a batch of the study is open.</summary>
    public bool CanChangeRatings => history.RatingsChangeable(Study);

    public CultureInfo Culture => CultureInfo.GetCultureInfo(Language == "fr" ? "fr-CA" : "en-CA");

    public async Task OnGetAsync(CancellationToken ct)
    {
        Items = await history.AnswersAsync(Participant.Id, ct);
        Changeable = await history.ChangeableAsync(Participant.Id, Study, ct);
        Ratings = (await history.RatingsAsync(Participant.Id, ct)).GroupBy(r => r.ImageId).ToList();
    }

    public string When(DateTimeOffset at) => at.ToLocalTime().ToString("g", Culture);

    public string CriterionName(string key) => Study.Criteria.FirstOrDefault(c => c.Key == key)?.Name.Get(Language) ?? key;

    public string QuestionText(string key) => LikertItems.QuestionsOf(Study).FirstOrDefault(q => q.Key == key)?.Text.Get(Language) ?? key;

    public string CategoryText(string key) => LikertItems.CategoriesOf(Study).FirstOrDefault(q => q.Key == key)?.Text.Get(Language) ?? key;

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
