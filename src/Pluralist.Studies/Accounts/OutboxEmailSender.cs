using System.Globalization;
using System.Text;
using Pluralist.Data;
using Pluralist.Files;

namespace Pluralist.Studies.Accounts;

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
