using System.Globalization;

namespace Pluralist.Studies.Participation;

/// <summary>
/// A rating item is not stored when served: the page carries a token naming the participant, the image and the
/// time it was served, protected so that nobody can forge it.
/// </summary>
public sealed class LikertItemTokens(IItemProtector protector)
{
    private static readonly TimeSpan ItemLifetime = TimeSpan.FromDays(14);

    public string Issue(long participantId, long imageId, DateTimeOffset servedAt) =>
        protector.Protect(string.Create(CultureInfo.InvariantCulture, $"{participantId}|{imageId}|{servedAt.ToUnixTimeMilliseconds()}"), ItemLifetime);

    /// <summary>The image and serving time of an item token, if it is valid and was given to this participant.</summary>
    public (long ImageId, DateTimeOffset ServedAt)? Read(long participantId, string? token)
    {
        if (string.IsNullOrEmpty(token) || protector.Unprotect(token) is not { } payload)
        {
            return null;
        }

        var parts = payload.Split('|');
        if (parts.Length != 3
            || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) || pid != participantId
            || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var imageId)
            || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var served))
        {
            return null;
        }

        return (imageId, DateTimeOffset.FromUnixTimeMilliseconds(served));
    }
}
