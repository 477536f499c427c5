namespace Pluralist.Core.Model;

/// <summary>Which task a synthetic run did.</summary>
public enum SyntheticTask
{
    Pairwise = 0,
    Likert = 1,
}

/// <summary>How one synthetic rating ended (only <see cref="Ok"/> has scores).</summary>
public enum SyntheticStatus
{
    Ok = 0,
    Invalid = 1,
    Refused = 2,
    Failed = 3,
}

/// <summary>
/// A run of synthetic raters (a language or vision model, or the offline persona rater) over a study. Kept apart from
/// people's answers: nothing that reads annotations or Likert ratings reads these.
/// </summary>
public sealed class SyntheticRun
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    /// <summary>Unique within the study; a second run under the same name resumes it.</summary>
    public string Name { get; set; } = "";

    public string Model { get; set; } = "";

    /// <summary>The endpoint's base URL, or <c>offline</c>.</summary>
    public string Endpoint { get; set; } = "";

    public SyntheticTask Task { get; set; }

    /// <summary><c>from-study</c> or <c>grid</c>.</summary>
    public string Personas { get; set; } = "";

    /// <summary>The run's other settings as JSON (seed, temperature, axes, item limit), for provenance.</summary>
    public string Settings { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Requests sent (every attempt), answers taken from the cache, ratings without a valid answer.</summary>
    public int Calls { get; set; }

    public int Cached { get; set; }

    public int Failures { get; set; }

    public long InputTokens { get; set; }

    public long OutputTokens { get; set; }
}

/// <summary>
/// One synthetic rating: a persona (or none: <see cref="PersonaKey"/> empty) on a pair (criteria and side as shown) or
/// an image (Likert questions), with the scores in the order shown, or the reason there are none.
/// </summary>
public sealed class SyntheticAnswer
{
    public long Id { get; set; }

    public long RunId { get; set; }

    /// <summary><c>marker=value;...</c>; empty for the rater without a persona.</summary>
    public string PersonaKey { get; set; } = "";

    /// <summary>The persona's coded markers.</summary>
    public Dictionary<string, string> Persona { get; set; } = [];

    /// <summary>What was rated and how it was shown, unique within a run and persona (what a resumed run skips).</summary>
    public string ItemKey { get; set; } = "";

    public long? PairId { get; set; }

    public long? ImageId { get; set; }

    /// <summary>Criterion (pairwise) or question (Likert) keys, in the order asked.</summary>
    public List<string> CriteriaShown { get; set; } = [];

    /// <summary>Pairwise: whether image_0 was shown on the left (sliders are stored as shown, -1 = left).</summary>
    public bool? Image0OnLeft { get; set; }

    /// <summary>One value per entry of <see cref="CriteriaShown"/>; empty unless <see cref="Status"/> is Ok.</summary>
    public List<double> Scores { get; set; } = [];

    public SyntheticStatus Status { get; set; }

    public string? Error { get; set; }

    public int Attempts { get; set; }

    public long InputTokens { get; set; }

    public long OutputTokens { get; set; }

    /// <summary>SHA-256 of model, messages (persona, prompt, image hashes) and schema.</summary>
    public string CacheKey { get; set; } = "";

    /// <summary>Whether the scores were copied from an earlier answer with the same cache key.</summary>
    public bool FromCache { get; set; }

    public DateTimeOffset AnsweredAt { get; set; }
}
