namespace Pluralist.Studies.Accounts;

/// <summary>Sends email. The default writes each message to the data directory's outbox folder.</summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken ct);
}
