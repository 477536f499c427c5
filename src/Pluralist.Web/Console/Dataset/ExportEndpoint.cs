using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Studies.Console;

namespace Pluralist.Web.Console.Dataset;

/// <summary>The study bundle download of the data page.</summary>
public static class ExportEndpoint
{
    internal static void Map(RouteGroupBuilder console)
    {
        // Researchers and admins only: the bundle may hold consented identity markers.
        console.MapGet("/studies/{key}/export.zip", ExportAsync).RequireStaff(Role.Researcher);
    }

    /// <summary>The study bundle as a .zip.</summary>
    private static async Task<FileContentHttpResult> ExportAsync(HttpContext ctx, ConsoleService service, DataDirectory data, string key)
    {
        var (staff, study) = (ConsoleAccess.Of(ctx).AllowedStaff, ConsoleAccess.Of(ctx).AllowedStudy);
        var folder = Directory.CreateTempSubdirectory("pluralist-export-").FullName;
        var zip = Path.Combine(folder, $"{key}.zip");
        // By id: the route's key was already resolved, and an older all-digit key must not be read as an id.
        using (var bundle = await StudyExporter.LoadAsync(service.Db, data, StudyKeys.IdPrefix + study.Id.ToString(CultureInfo.InvariantCulture), ctx.RequestAborted))
        {
            BundleWriter.Write(bundle, zip, zip: true);
            service.Audit(staff, study, "export.bundle", new { via = "console", participants = bundle.Participants.Count, annotations = bundle.Annotations.Count, markers = bundle.IdentityAnswers.Count });
        }

        await service.Db.SaveChangesAsync(ctx.RequestAborted);
        var bytes = await File.ReadAllBytesAsync(zip, ctx.RequestAborted);
        Directory.Delete(folder, recursive: true);
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        return TypedResults.File(bytes, "application/zip", $"{key}-{stamp}.zip");
    }
}
