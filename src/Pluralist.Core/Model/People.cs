namespace Pluralist.Core.Model;

/// <summary>
/// A person known to Pluralist under a pseudonym. Participants belong to one study; staff
/// (liaison, researcher, admin) have no study. Identity markers live apart, in <see cref="IdentityAnswer"/>.
/// </summary>
public sealed class Participant
{
    public long Id { get; set; }

    /// <summary>The study a participant joined; null for staff accounts.</summary>
    public long? StudyId { get; set; }

    /// <summary>Pseudonymous id shown in exports and the console (<c>P-7F3K2Q</c>).</summary>
    public string Pseudonym { get; set; } = "";

    public string? Email { get; set; }

    /// <summary>ASP.NET Core PasswordHasher output; null when the participant has no password.</summary>
    public string? PasswordHash { get; set; }

    public string PreferredLanguage { get; set; } = "en";

    public Role Role { get; set; } = Role.Participant;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? WithdrawnAt { get; set; }
}

/// <summary>A single-use invitation code. Only a hash of the code is stored.</summary>
public sealed class Invitation
{
    public long Id { get; set; }

    public long? StudyId { get; set; }

    /// <summary>SHA-256 of the normalised code, hex.</summary>
    public string CodeHash { get; set; } = "";

    public string? Email { get; set; }

    public string Language { get; set; } = "en";

    public Role Role { get; set; } = Role.Participant;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }

    public long? ParticipantId { get; set; }
}

/// <summary>A participant's acceptance of one consent document version, with consent per identity marker.</summary>
public sealed class ConsentRecord
{
    public long Id { get; set; }

    public long ParticipantId { get; set; }

    public string DocumentVersion { get; set; } = "";

    public string Language { get; set; } = "en";

    public DateTimeOffset ConsentedAt { get; set; }

    /// <summary>Marker key to whether the participant consented to its storage and export.</summary>
    public Dictionary<string, bool> MarkerConsents { get; set; } = [];

    public DateTimeOffset? WithdrawnAt { get; set; }
}

/// <summary>One identity marker answer, stored apart from annotations.</summary>
public sealed class IdentityAnswer
{
    public long Id { get; set; }

    public long ParticipantId { get; set; }

    /// <summary>Marker key (<c>age-band</c>, <c>gender</c>, …).</summary>
    public string Marker { get; set; } = "";

    /// <summary>The answer; null when the participant preferred not to say.</summary>
    public string? Value { get; set; }

    public bool PreferNotToSay { get; set; }

    public DateTimeOffset AnsweredAt { get; set; }
}
