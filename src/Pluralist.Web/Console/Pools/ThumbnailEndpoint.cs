using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Pluralist.Core.Model;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Pools;

namespace Pluralist.Web.Console.Pools;

/// <summary>
/// <c>GET /console/studies/{key}/thumbnails/{id}/{width}</c>: a stored image of the study downscaled to one of
/// <see cref="Thumbnails.Widths"/> (WebP), for the pool grid and the dataset viewer; any staff role, as those pages.
/// Cached on disk by content hash and width, so it is sent as immutable with an entity tag (a repeat gets 304).
/// </summary>
public static class ThumbnailEndpoint
{
    /// <summary>One year: the URL's bytes never change (the store is content-addressed).</summary>
    private const string CacheControl = "private, max-age=31536000, immutable";

    internal static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/studies/{key}/thumbnails/{id:long}/{width:int}", GetAsync).RequireStaff(Role.Liaison);
    }

    /// <summary>The URL of image <paramref name="id"/>'s thumbnail at <paramref name="width"/>.</summary>
    public static string Url(string key, long id, int width) =>
        string.Create(CultureInfo.InvariantCulture, $"/console/studies/{Uri.EscapeDataString(key)}/thumbnails/{id}/{width}");

    /// <summary>A <c>srcset</c> of every width (the browser picks by the <c>sizes</c> it is given).</summary>
    public static string SrcSet(string key, long id) =>
        string.Join(", ", Thumbnails.Widths.Select(w => string.Create(CultureInfo.InvariantCulture, $"{Url(key, id, w)} {w}w")));

    private static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> GetAsync(
        HttpContext ctx, ConsoleService service, Thumbnails thumbnails, long id, int width)
    {
        var study = ConsoleAccess.Of(ctx).AllowedStudy;
        if (!Thumbnails.Widths.Contains(width))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No such thumbnail width",
                detail: string.Create(CultureInfo.InvariantCulture, $"Width {width} is not served; thumbnails are {Thumbnails.Allowed} pixels wide."));
        }

        var image = await service.Db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id && i.StudyId == study.Id, ctx.RequestAborted);
        Thumbnail? thumbnail;
        try
        {
            thumbnail = image is null ? null : thumbnails.Get(image, width);
        }
        catch (StoredImageException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The stored image cannot be shown",
                detail: $"{e.Message}. Mark it broken or exclude it from the pool (Images page).");
        }

        if (thumbnail is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such image",
                detail: string.Create(CultureInfo.InvariantCulture, $"Study '{study.Key}' has no stored image {id}."));
        }

        ctx.Response.Headers.CacheControl = CacheControl;
        return TypedResults.PhysicalFile(thumbnail.Path, Thumbnails.ContentType,
            lastModified: File.GetLastWriteTimeUtc(thumbnail.Path), entityTag: new EntityTagHeaderValue(thumbnail.ETag));
    }
}
