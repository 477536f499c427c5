using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Accounts;

/// <summary>Researcher, liaison and admin accounts: created from the command line, signed in with email and password.</summary>
public static class StaffAccounts
{
    private static readonly PasswordHasher<Participant> Hasher = new();

    /// <summary>Shortest password accepted.</summary>
    public const int MinPasswordLength = 12;

    /// <summary>Creates a staff account, or resets the password and role of an existing one with this email.</summary>
    /// <returns>The account and whether it is new.</returns>
    public static async Task<(Participant Account, bool Created)> SetAsync(PluralistDbContext db, string email, Role role, string password, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentNullException.ThrowIfNull(password);
        // Stored in lower case: sign-in ignores case.
        email = Accounts.EmailAddresses.Normalize(email, out var problem)
            ?? throw new ArgumentException($"'{Accounts.EmailAddresses.Shown(email)}' is not an email address: {problem}");

        if (role == Role.Participant)
        {
            throw new ArgumentException("a staff account needs the role liaison, researcher or admin");
        }

        if (password.Length < MinPasswordLength)
        {
            throw new ArgumentException($"the password must have at least {MinPasswordLength} characters");
        }

        var account = await FindAsync(db, email, ct);
        var created = account is null;
        if (account is null)
        {
            account = new Participant { Pseudonym = "S-" + Codes.NewPseudonym()[2..], Email = email, CreatedAt = DateTimeOffset.UtcNow };
            db.Participants.Add(account);
        }

        account.Role = role;
        account.PasswordHash = Hasher.HashPassword(account, password);
        db.AuditEntries.Add(new AuditEntry
        {
            Action = created ? "staff.create" : "staff.update",
            Details = System.Text.Json.JsonSerializer.Serialize(new { email, role = role.ToToken() }),
            At = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync(ct);
        return (account, created);
    }

    /// <summary>The staff account with this email and password, or null (unknown email, no password, wrong password, not staff).</summary>
    public static async Task<Participant?> VerifyAsync(PluralistDbContext db, string email, string password, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var account = await FindAsync(db, email ?? "", ct);
        if (account?.PasswordHash is null || password is null)
        {
            // Hash anyway so that an unknown email takes as long as a wrong password.
            Hasher.VerifyHashedPassword(new Participant(), DummyHash.Value, password ?? "");
            return null;
        }

        var result = Hasher.VerifyHashedPassword(account, account.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            return null;
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            account.PasswordHash = Hasher.HashPassword(account, password);
            await db.SaveChangesAsync(ct);
        }

        return account;
    }

    /// <summary>A random password of 20 characters from an unambiguous alphabet.</summary>
    public static string NewPassword() =>
        new(RandomNumberGenerator.GetItems<char>("ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789", 20));

    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(new Participant(), NewPassword()));

    private static Task<Participant?> FindAsync(PluralistDbContext db, string email, CancellationToken ct)
    {
        var normalized = email.Trim().ToLowerInvariant();
        return db.Participants.FirstOrDefaultAsync(p => p.StudyId == null && p.Role != Role.Participant && p.Email == normalized, ct);
    }
}
