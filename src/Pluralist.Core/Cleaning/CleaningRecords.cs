namespace Pluralist.Core.Cleaning;

/// <summary>
/// A stored cleaning run: the rules applied, the report, and (in <see cref="CleaningDrop"/>) the
/// first rule that dropped each row. Runs never delete answers; the latest run of a study is what
/// dataset exports and reports use.
/// </summary>
public sealed class CleaningRunRecord
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public string RulesVersion { get; set; } = "";

    /// <summary>The rules file as applied (JSON text).</summary>
    public string Rules { get; set; } = "";

    /// <summary>The <see cref="CleaningReport"/> as JSON text.</summary>
    public string Report { get; set; } = "";

    public int RowsIn { get; set; }

    public int RowsOut { get; set; }

    /// <summary>The largest answer (AnnotationScore) id the run saw; later answers are not cleaned by it.</summary>
    public long? LastAnswerId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One answer a cleaning run dropped, with the first rule (in file order) that matched it.</summary>
public sealed class CleaningDrop
{
    public long Id { get; set; }

    public long RunId { get; set; }

    /// <summary>The AnnotationScore id.</summary>
    public long AnswerId { get; set; }

    public string Rule { get; set; } = "";

    public string ReasonCode { get; set; } = "";
}
