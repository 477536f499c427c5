using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Text;
using Pluralist.Data;
using Pluralist.Files;

namespace Pluralist.Web.Accounts;

/// <summary>A message to one person, already written in their language.</summary>
public sealed record EmailMessage(string To, string Subject, string Body, string Language)
{
    /// <summary>
    /// The header values to write: the recipient must be a checked address (<see cref="EmailAddresses"/>) and the
    /// subject loses any line break, so that no value can add a header of its own.
    /// </summary>
    public (string To, string Subject, string Language) SafeHeaders()
    {
        if (EmailAddresses.Normalize(To, out var problem) is null)
        {
            throw new ArgumentException($"refusing to send to '{EmailAddresses.Shown(To)}': {problem}");
        }

        static string OneLine(string s) => string.Concat(s.Select(c => char.IsControl(c) ? ' ' : c));
        return (To.Trim(' '), OneLine(Subject), OneLine(Language));
    }
}

/// <summary>Sends email. The default writes each message to the data directory's outbox folder.</summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken ct);
}

/// <summary>Writes each message as a <c>.eml</c> file in <c>&lt;data&gt;/outbox</c>, for a person or a mail relay to pick up.</summary>
public sealed class OutboxEmailSender(DataDirectory data, TimeProvider clock) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (to, subject, language) = message.SafeHeaders();
        Directory.CreateDirectory(data.OutboxPath);
        var now = clock.GetUtcNow();
        var name = string.Create(CultureInfo.InvariantCulture, $"{now:yyyyMMdd'T'HHmmssfff'Z'}-{Guid.NewGuid():N}.eml");
        var text = new StringBuilder()
            .Append("Date: ").Append(now.ToString("r", CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("To: ").Append(to).Append("\r\n")
            .Append("Subject: ").Append(subject).Append("\r\n")
            .Append("Content-Language: ").Append(language).Append("\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\n\r\n")
            .Append(message.Body.ReplaceLineEndings("\r\n")).Append("\r\n")
            .ToString();
        // Written under a temporary name, flushed and renamed, so a reader never sees half a message and a crash loses no sent one.
        var bytes = new UTF8Encoding(false).GetBytes(text);
        await DurableFile.WriteAsync(Path.Combine(data.OutboxPath, name), (s, c) => s.WriteAsync(bytes, c).AsTask(), ct);
    }
}

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

/// <summary>Sends through an SMTP server with System.Net.Mail.</summary>
public sealed class SmtpEmailSender(SmtpOptions options) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (to, subject, language) = message.SafeHeaders();
        using var client = new SmtpClient(options.Host, options.Port) { EnableSsl = options.EnableSsl };
        if (options.User is { Length: > 0 })
        {
            client.Credentials = new NetworkCredential(options.User, options.Password);
        }

        using var mail = new MailMessage(options.From, to, subject, message.Body)
        {
            BodyEncoding = Encoding.UTF8,
            SubjectEncoding = Encoding.UTF8,
        };
        mail.Headers.Add("Content-Language", language);
        await client.SendMailAsync(mail, ct);
    }
}
