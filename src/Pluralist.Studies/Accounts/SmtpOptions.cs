namespace Pluralist.Studies.Accounts;

/// <summary>SMTP settings (<c>Pluralist:Smtp</c>); email goes through SMTP when <see cref="Host"/> is set.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public bool EnableSsl { get; set; } = true;

    public string? User { get; set; }

    public string? Password { get; set; }

    public string From { get; set; } = "pluralist@localhost";
}
