using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pluralist.Data;

/// <summary>One element of ASP.NET Core's data-protection key ring (a key or a revocation), as stored in <c>data_protection_keys</c>.</summary>
public sealed class DataProtectionKeyRow
{
    public long Id { get; set; }

    /// <summary>The name the key manager gives the element (<c>key-{guid}</c>); unique.</summary>
    public string FriendlyName { get; set; } = "";

    public string Xml { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Attempts counted for one key (a SHA-256 digest) in its current fixed window, in <c>rate_limit_windows</c>.</summary>
public sealed class RateLimitWindow
{
    public string Key { get; set; } = "";

    /// <summary>The window's start (the first attempt in it), in unix milliseconds.</summary>
    public long WindowStart { get; set; }

    public int Hits { get; set; }
}

/// <summary>
/// The state several app instances on one database share besides the study data (schema version 12): the
/// data-protection key ring and the attempt counters of the rate limits. Plain SQL on a connection of its own, so
/// that it is cheap on the request path and usable where no EF context is at hand (the key manager).
/// </summary>
public static class SharedState
{
    /// <summary>Every stored element of the key ring, oldest first.</summary>
    public static async Task<IReadOnlyList<(string FriendlyName, string Xml)>> ReadKeysAsync(DatabaseOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var connection = await PluralistDatabase.OpenAsync(options, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT friendly_name, xml FROM data_protection_keys ORDER BY id";
        var list = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add((reader.GetString(0), reader.GetString(1)));
        }

        return list;
    }

    /// <summary>
    /// Stores an element of the key ring; one already stored under <paramref name="friendlyName"/> is kept as it is
    /// (elements never change once written). Returns whether a row was added.
    /// </summary>
    public static async Task<bool> AddKeyAsync(DatabaseOptions options, string friendlyName, string xml, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(friendlyName);
        ArgumentNullException.ThrowIfNull(xml);
        await using var connection = await PluralistDatabase.OpenAsync(options, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO data_protection_keys (friendly_name, xml, created_at) VALUES (@n, @x, @c) ON CONFLICT (friendly_name) DO NOTHING";
        Add(command, "@n", friendlyName);
        Add(command, "@x", xml);
        Add(command, "@c", options.Provider == DatabaseProvider.Sqlite ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : DateTimeOffset.UtcNow);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Counts one attempt for <paramref name="key"/> and returns the attempts counted in its current window, this one
    /// included. A window starts at the key's first attempt after the previous one ended and lasts
    /// <paramref name="window"/> (as ASP.NET Core's fixed-window limiter). The key is stored as a SHA-256 digest (a
    /// client address or an email address is not kept). <paramref name="prune"/> first deletes every ended window.
    /// </summary>
    public static async Task<int> CountAttemptAsync(DatabaseOptions options, string key, TimeSpan window, DateTimeOffset now, bool prune, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(1));
        var nowMs = now.ToUnixTimeMilliseconds();
        var ended = nowMs - (long)window.TotalMilliseconds;
        await using var connection = await PluralistDatabase.OpenAsync(options, ct);
        if (prune)
        {
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM rate_limit_windows WHERE window_start <= @e";
            Add(delete, "@e", ended);
            await delete.ExecuteNonQueryAsync(ct);
        }

        // One statement, atomic on both providers: SET reads the row as it was before this update.
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO rate_limit_windows (key, window_start, hits) VALUES (@k, @n, 1) ON CONFLICT (key) DO UPDATE SET "
            + "hits = CASE WHEN rate_limit_windows.window_start <= @e THEN 1 ELSE rate_limit_windows.hits + 1 END, "
            + "window_start = CASE WHEN rate_limit_windows.window_start <= @e THEN @n ELSE rate_limit_windows.window_start END "
            + "RETURNING hits";
        Add(command, "@k", Digest(key));
        Add(command, "@n", nowMs);
        Add(command, "@e", ended);
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    /// <summary>What <c>rate_limit_windows.key</c> holds for a key: its SHA-256, lower-case hex.</summary>
    public static string Digest(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
