using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pluralist.Analysis.Likert;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Console.Dataset;

/// <summary>What the ratings view filters on: a question key, a category key, the dropped ratings instead of the kept ones, the page (from 1).</summary>
public sealed record LikertFilter(string? Question, string? Category, bool Dropped = false, int Page = 1);

/// <summary>One Likert rating as the viewer shows it; <see cref="ReasonCode"/> is set for a dropped rating.</summary>
public sealed record LikertRatingView(long RatingId, long ImageId, long PromptId, string Prompt, string Question, int Value, IReadOnlyList<string> Categories, string Participant, string? ReasonCode, string? Words);

/// <summary>Per question: ratings matching the other filters, and their mean.</summary>
public sealed record LikertQuestionSummary(string Key, string Text, int Ratings, double? Mean);

/// <summary>
/// One page of a study's Likert ratings: kept by the Likert cleaning (the report's rules and defaults,
/// <see cref="LikertCleaning"/>) or, with <see cref="LikertFilter.Dropped"/>, dropped by it with the reason.
/// </summary>
public sealed record LikertView(int Total, IReadOnlyList<LikertRatingView> Rows, int Page, int PageCount, int Kept, int Dropped,
    IReadOnlyList<DropReasonCount> Reasons, IReadOnlyList<LikertQuestionSummary> Questions, IReadOnlyList<LikertItem> QuestionItems, IReadOnlyList<LikertItem> CategoryItems, bool Cleaned);

/// <summary>Builds the ratings view of the console's dataset viewer and of the public viewer.</summary>
public static class LikertViewer
{
    public static async Task<LikertView> LoadAsync(PluralistDbContext db, Study study, LikertFilter filter, string language, int pageSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        var ratings = await db.LikertRatings.AsNoTracking()
            .Where(r => db.Images.Any(i => i.Id == r.ImageId && i.StudyId == study.Id))
            .OrderBy(r => r.Id).ToListAsync(ct);
        var promptOf = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, i => i.PromptId, ct);
        var captions = await db.Prompts.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, p => p.Text, ct);
        var ids = ratings.Select(r => r.ParticipantId).Distinct().ToList();
        var pseudonyms = await db.Participants.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Pseudonym, ct);
        return Build(study, ratings, promptOf, captions, id => pseudonyms.GetValueOrDefault(id, ""), clean: true, filter, language, pageSize);
    }

    /// <summary>
    /// The view of <paramref name="ratings"/>: cleaned with the Likert rules when <paramref name="clean"/> (the console
    /// always; a public viewer when it was started with cleaning), all kept otherwise.
    /// </summary>
    public static LikertView Build(Study study, IReadOnlyList<LikertRating> ratings, IReadOnlyDictionary<long, long> promptOf, IReadOnlyDictionary<long, string> captions,
        Func<long, string> participant, bool clean, LikertFilter filter, string language, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(ratings);
        ArgumentNullException.ThrowIfNull(promptOf);
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(filter);
        var questions = study.LikertQuestions.Count > 0 ? study.LikertQuestions : Defaults.LikertQuestions;
        var categories = study.LikertCategories.Count > 0 ? study.LikertCategories : Defaults.LikertCategories;
        var reasonOf = new Dictionary<long, string>();
        if (clean)
        {
            var result = LikertCleaning.Run([.. ratings.Select(r => new LikertRow(r.Id, r.ParticipantId, r.ImageId.ToString(CultureInfo.InvariantCulture), r.QuestionKey, r.Value, r.ClientDurationMs, r.SubmittedAt))]);
            foreach (var (row, reason) in result.Dropped)
            {
                reasonOf[row.RatingId] = reason;
            }
        }

        bool Matches(LikertRating r, bool question) =>
            (!question || filter.Question is null || r.QuestionKey == filter.Question) &&
            (filter.Category is null || r.SelectedCategories.Contains(filter.Category));

        var side = ratings.Where(r => reasonOf.ContainsKey(r.Id) == filter.Dropped).ToList();
        var summaries = questions.Select(q =>
        {
            var values = side.Where(r => r.QuestionKey == q.Key && Matches(r, question: false)).Select(r => r.Value).ToList();
            return new LikertQuestionSummary(q.Key, q.Text.Get(language), values.Count, values.Count == 0 ? null : values.Average());
        }).ToList();
        var matching = side.Where(r => Matches(r, question: true)).ToList();
        var reasons = filter.Dropped
            ? matching.GroupBy(r => reasonOf[r.Id]).Select(g => new DropReasonCount(LikertRule(g.Key), g.Key, DropReasons.Describe(g.Key), g.Count()))
                .OrderByDescending(r => r.Answers).ThenBy(r => r.ReasonCode, StringComparer.Ordinal).ToList()
            : [];
        var (page, count) = DatasetViewer.Paging(filter.Page, matching.Count, pageSize);
        var texts = questions.ToDictionary(q => q.Key, q => q.Text.Get(language), StringComparer.Ordinal);
        var categoryTexts = categories.ToDictionary(c => c.Key, c => c.Text.Get(language), StringComparer.Ordinal);
        var rows = matching.Skip((page - 1) * pageSize).Take(pageSize).Select(r =>
        {
            var prompt = promptOf.GetValueOrDefault(r.ImageId);
            var reason = reasonOf.GetValueOrDefault(r.Id);
            return new LikertRatingView(r.Id, r.ImageId, prompt, captions.GetValueOrDefault(prompt, ""), texts.GetValueOrDefault(r.QuestionKey, r.QuestionKey), r.Value,
                [.. r.SelectedCategories.Select(c => categoryTexts.GetValueOrDefault(c, c))], participant(r.ParticipantId), reason, reason is null ? null : DropReasons.Describe(reason));
        }).ToList();
        return new LikertView(matching.Count, rows, page, count, ratings.Count - reasonOf.Count, reasonOf.Count, reasons, summaries, questions, categories, clean);
    }

    private static string LikertRule(string code) => code switch
    {
        "TOO_FAST" => "too-fast",
        "STRAIGHT_LINE" => "straight-line",
        "ATTENTION_FAILED" => "attention-check",
        _ => code,
    };
}
