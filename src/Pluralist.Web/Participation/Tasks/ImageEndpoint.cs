using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Tasks;

/// <summary><c>GET /images/{id}</c>: an image file, to the participant it was shown to (and to staff).</summary>
public static class ImageEndpoint
{
    internal static async Task<Results<PhysicalFileHttpResult, NotFound>> ImageAsync(long id, HttpContext ctx, ParticipationStore store, ParticipantImages images, DataDirectory data, CancellationToken ct)
    {
        var staff = ctx.User.IsInRole(nameof(Role.Researcher)) || ctx.User.IsInRole(nameof(Role.Admin)) || ctx.User.IsInRole(nameof(Role.Liaison));
        // A withdrawn participant's cookie stays valid until it expires: it must not show images any more.
        if (ctx.User.ParticipantId() is not { } pid || await store.FindParticipantAsync(pid, ct) is null
            || (!staff && !await images.MaySeeAsync(pid, id, ct)))
        {
            return TypedResults.NotFound();
        }

        var image = await images.FindAsync(id, ct);
        if (image is null)
        {
            return TypedResults.NotFound();
        }

        var root = Path.GetFullPath(data.ImagesPath) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(data.ImagesPath, image.StoragePath));
        if (!path.StartsWith(root, StringComparison.Ordinal) || !File.Exists(path))
        {
            return TypedResults.NotFound();
        }

        var type = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            _ => "image/png",
        };
        ctx.Response.Headers.CacheControl = "private, max-age=86400";
        return TypedResults.PhysicalFile(path, type);
    }
}
