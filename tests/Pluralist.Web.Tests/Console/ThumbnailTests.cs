using System.Net;
using System.Net.Http.Headers;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Pipeline.Images;
using Pluralist.Studies.Accounts;
using Pluralist.World.Imaging;

namespace Pluralist.Web.Tests.Console;

/// <summary>GET /console/studies/{key}/thumbnails/{id}/{width} over real HTTP, and the pages that use it.</summary>
public sealed class ThumbnailTests
{
    private const string Password = "correct horse battery staple";
    private const string Study = "livs-default";

    [Fact]
    public async Task Thumbnail_is_a_downscaled_WebP_cached_on_disk_by_hash_and_width()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var client = await StaffAsync(server, Role.Researcher);
        var source = Gradient(512, 384);
        var (id, hash) = await AddImageAsync(server, ImageCodec.Encode(source, ImageFormat.Jpeg, 90), ".jpg", 512, 384);

        var response = await client.GetAsync(Url(id, 160));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("immutable", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal($"\"{hash}-160\"", response.Headers.ETag!.Tag);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var thumb = ImageCodec.Decode(bytes, "thumbnail", ImageCodec.DefaultMaxPixels, out var format);
        Assert.Equal(ImageFormat.Webp, format);
        Assert.Equal((160, 120), (thumb.Width, thumb.Height));
        // Resampled, not a blank or garbage image: the gradient's corners survive within the lossy codec's error.
        var (r0, g0, _, _) = thumb.GetPixel(2, 2);
        var (r1, g1, _, _) = thumb.GetPixel(157, 117);
        Assert.InRange(r0, 0, 30);
        Assert.InRange(r1, 220, 255);
        Assert.InRange(g0, 0, 30);
        Assert.InRange(g1, 220, 255);

        // Cached under the content hash and width; a second request is served from that file, not made again.
        var cached = Path.Combine(server.DataRoot, "thumbnails", hash[..2], $"{hash}-160.webp");
        Assert.Equal(bytes, await File.ReadAllBytesAsync(cached));
        var marker = ImageCodec.Encode(new RgbaImage(160, 120), ImageFormat.Webp, 80);
        await File.WriteAllBytesAsync(cached, marker);
        Assert.Equal(marker, await client.GetByteArrayAsync(Url(id, 160)));

        // The entity tag answers a repeat with 304 and no body.
        using var conditional = new HttpRequestMessage(HttpMethod.Get, Url(id, 160));
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{hash}-160\""));
        var notModified = await client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        // Never upscaled: the 640 thumbnail of a 512-pixel image is 512 wide. The other width is its own file.
        var large = ImageCodec.Decode(await client.GetByteArrayAsync(Url(id, 640)), "thumbnail");
        Assert.Equal((512, 384), (large.Width, large.Height));
        var middle = ImageCodec.Decode(await client.GetByteArrayAsync(Url(id, 320)), "thumbnail");
        Assert.Equal((320, 240), (middle.Width, middle.Height));
        Assert.True(File.Exists(Path.Combine(server.DataRoot, "thumbnails", hash[..2], $"{hash}-320.webp")));
        Assert.Empty(Directory.GetFiles(Path.Combine(server.DataRoot, "thumbnails"), "*.tmp*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Thumbnails_are_refused_to_visitors_participants_and_widths_not_served()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var (id, _) = await AddImageAsync(server, ImageCodec.Encode(Gradient(64, 48), ImageFormat.Png), ".png", 64, 48);

        var visitor = await server.NewClient().GetAsync(Url(id, 160));
        Assert.Equal(HttpStatusCode.Unauthorized, visitor.StatusCode);
        var participant = await server.JoinAsync();
        var asParticipant = await participant.Http.GetAsync(Url(id, 160));
        Assert.Equal(HttpStatusCode.Forbidden, asParticipant.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(server.DataRoot, "thumbnails")), "a refused request made no thumbnail");

        // Any staff role, as the pages that show them.
        var liaison = await StaffAsync(server, Role.Liaison);
        Assert.Equal(HttpStatusCode.OK, (await liaison.GetAsync(Url(id, 160))).StatusCode);

        var odd = await liaison.GetAsync(Url(id, 200));
        Assert.Equal(HttpStatusCode.BadRequest, odd.StatusCode);
        Assert.Equal("application/problem+json", odd.Content.Headers.ContentType!.MediaType);
        Assert.Contains("160, 320 or 640", await odd.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await liaison.GetAsync(Url(id + 1000, 160))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await liaison.GetAsync($"/console/studies/no-such-study/thumbnails/{id}/160")).StatusCode);
    }

    [Fact]
    public async Task A_corrupt_stored_image_gets_a_clear_problem_not_a_stack_trace()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var client = await StaffAsync(server, Role.Researcher);
        var good = ImageCodec.Encode(Gradient(128, 96), ImageFormat.Jpeg, 90);
        var (truncated, _) = await AddImageAsync(server, good[..(good.Length / 2)], ".jpg", 128, 96);
        var (garbage, _) = await AddImageAsync(server, "not an image at all, just text"u8.ToArray(), ".png", 128, 96);

        foreach (var (id, expected) in new[] { (truncated, "truncated"), (garbage, "not a PNG, JPEG or WebP image") })
        {
            var response = await client.GetAsync(Url(id, 160));
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains($"image {id}", body, StringComparison.Ordinal);
            Assert.Contains(expected, body, StringComparison.Ordinal);
            Assert.DoesNotContain(server.DataRoot, body, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.Exists(Path.Combine(server.DataRoot, "thumbnails"))
            ? Directory.GetFiles(Path.Combine(server.DataRoot, "thumbnails"), "*", SearchOption.AllDirectories)
            : []);
    }

    [Fact]
    public async Task Pool_grid_and_dataset_viewer_show_thumbnails_with_the_full_image_one_click_away()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var client = await StaffAsync(server, Role.Liaison);
        await using (var db = server.Database.CreateContext())
        {
            // One answer, so that the dataset viewer has a row.
            var study = await db.Studies.SingleAsync(s => s.Key == Study);
            var person = new Participant { StudyId = study.Id, Pseudonym = "P-THUMB01", CreatedAt = DateTimeOffset.UtcNow };
            db.Participants.Add(person);
            await db.SaveChangesAsync();
            var pair = await db.Pairs.FirstAsync(p => p.StudyId == study.Id);
            await StoredAnswers.AddAsync(db, person.Id, pair, true, ("safety", -0.5));
        }

        var parser = new HtmlParser();
        foreach (var page in new[] { $"/console/studies/{Study}/images", $"/console/studies/{Study}/data" })
        {
            var html = parser.ParseDocument(await client.GetStringAsync(page));
            var images = html.QuerySelectorAll("img[srcset]").ToList();
            Assert.NotEmpty(images);
            Assert.Empty(html.QuerySelectorAll("img[src^='/images/']"));
            foreach (var img in images)
            {
                var link = img.ParentElement!;
                Assert.Equal("A", link.TagName);
                var id = link.GetAttribute("href")!["/images/".Length..];
                Assert.Equal(Url(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), 160), img.GetAttribute("src"));
                Assert.Equal($"{Url(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), 160)} 160w, {Url(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), 320)} 320w, {Url(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), 640)} 640w", img.GetAttribute("srcset"));
            }

            // The thumbnail and the full image each load for this staff member.
            var first = images[0];
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(first.GetAttribute("src"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(first.ParentElement!.GetAttribute("href"))).StatusCode);
        }
    }

    private static string Url(long id, int width) => $"/console/studies/{Study}/thumbnails/{id}/{width}";

    // Red rises left to right, green top to bottom.
    private static RgbaImage Gradient(int width, int height)
    {
        var image = new RgbaImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image.SetPixel(x, y, (byte)(255 * x / (width - 1)), (byte)(255 * y / (height - 1)), 128, 255);
            }
        }

        return image;
    }

    private static async Task<(long Id, string Hash)> AddImageAsync(AppServer server, byte[] bytes, string extension, int width, int height)
    {
        var (path, hash) = ImageStore.Put(new DataDirectory(server.DataRoot), bytes, extension);
        await using var db = server.Database.CreateContext();
        var study = await db.Studies.SingleAsync(s => s.Key == Study);
        var prompt = await db.Prompts.FirstAsync(p => p.StudyId == study.Id);
        var image = new Image
        {
            StudyId = study.Id,
            PromptId = prompt.Id,
            Generator = "test",
            Width = width,
            Height = height,
            ContentHash = hash,
            StoragePath = path,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Images.Add(image);
        await db.SaveChangesAsync();
        return (image.Id, hash);
    }

    private static async Task<HttpClient> StaffAsync(AppServer server, Role role)
    {
        var email = $"thumbs-{role}@example.org".ToLowerInvariant();
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, email, role, Password);
        }

        var client = server.NewClient();
        var login = await ParticipantClient.PostFormAsync(client, "/console/login", "/console/login", new() { ["email"] = email, ["password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }
}
