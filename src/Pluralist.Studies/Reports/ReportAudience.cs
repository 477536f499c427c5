using System.Text.Json.Nodes;
using Pluralist.Analysis.Reports;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Reports;

/// <summary>
/// What of a study report each staff role may see. Researchers (and admins) see the whole report. Community liaisons
/// know participants personally and could tell who is behind a pseudonym (docs/security.md), so every table with a
/// row per participant (a <c>participant</c>, <c>rater</c> or <c>pseudonym</c> column) and every chart whose data
/// names participants is left out of their view. Groups below the study's minimum size are already suppressed by the
/// report itself (<see cref="SafeGroups"/>), for every role.
/// </summary>
public static class ReportAudience
{
    /// <summary>Columns that name a participant: a table holding one is per participant.</summary>
    public static readonly IReadOnlySet<string> ParticipantColumns = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "participant", "participant_id", "rater", "rater_id", "pseudonym",
    };

    /// <summary>True when <paramref name="role"/> sees the whole report.</summary>
    public static bool SeesEverything(Role role) => role >= Role.Researcher;

    /// <summary>True when the table has a row per participant.</summary>
    public static bool IsPerParticipant(ReportTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.Columns.Any(ParticipantColumns.Contains);
    }

    /// <summary>True when the chart's inline data names participants.</summary>
    public static bool IsPerParticipant(ReportChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        return NamesParticipants(chart.Spec);
    }

    /// <summary>The report as <paramref name="role"/> may see it (the same object for researchers and admins).</summary>
    public static StudyReport For(StudyReport report, Role role)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (SeesEverything(role))
        {
            return report;
        }

        var sections = report.Sections.Select(s =>
        {
            var tables = s.Tables.Where(t => !IsPerParticipant(t)).ToList();
            var charts = s.Charts.Where(c => !IsPerParticipant(c)).ToList();
            var left = s.Tables.Count - tables.Count + s.Charts.Count - charts.Count;
            var paragraphs = left == 0
                ? s.Paragraphs
                : [.. s.Paragraphs, $"{left} table(s) or chart(s) with a row per participant are shown to researchers only."];
            return s with { Tables = tables, Charts = charts, Paragraphs = paragraphs };
        }).ToList();
        return report with { Sections = sections };
    }

    private static bool NamesParticipants(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(kv => ParticipantColumns.Contains(kv.Key) && kv.Value is JsonValue) || o.Any(kv => NamesParticipants(kv.Value)),
        JsonArray a => a.Any(NamesParticipants),
        _ => false,
    };
}
