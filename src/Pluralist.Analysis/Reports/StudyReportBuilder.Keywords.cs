using System.Text.Json.Nodes;
using Pluralist.Analysis.Text;

namespace Pluralist.Analysis.Reports;

public static partial class StudyReportBuilder
{
    /// <summary>Keywords per prompt source in the table and chart (LIVS Fig. 3 shows the most frequent few).</summary>
    public const int KeywordsPerSource = 10;

    // LIVS Fig. 3: the most frequent keywords of the prompts of each source. Prompt texts carry no participant data.
    private static ReportSection KeywordsSection(StudyReportInput input)
    {
        const string heading = "Prompt keywords by source";
        var result = PromptKeywords.PerSource(input.Prompts, KeywordsPerSource);
        if (result.Keywords.Count == 0)
        {
            var why = input.Prompts.Count == 0
                ? "The study has no prompts."
                : string.Create(Ci, $"None of the study's {input.Prompts.Count} prompts has a keyword in a language with a concept vocabulary and stop-list (en, fr).");
            return new ReportSection("prompt-keywords", heading, [why], [], []);
        }

        var table = new ReportTable("prompt_keywords_per_source", $"Prompt keywords by source (LIVS Fig. 3): the {KeywordsPerSource} most frequent keywords of each source's prompts, the prompts containing each (counted once per prompt) and their share of the source's prompts; category is the concept category or \"word\" (a content word off the stop-list)",
            ["source", "rank", "keyword", "category", "prompts", "source_prompts", "share"],
            result.Keywords.Select(k => (IReadOnlyList<object?>)[k.Source, k.Rank, k.Keyword, k.Category, k.Prompts, k.SourcePrompts, k.Share]).ToList());

        var values = new JsonArray([.. result.Keywords.Select(k => Obj(("source", k.Source), ("keyword", k.Keyword), ("category", k.Category), ("prompts", k.Prompts), ("share", k.Share)))]);
        var spec = new JsonObject
        {
            ["description"] = "Most frequent prompt keywords per prompt source",
            ["data"] = new JsonObject { ["values"] = values },
            ["facet"] = new JsonObject { ["row"] = Field("source", "nominal", "Prompt source") },
            ["resolve"] = new JsonObject { ["scale"] = new JsonObject { ["y"] = "independent" } },
            ["spec"] = new JsonObject
            {
                ["width"] = 360,
                ["mark"] = new JsonObject { ["type"] = "bar", ["tooltip"] = true },
                ["encoding"] = new JsonObject
                {
                    ["y"] = new JsonObject { ["field"] = "keyword", ["type"] = "nominal", ["title"] = "Keyword", ["sort"] = "-x" },
                    ["x"] = new JsonObject { ["field"] = "share", ["type"] = "quantitative", ["title"] = "Share of the source's prompts", ["axis"] = new JsonObject { ["format"] = "%" }, ["scale"] = new JsonObject { ["domain"] = new JsonArray(0, 1) } },
                    ["color"] = Field("category", "nominal", "Category"),
                },
            },
        };
        var alt = "Most frequent keywords of each prompt source's prompts, as the share of the source's prompts containing each: " +
            string.Join("; ", result.Keywords.GroupBy(k => k.Source).Select(g => string.Create(Ci, $"{g.Key} ({result.PromptsPerSource[g.Key]} prompts): ") +
                string.Join(", ", g.Take(5).Select(k => string.Create(Ci, $"{k.Keyword} {Pct(k.Share)} ({k.Prompts})"))))) + ".";
        var chart = new ReportChart("prompt-keywords", "Prompt keywords by source", alt, spec);

        var paragraphs = new List<string>
        {
            string.Create(Ci, $"Keywords of the study's {result.PromptsPerSource.Values.Sum()} prompts per source ({string.Join(", ", result.PromptsPerSource.Select(kv => string.Create(Ci, $"{kv.Key} {kv.Value}")))}): the concept vocabulary of the augmentation (phrases such as \"community garden\" count as one keyword), then the remaining words of three letters or more that are not on the language's stop-list; lower-cased and counted once per prompt."),
        };
        if (result.UnsupportedLanguage > 0)
        {
            paragraphs.Add(string.Create(Ci, $"{result.UnsupportedLanguage} prompt(s) in a language without a concept vocabulary and stop-list (en, fr) are left out."));
        }

        return new ReportSection("prompt-keywords", heading, paragraphs, [chart], [table]);
    }
}
