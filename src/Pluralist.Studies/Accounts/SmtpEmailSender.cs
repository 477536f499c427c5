using System.Net;
using System.Net.Mail;
using System.Text;

namespace Pluralist.Studies.Accounts;

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
