namespace Pluralist.Core.Model;

/// <summary>A record of something a person or the system did (export, withdrawal, settings change).</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    /// <summary>Who acted; null for the system or the command line.</summary>
    public long? ActorParticipantId { get; set; }

    /// <summary>The study the action concerns, if any.</summary>
    public long? StudyId { get; set; }

    /// <summary>Dotted action name (<c>export.bundle</c>, <c>participant.withdraw</c>).</summary>
    public string Action { get; set; } = "";

    /// <summary>Details of the action as a JSON document.</summary>
    public string Details { get; set; } = "{}";

    public DateTimeOffset At { get; set; }
}

/// <summary>A one-time code sent by email (address verification, sign-in). Only a hash of the code is stored.</summary>
public sealed class OneTimeCode
{
    public long Id { get; set; }

    public string Email { get; set; } = "";

    /// <summary>SHA-256 of the code, hex.</summary>
    public string CodeHash { get; set; } = "";

    /// <summary>What the code is for (<c>verify-email</c>, <c>sign-in</c>).</summary>
    public string Purpose { get; set; } = "";

    public string Language { get; set; } = "en";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Wrong guesses so far.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}
