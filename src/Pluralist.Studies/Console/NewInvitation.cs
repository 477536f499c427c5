namespace Pluralist.Studies.Console;

/// <summary>An invitation made in the console: the code in clear text exists only in this answer.</summary>
public sealed record NewInvitation(string Code, string? Email, string Language, DateTimeOffset ExpiresAt);
