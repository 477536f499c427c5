using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Pluralist.Data;

namespace Pluralist.Web.Infrastructure;

/// <summary>
/// ASP.NET Core's data-protection key ring in the database (<c>data_protection_keys</c>), so that every app instance
/// on one database signs and reads the same cookies and tokens whatever its data directory. The key manager caches
/// the ring and calls this rarely (at start, when it creates or revokes a key, about once a day), so the blocking
/// calls the interface requires do not sit on the request path.
/// </summary>
public sealed class DatabaseKeyRing(DatabaseOptions database) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() =>
        SharedState.ReadKeysAsync(database).GetAwaiter().GetResult().Select(k => XElement.Parse(k.Xml)).ToList();

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var xml = element.ToString(SaveOptions.DisableFormatting);
        var name = string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName;
        // Names are unique; a new element that happens to share one (two revocations in one instant) is kept under another.
        if (!SharedState.AddKeyAsync(database, name, xml).GetAwaiter().GetResult())
        {
            SharedState.AddKeyAsync(database, $"{name}-{Guid.NewGuid():N}", xml).GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Copies the keys an older version kept in <paramref name="folder"/> (<c>key-{id}.xml</c>, the file-system
    /// repository's layout) into the database, so that cookies and tokens they signed stay valid. Keys already there
    /// are skipped; returns how many were added. A file that is not XML stops the start, naming it.
    /// </summary>
    public static async Task<int> ImportFolderAsync(DatabaseOptions database, string folder, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        var added = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*.xml").Order(StringComparer.Ordinal))
        {
            XElement element;
            try
            {
                element = XElement.Load(file);
            }
            catch (System.Xml.XmlException error)
            {
                throw new InvalidOperationException($"{file}: not a data-protection key (line {error.LineNumber}: {error.Message})", error);
            }

            if (await SharedState.AddKeyAsync(database, Path.GetFileNameWithoutExtension(file), element.ToString(SaveOptions.DisableFormatting), ct))
            {
                added++;
            }
        }

        return added;
    }

    /// <summary>Makes sure the ring holds a key before requests come (several instances starting at once create one, not one each, on PostgreSQL).</summary>
    public static void EnsureKey(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Pluralist.Startup").Protect([1]);
    }
}
