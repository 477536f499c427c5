namespace Pluralist.Studies.Participation;

/// <summary>One identity question as answered on the form.</summary>
public sealed record MarkerInput(string Marker, bool Consent, string? Value, bool PreferNotToSay);
