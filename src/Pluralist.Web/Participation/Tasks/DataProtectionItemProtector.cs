using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Pluralist.Studies.Participation;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>Rating item tokens protected by the app's data-protection keys (the purpose string keeps tokens already handed out valid).</summary>
public sealed class DataProtectionItemProtector(IDataProtectionProvider protection) : IItemProtector
{
    private ITimeLimitedDataProtector Protector =>
        protection.CreateProtector("pluralist.likert-item").ToTimeLimitedDataProtector();

    public string Protect(string payload, TimeSpan lifetime) => Protector.Protect(payload, lifetime);

    public string? Unprotect(string token)
    {
        try
        {
            return Protector.Unprotect(token);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
