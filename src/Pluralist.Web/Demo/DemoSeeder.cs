using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.World.Imaging;

namespace Pluralist.Web.Demo;

/// <summary>What the demo seed made: the study, and invitation codes in clear text (only a hash is stored).</summary>
public sealed record DemoSeed(Study Study, int Prompts, int Images, int Pairs, IReadOnlyList<string> InvitationCodes);

/// <summary>
/// Seeds a demo of the default study: prompts, images drawn here with the world's canvas, every
/// pair of images of a prompt, an open batch and fresh invitation codes. Running it again adds codes only.
/// </summary>
public static class DemoSeeder
{
    public const string Generator = "pluralist-demo/1";

    private static readonly (string En, string Fr)[] PromptTexts =
    [
        ("A small park with benches and trees next to a library", "Un petit parc avec des bancs et des arbres à côté d'une bibliothèque"),
        ("A public square with a fountain and market stalls", "Une place publique avec une fontaine et des étals de marché"),
        ("A street corner with a bus stop and a wide sidewalk", "Un coin de rue avec un arrêt d'autobus et un large trottoir"),
        ("A riverside path with lights and places to sit", "Un sentier au bord de la rivière avec des lampadaires et des endroits où s'asseoir"),
        ("A schoolyard opened to the neighbourhood in the evening", "Une cour d'école ouverte au quartier le soir"),
        ("A plaza in front of a community centre in winter", "Une esplanade devant un centre communautaire en hiver"),
    ];

    public static async Task<DemoSeed> SeedAsync(PluralistDbContext db, DataDirectory data, DateTimeOffset now, int codes = 5, int imagesPerPrompt = 4, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(data);
        data.EnsureCreated();
        var study = await StudyStore.EnsureDefaultStudyAsync(db, now, ct);
        if (!study.Batches.Any(b => b.IsOpen(now)))
        {
            db.Batches.Add(new Batch { StudyId = study.Id, Name = "Demo", OpensAt = now.AddMinutes(-1), ClosesAt = now.AddDays(14), QuotaPerParticipant = 750 });
            await db.SaveChangesAsync(ct);
        }

        if (!await db.Images.AnyAsync(i => i.StudyId == study.Id && i.Generator == Generator, ct))
        {
            await DrawAsync(db, data, study.Id, now, imagesPerPrompt, ct);
        }

        var clear = new List<string>();
        for (var i = 0; i < codes; i++)
        {
            var code = Participation.Codes.NewCode();
            clear.Add(code);
            db.Invitations.Add(new Invitation { StudyId = study.Id, CodeHash = Participation.Codes.Hash(code), CreatedAt = now, ExpiresAt = now.AddDays(14) });
        }

        await db.SaveChangesAsync(ct);
        study = (await StudyStore.FindAsync(db, study.Key, ct))!;
        return new DemoSeed(
            study,
            await db.Prompts.CountAsync(p => p.StudyId == study.Id, ct),
            await db.Images.CountAsync(i => i.StudyId == study.Id, ct),
            await db.Pairs.CountAsync(p => p.StudyId == study.Id, ct),
            clear);
    }

    private static async Task DrawAsync(PluralistDbContext db, DataDirectory data, long studyId, DateTimeOffset now, int imagesPerPrompt, CancellationToken ct)
    {
        var folder = Path.Combine(data.ImagesPath, "demo");
        Directory.CreateDirectory(folder);
        for (var p = 0; p < PromptTexts.Length; p++)
        {
            var prompt = new Prompt { StudyId = studyId, Text = PromptTexts[p].En, Language = "en", Source = PromptSource.Human, CreatedAt = now, ExternalId = $"demo-{p}" };
            db.Prompts.Add(prompt);
            await db.SaveChangesAsync(ct);
            var images = new List<Image>();
            for (var v = 0; v < imagesPerPrompt; v++)
            {
                var seed = (p * 1000) + v;
                var png = Png.Encode(Draw(p, seed, 384, 384));
                var name = $"demo/p{p}-v{v}.png";
                await File.WriteAllBytesAsync(Path.Combine(data.ImagesPath, name), png, ct);
                var image = new Image
                {
                    StudyId = studyId,
                    PromptId = prompt.Id,
                    Generator = Generator,
                    Seed = seed,
                    Width = 384,
                    Height = 384,
                    ContentHash = Convert.ToHexStringLower(SHA256.HashData(png)),
                    StoragePath = name,
                    CreatedAt = now,
                };
                db.Images.Add(image);
                images.Add(image);
            }

            await db.SaveChangesAsync(ct);
            for (var i = 0; i < images.Count; i++)
            {
                for (var j = i + 1; j < images.Count; j++)
                {
                    db.Pairs.Add(new Pair { StudyId = studyId, Image0Id = images[i].Id, Image1Id = images[j].Id, Kind = PairKind.Annotation, CreatedAt = now });
                }
            }

            await db.SaveChangesAsync(ct);
        }
    }

    /// <summary>A simple public space: sky, ground, a path, trees, benches, lamps and people, varied by the seed.</summary>
    public static RgbaImage Draw(int scene, int seed, int width, int height)
    {
        var random = new Random(seed);
        var image = new RgbaImage(width, height);
        var canvas = new Canvas(image);
        var evening = scene == 4 || random.Next(4) == 0;
        var winter = scene == 5;
        canvas.Clear(evening ? new Rgba(40, 52, 96) : new Rgba(150, 200, 240));
        var horizon = height * (0.40f + (0.1f * (float)random.NextDouble()));
        canvas.FillRect(0, horizon, width, height - horizon, winter ? new Rgba(235, 238, 242) : new Rgba(110, 160, 90));
        // Buildings on the horizon.
        for (var x = 0f; x < width;)
        {
            var w = 30 + (random.Next(50));
            var h = 30 + random.Next((int)(horizon * 0.6f));
            var shade = (byte)(120 + random.Next(80));
            canvas.FillRect(x, horizon - h, w - 3, h, new Rgba(shade, (byte)(shade - 20), (byte)(shade - 40)));
            x += w;
        }

        // A path that widens towards the viewer.
        var pathWidth = 0.15f + (0.35f * (float)random.NextDouble());
        var centre = width * (0.3f + (0.4f * (float)random.NextDouble()));
        canvas.FillPolygon(
            [(centre - 8, horizon), (centre + 8, horizon), (centre + (width * pathWidth), height), (centre - (width * pathWidth), height)],
            scene == 2 ? new Rgba(150, 150, 150) : new Rgba(200, 180, 140));
        var trees = random.Next(0, 7);
        for (var i = 0; i < trees; i++)
        {
            var tx = (float)random.NextDouble() * width;
            var ty = horizon + ((float)random.NextDouble() * (height - horizon) * 0.6f);
            var size = 12 + (30 * (ty - horizon) / (height - horizon));
            canvas.FillRect(tx - (size * 0.1f), ty, size * 0.2f, size * 1.2f, new Rgba(100, 70, 40));
            canvas.FillEllipse(tx, ty, size, size * 0.9f, winter ? new Rgba(200, 210, 200) : new Rgba(40, 110, 50));
        }

        var benches = random.Next(0, 5);
        for (var i = 0; i < benches; i++)
        {
            var bx = (float)random.NextDouble() * width;
            var by = horizon + 20 + ((float)random.NextDouble() * (height - horizon - 30));
            canvas.FillRect(bx, by, 36, 6, new Rgba(120, 80, 50));
            canvas.FillRect(bx, by - 10, 36, 4, new Rgba(120, 80, 50));
        }

        var lamps = random.Next(0, 5);
        for (var i = 0; i < lamps; i++)
        {
            var lx = (float)random.NextDouble() * width;
            var ly = horizon + 10 + ((float)random.NextDouble() * (height - horizon - 20));
            canvas.Line(lx, ly, lx, ly - 50, 3, new Rgba(50, 50, 50));
            canvas.FillEllipse(lx, ly - 52, 6, 6, evening ? new Rgba(255, 230, 120) : new Rgba(220, 220, 200));
        }

        var people = random.Next(0, 10);
        for (var i = 0; i < people; i++)
        {
            var px = (float)random.NextDouble() * width;
            var py = horizon + 15 + ((float)random.NextDouble() * (height - horizon - 20));
            var colour = new Rgba((byte)random.Next(40, 230), (byte)random.Next(40, 230), (byte)random.Next(40, 230));
            canvas.FillRect(px - 4, py - 18, 8, 18, colour);
            canvas.FillEllipse(px, py - 23, 4.5f, 4.5f, new Rgba((byte)random.Next(90, 240), (byte)random.Next(60, 200), (byte)random.Next(40, 160)));
        }

        if (scene == 1)
        {
            canvas.FillEllipse(width / 2f, horizon + ((height - horizon) / 2), 40, 14, new Rgba(90, 150, 210));
        }

        return image;
    }
}
