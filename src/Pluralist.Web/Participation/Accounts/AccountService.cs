using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Accounts;

public enum CodeCheck
{
    Ok,
    Wrong,
    TooManyTries,
    NoCode,
}

/// <summary>Email addresses verified by one-time codes, passwords, and signing in again with them.</summary>
public sealed class AccountService(PluralistDbContext db, IEmailSender email, TimeProvider clock)
{
    public const string VerifyPurpose = "verify-email";
    public const int MaxAttempts = 5;
    public const int MaxCodesPerHour = 5;
    public const int MinPasswordLength = 8;
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(15);

    private static readonly PasswordHasher<Participant> Hasher = new();
    private static readonly string DummyHash = Hasher.HashPassword(new Participant(), "not a password anyone has");

    /// <summary>Lower case and trimmed, if it is a plain email address (<see cref="EmailAddresses"/>); null otherwise.</summary>
    public static string? NormalizeEmail(string? value) => EmailAddresses.Normalize(value, out _);

    public Task<bool> EmailTakenAsync(long studyId, long participantId, string address, CancellationToken ct) =>
        db.Participants.AnyAsync(p => p.StudyId == studyId && p.Id != participantId && p.Email == address && p.WithdrawnAt == null, ct);

    /// <summary>Makes a six-digit code, stores its hash and sends it; false when too many codes were asked for this address in the last hour.</summary>
    public async Task<bool> SendCodeAsync(string address, string lang, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var since = now.AddHours(-1);
        if (await db.OneTimeCodes.CountAsync(c => c.Email == address && c.Purpose == VerifyPurpose && c.CreatedAt > since, ct) >= MaxCodesPerHour)
        {
            return false;
        }

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        db.OneTimeCodes.Add(new OneTimeCode
        {
            Email = address,
            CodeHash = Hash(code),
            Purpose = VerifyPurpose,
            Language = lang,
            CreatedAt = now,
            ExpiresAt = now + CodeLifetime,
        });
        await db.SaveChangesAsync(ct);
        await email.SendAsync(new EmailMessage(
            address,
            Texts.Get("mail-subject", lang),
            Texts.Format("mail-body", lang, code, (int)CodeLifetime.TotalMinutes),
            lang), ct);
        return true;
    }

    /// <summary>Checks a code against the latest live code of the address; a wrong guess counts, and the code dies after <see cref="MaxAttempts"/>.</summary>
    public async Task<CodeCheck> CheckCodeAsync(string address, string? code, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var live = await db.OneTimeCodes
            .Where(c => c.Email == address && c.Purpose == VerifyPurpose && c.UsedAt == null && c.ExpiresAt > now)
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);
        if (live is null)
        {
            return CodeCheck.NoCode;
        }

        if (live.Attempts >= MaxAttempts)
        {
            return CodeCheck.TooManyTries;
        }

        var given = Encoding.ASCII.GetBytes(Hash(code ?? ""));
        if (!CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(live.CodeHash)))
        {
            // Counted in SQL so that simultaneous guesses all count.
            await db.OneTimeCodes.Where(c => c.Id == live.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Attempts, c => c.Attempts + 1), ct);
            return live.Attempts + 1 >= MaxAttempts ? CodeCheck.TooManyTries : CodeCheck.Wrong;
        }

        // Single use: of two simultaneous uses only one marks the row.
        var used = await db.OneTimeCodes.Where(c => c.Id == live.Id && c.UsedAt == null && c.Attempts < MaxAttempts)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct);
        return used == 1 ? CodeCheck.Ok : CodeCheck.NoCode;
    }

    /// <summary>Stores the verified address and the password's hash.</summary>
    public async Task SetAccountAsync(long participantId, string address, string password, CancellationToken ct)
    {
        var participant = await db.Participants.FirstAsync(p => p.Id == participantId, ct);
        participant.Email = address;
        participant.PasswordHash = Hasher.HashPassword(participant, password);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The current participant with this address and password, or null (also for a staff account's address and password).</summary>
    public async Task<Participant?> SignInAsync(string? address, string? password, CancellationToken ct)
    {
        var normalized = NormalizeEmail(address);
        if (normalized is null || string.IsNullOrEmpty(password))
        {
            return null;
        }

        var candidates = await db.Participants
            // Participants only: staff sign in on the console's page, never here.
            .Where(p => p.Email == normalized && p.PasswordHash != null && p.WithdrawnAt == null && p.Role == Role.Participant && p.StudyId != null)
            .OrderByDescending(p => p.Id).ToListAsync(ct);
        if (candidates.Count == 0)
        {
            // The same work as for a known address, so the time taken does not tell which addresses exist.
            Hasher.VerifyHashedPassword(new Participant(), DummyHash, password);
        }

        foreach (var p in candidates)
        {
            var result = Hasher.VerifyHashedPassword(p, p.PasswordHash!, password);
            if (result == PasswordVerificationResult.SuccessRehashNeeded)
            {
                p.PasswordHash = Hasher.HashPassword(p, password);
                await db.SaveChangesAsync(ct);
            }

            if (result != PasswordVerificationResult.Failed)
            {
                return p;
            }
        }

        return null;
    }

    private static string Hash(string code) => Codes.Hash(code);
}
