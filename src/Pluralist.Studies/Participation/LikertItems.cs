using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>The DIVE task's questions (a 1..5 scale) and categories: the study's own, else the defaults.</summary>
public static class LikertItems
{
    public const int Min = 1;
    public const int Max = 5;

    public static IReadOnlyList<LikertItem> QuestionsOf(Study study)
    {
        ArgumentNullException.ThrowIfNull(study);
        return study.LikertQuestions.Count > 0 ? study.LikertQuestions : Defaults.LikertQuestions;
    }

    public static IReadOnlyList<LikertItem> CategoriesOf(Study study)
    {
        ArgumentNullException.ThrowIfNull(study);
        return study.LikertCategories.Count > 0 ? study.LikertCategories : Defaults.LikertCategories;
    }

    /// <summary>The items as shown in <paramref name="lang"/>.</summary>
    public static List<ShownItem> Shown(IReadOnlyList<LikertItem> items, string lang) =>
        items.Select(i => new ShownItem(i.Key, i.Text.Get(lang))).ToList();
}
