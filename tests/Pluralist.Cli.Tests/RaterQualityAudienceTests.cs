using Pluralist.Analysis.Reports;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Studies.Reports;

namespace Pluralist.Cli.Tests;

public class RaterQualityAudienceTests
{
    [Fact]
    public void A_liaison_sees_the_item_tables_of_the_rater_quality_section_but_no_rater_table_or_chart()
    {
        var rng = new Random(5);
        var rows = new List<CleaningRow>();
        for (var pair = 1; pair <= 12; pair++)
        {
            var truth = (rng.NextDouble() * 2) - 1;
            for (var p = 1; p <= 4; p++)
            {
                rows.Add(new CleaningRow
                {
                    AnswerId = rows.Count + 1,
                    AnnotationId = rows.Count + 1,
                    AssignmentId = rows.Count + 1,
                    ParticipantId = p,
                    BatchId = 1,
                    PairId = pair,
                    PromptId = 1,
                    Image0Id = pair * 10,
                    Image1Id = (pair * 10) + 1,
                    Criterion = "safety",
                    ScoreAsShown = Math.Round(Math.Clamp(truth + ((rng.NextDouble() - 0.5) * 0.6), -1, 1), 2),
                });
            }
        }

        var report = StudyReportBuilder.Build(new StudyReportInput { StudyKey = "s", StudyTitle = "S", Rows = rows, BootstrapReplicates = 5, Permutations = 5 });
        var full = report.Sections.Single(s => s.Id == "rater-quality");
        Assert.Equal(4, full.Tables.Count);
        Assert.Equal(2, full.Charts.Count);

        var liaison = ReportAudience.For(report, Role.Liaison).Sections.Single(s => s.Id == "rater-quality");
        Assert.Equal(["item_difficulty_dawid_skene", "item_location_ordinal"], liaison.Tables.Select(t => t.Name));
        Assert.Empty(liaison.Charts);
        Assert.Contains("4 table(s) or chart(s) with a row per participant are shown to researchers only.", liaison.Paragraphs);
        Assert.Same(report, ReportAudience.For(report, Role.Researcher));
    }
}
