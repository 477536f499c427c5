using System.Text.Json.Nodes;
using Pluralist.Analysis.Agreement;

namespace Pluralist.Analysis.Reports;

/// <summary>A synthetic run of the study compared with its people (what <c>pluralist raters compare</c> prints).</summary>
public sealed record SyntheticRunComparison(
    string Run, string Model, string Endpoint, string Task, int Personas, int SyntheticRatings, int WithoutAnswer,
    RepresentationReport Representation, AssociationReport Association);

/// <summary>The synthetic raters section of the study report (issue 23): shown only when the study has synthetic runs.</summary>
public static partial class StudyReportBuilder
{
    private static ReportSection SyntheticSection(StudyReportInput input)
    {
        const string heading = "Synthetic raters compared with the people";
        var paragraphs = new List<string>
        {
            "Synthetic answers (docs/raters.md) are never part of the analyses above. Here each run is compared with the people, group by group: r is Pearson's correlation, over items, of the group's mean rating with the mean rating of the group's personas (steered) and of the same model told nothing about the rater (unsteered), DIVE's measure, with 95% bootstrap intervals over items. The GAI columns give the group association index of the people and of the personas (each persona a rater with its markers) on the same items. A high correlation says a judge's average tracks a group's average, not that it represents the group.",
        };
        var tables = new List<ReportTable>();
        var charts = new List<ReportChart>();
        var runs = new List<IReadOnlyList<object?>>();
        var rows = new List<IReadOnlyList<object?>>();
        var gai = new List<IReadOnlyList<object?>>();
        var points = new JsonArray();
        foreach (var c in input.Synthetic)
        {
            var worst = c.Representation.Worst(3);
            runs.Add([c.Run, c.Model, c.Endpoint, c.Task, c.Personas, c.SyntheticRatings, c.WithoutAnswer, c.Representation.Groups[0].Steered, c.Representation.Groups[0].Unsteered,
                string.Join("; ", worst.Select(g => $"{g.Axis}={g.Group}"))]);
            var all = c.Representation.Groups[0];
            paragraphs.Add(string.Create(Ci, $"Run {c.Run} ({c.Model} at {c.Endpoint}, {c.Task}, {c.Personas} personas, {c.SyntheticRatings:N0} ratings, {c.WithoutAnswer} without a valid answer): everyone r {F(all.Steered)} steered against {F(all.Unsteered)} unsteered") +
                (worst.Count > 0 ? "; represented worst: " + string.Join(", ", worst.Select(g => string.Create(Ci, $"{g.Axis}={g.Group} (r {F(g.Steered)})"))) : "") + ".");
            foreach (var g in c.Representation.Groups)
            {
                rows.Add([c.Run, g.Axis, g.Group, g.People, g.Personas, g.Items, g.Steered, g.SteeredInterval.Lower, g.SteeredInterval.Upper, g.Unsteered, g.UnsteeredInterval.Lower, g.UnsteeredInterval.Upper, g.Gain, g.GainInterval.Lower, g.GainInterval.Upper]);
                if (g.Axis != SyntheticRepresentation.Everyone)
                {
                    points.Add(Obj(("run", c.Run), ("group", $"{g.Axis}: {g.Group}"), ("persona", "steered"), ("r", g.Steered)));
                    points.Add(Obj(("run", c.Run), ("group", $"{g.Axis}: {g.Group}"), ("persona", "unsteered"), ("r", g.Unsteered)));
                }
            }

            foreach (var g in c.Association.Groups)
            {
                gai.Add([c.Run, g.Axis, g.Group, g.People, g.HumanGai, g.HumanP, g.Personas, g.SyntheticGai, g.SyntheticP]);
            }

            foreach (var note in c.Association.Notes)
            {
                paragraphs.Add($"Run {c.Run}: {note}");
            }

            if (c.Representation.Skipped.Count > 0)
            {
                paragraphs.Add(string.Create(Ci, $"Run {c.Run}: {c.Representation.Skipped.Count} group(s) not scored (fewer than {input.MinGroupSize} people, or too few items rated by its people, its personas and the unsteered rater)."));
            }
        }

        tables.Add(new ReportTable("synthetic_runs", "Synthetic runs of the study: model, endpoint, task, personas, ratings; everyone's r with and without persona, and the groups represented worst (lowest r steered)",
            ["run", "model", "endpoint", "task", "personas", "ratings", "without_answer", "r_steered_everyone", "r_unsteered_everyone", "worst_groups"], runs));
        tables.Add(new ReportTable("synthetic_representation", "Per group and intersection: Pearson's r of the group's mean rating with its personas' (steered) and with the rater without persona (unsteered), the gain, and 95% percentile bootstrap intervals over items",
            ["run", "axis", "group", "people", "personas", "items", "r_steered", "r_steered_lower", "r_steered_upper", "r_unsteered", "r_unsteered_lower", "r_unsteered_upper", "gain", "gain_lower", "gain_upper"], rows));
        tables.Add(new ReportTable("synthetic_gai", string.Create(Ci, $"Group association index of the people beside that of the synthetic raters (each persona a rater with its markers), same items; {input.Permutations} permutations each"),
            ["run", "axis", "group", "people", "gai_people", "p_people", "personas", "gai_synthetic", "p_synthetic"], gai));
        if (points.Count > 0)
        {
            var spec = Spec("Correlation with each group, with and without persona", points, "point", new JsonObject
            {
                ["x"] = Field("r", "quantitative", "Pearson's r with the group's mean rating"),
                ["y"] = Field("group", "nominal", "Group"),
                ["color"] = Field("persona", "nominal", "Rater"),
                ["shape"] = Field("run", "nominal", "Run"),
            });
            charts.Add(new ReportChart("synthetic-representation", "Synthetic raters against each group",
                "Pearson's r per group, steered against unsteered: " + string.Join("; ", input.Synthetic.SelectMany(c => c.Representation.Groups.Skip(1).Select(g =>
                    string.Create(Ci, $"{c.Run} {g.Axis} {g.Group} {F(g.Steered)} against {F(g.Unsteered)}")))) + ".", spec));
        }

        return new ReportSection("synthetic", heading, paragraphs, charts, tables);
    }
}
