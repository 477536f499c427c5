using System.IO.Compression;
using System.Net;
using System.Text;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Studies.Accounts;
using Pluralist.World.Imaging;

namespace Pluralist.Web.Tests.Console;

public sealed class ImagePoolTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task Upload_builds_pairs_and_bad_uploads_store_nothing()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var client = await ResearcherAsync(server);
        var before = await CountAsync(server);

        // Every problem of a bad upload is named by line and column; nothing is stored.
        var bad = await UploadAsync(client, Zip(
            "file,prompt,generator\na.png,A plaza,base\na.png,A plaza,base\nmissing.png,A plaza,base\nbroken.png,A plaza,base\ncopy.png,A plaza,base\n",
            ("a.png", Png(1)), ("broken.png", Encoding.ASCII.GetBytes("\x89PNG not really")), ("copy.png", Png(1))));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var text = WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync());
        Assert.Contains("pool.csv:3:1 (file): a.png is already listed on line 2", text, StringComparison.Ordinal);
        Assert.Contains("pool.csv:4:1 (file): missing.png is not in the zip", text, StringComparison.Ordinal);
        Assert.Contains("pool.csv:5:1 (file): broken.png cannot be read as an image", text, StringComparison.Ordinal);
        Assert.Contains("pool.csv:6:1 (file): copy.png is the same image as line 2", text, StringComparison.Ordinal);
        var noColumn = await UploadAsync(client, Zip("file,prompt\na.png,A plaza\n", ("a.png", Png(1))));
        Assert.Contains("pool.csv:1 (generator): required column is missing", WebUtility.HtmlDecode(await noColumn.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync(server));

        // A good upload: two prompts, three images each, from two generators.
        var rows = new StringBuilder("file,prompt,generator,seed,language\n");
        var files = new List<(string, byte[])>();
        for (var i = 0; i < 6; i++)
        {
            rows.Append($"img{i}.png,{(i < 3 ? "A plaza with trees" : "Une rue en hiver")},{(i % 2 == 0 ? "aligned" : "base")},{i},{(i < 3 ? "en" : "fr")}\n");
            files.Add(($"img{i}.png", Png(10 + i)));
        }

        var good = await UploadAsync(client, Zip(rows.ToString(), [.. files]));
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
            var uploaded = await db.Images.Where(i => i.StudyId == study.Id && i.ExternalId != null).ToListAsync();
            Assert.Equal(6, uploaded.Count);
            Assert.All(uploaded, i => Assert.True(File.Exists(Path.Combine(server.DataRoot, "images", i.StoragePath))));
            Assert.Equal(["A plaza with trees", "Une rue en hiver"], await db.Prompts.Where(p => p.StudyId == study.Id && db.Images.Any(i => i.PromptId == p.Id && i.ExternalId != null)).OrderBy(p => p.Id).Select(p => p.Text).ToListAsync());
        }

        // All pairs within each prompt: 3 + 3 new ones (the demo's own pairs exist already); again: none.
        var pairs = await ParticipantClient.PostFormAsync(client, "/console/studies/livs-default/images", "/console/studies/livs-default/images?handler=Pairs", new() { ["seed"] = "1", ["perPrompt"] = "" });
        Assert.Contains("6%20pairs%20built", pairs.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var again = await ParticipantClient.PostFormAsync(client, "/console/studies/livs-default/images", "/console/studies/livs-default/images?handler=Pairs", new() { ["seed"] = "1", ["perPrompt"] = "" });
        Assert.Contains("0%20pairs%20built", again.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Links_files_that_are_not_images_and_entries_leaving_the_zip_are_refused_by_name()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var client = await ResearcherAsync(server);
        var before = await CountAsync(server);

        // A text file (here the first line of /etc/passwd) named .png, and a GIF: named on their rows.
        byte[] gif = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B];
        var text = await RefusedAsync(client, Zip("file,prompt,generator\npasswd.png,A plaza,base\nanim.gif,A plaza,base\nok.png,A plaza,base\n",
            ("passwd.png", "root:x:0:0:root:/root:/bin/bash\n"u8.ToArray()), ("anim.gif", gif), ("ok.png", Png(3))));
        Assert.Contains("pool.csv:2:1 (file): passwd.png cannot be read as an image: it is not a PNG, JPEG or WebP image", text, StringComparison.Ordinal);
        Assert.Contains("pool.csv:3:1 (file): anim.gif cannot be read as an image: it is a GIF image; only PNG, JPEG and WebP are accepted", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ok.png", text, StringComparison.Ordinal);

        // An entry recorded as a symbolic link, and one whose name climbs out of the archive: the upload is refused whole.
        text = await RefusedAsync(client, Pluralist.Testing.ImportBombs.Zip([
            ("pool.csv", "file,prompt,generator\nlink.png,A plaza,base\n"u8.ToArray(), 0),
            ("link.png", "/etc/passwd"u8.ToArray(), 0xA1FF),
            ("../up.png", Png(4), 0)]));
        Assert.Contains("link.png: link.png is a symbolic link; an import reads only regular files", text, StringComparison.Ordinal);
        Assert.Contains("../up.png: ../up.png leaves the archive's folder ('..'); entries must stay inside the archive", text, StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync(server));
    }

    [Fact]
    public async Task Evaluation_tally_counts_wins_of_A_whatever_side_it_was_shown_on()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var client = await ResearcherAsync(server);
        var rows = new StringBuilder("file,prompt,generator\n");
        var files = new List<(string, byte[])>();
        for (var i = 0; i < 8; i++)
        {
            rows.Append($"e{i}.png,Prompt {i / 2},{(i % 2 == 0 ? "aligned" : "base")}\n");
            files.Add(($"e{i}.png", Png(100 + i)));
        }

        Assert.Equal(HttpStatusCode.Redirect, (await UploadAsync(client, Zip(rows.ToString(), [.. files]))).StatusCode);
        var created = await ParticipantClient.PostFormAsync(client, "/console/studies/livs-default/evaluation", "/console/studies/livs-default/evaluation",
            new() { ["a"] = "aligned", ["b"] = "base" });
        Assert.Contains("4%20evaluation%20pairs", created.Headers.Location!.OriginalString, StringComparison.Ordinal);

        // One participant answers every evaluation pair: A better on safety, B better on comfort, neutral on diversity.
        await using (var db = server.Database.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
            var person = new Participant { StudyId = study.Id, Pseudonym = "P-EVAL01", CreatedAt = DateTimeOffset.UtcNow };
            db.Participants.Add(person);
            await db.SaveChangesAsync();
            var images = await db.Images.Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, i => i.Generator);
            var evaluation = await db.Pairs.Where(p => p.StudyId == study.Id && p.Kind == PairKind.Evaluation).OrderBy(p => p.Id).ToListAsync();
            Assert.All(evaluation, p => Assert.Equal(("base", "aligned"), (images[p.Image0Id], images[p.Image1Id]))); // docs/analysis.md
            var n = 0;
            foreach (var pair in evaluation)
            {
                var left0 = n++ % 2 == 0;
                var aIsLeft = (images[pair.Image0Id] == "aligned") == left0;
                var towardA = aIsLeft ? -0.8 : 0.8; // as shown: negative prefers the left image
                await StoredAnswers.AddAsync(db, person.Id, pair, left0, ("safety", towardA), ("comfort", -towardA), ("diversity", 0));
            }
        }

        var page = new HtmlParser().ParseDocument(await client.GetStringAsync("/console/studies/livs-default/evaluation?a=aligned&b=base"));
        var table = page.QuerySelectorAll("table tbody tr").ToDictionary(r => r.QuerySelector("th")!.TextContent.Trim(), r => r.QuerySelectorAll("td").Take(3).Select(td => int.Parse(td.TextContent, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        Assert.Equal([4, 0, 0], table["safety"]);
        Assert.Equal([0, 0, 4], table["comfort"]);
        Assert.Equal([0, 4, 0], table["diversity"]);
        Assert.Equal([4, 4, 4], table["overall"]);

        // The gallery: one section per prompt, B's image beside A's, and the same answers counted per prompt.
        Assert.NotNull(page.QuerySelector("#gallery-link"));
        var gallery = new HtmlParser().ParseDocument(await client.GetStringAsync(page.QuerySelector("#gallery-link")!.GetAttribute("href")!));
        var sections = gallery.QuerySelectorAll("section.gallery-prompt");
        Assert.Equal(4, sections.Length);
        Dictionary<long, string> generators;
        await using (var db = server.Database.CreateContext())
        {
            generators = await db.Images.ToDictionaryAsync(i => i.Id, i => i.Generator);
        }

        var overall = new int[3];
        foreach (var section in sections)
        {
            var links = section.QuerySelectorAll(".gallery-pair a").Select(a => long.Parse(a.GetAttribute("href")!["/images/".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(["base", "aligned"], links.Select(id => generators[id]));
            Assert.All(section.QuerySelectorAll(".gallery-pair img"), img => Assert.Contains("/thumbnails/", img.GetAttribute("src"), StringComparison.Ordinal));
            var counts = section.QuerySelectorAll("tbody tr").ToDictionary(r => r.QuerySelector("th")!.TextContent.Trim(), r => r.QuerySelectorAll("td").Select(td => int.Parse(td.TextContent, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            Assert.Equal([1, 0, 0], counts["Safety"]);
            Assert.Equal([0, 0, 1], counts["Comfort"]);
            Assert.Equal([0, 1, 0], counts["Diversity"]);
            Assert.Equal([0, 0, 0], counts["Accessibility"]);
            for (var k = 0; k < 3; k++)
            {
                overall[k] += counts["All criteria"][k];
            }
        }

        Assert.Equal([4, 4, 4], overall);
        var wrong = await client.GetAsync("/console/studies/livs-default/evaluation/gallery?a=aligned&b=aligned");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
    }

    private static async Task<string> RefusedAsync(HttpClient client, byte[] zip)
    {
        var response = await UploadAsync(client, zip);
        var text = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {text}");
        return text;
    }

    private static async Task<HttpClient> ResearcherAsync(AppServer server)
    {
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "pool@example.org", Role.Researcher, Password);
        }

        var client = server.NewClient();
        var login = await ParticipantClient.PostFormAsync(client, "/console/login", "/console/login", new() { ["email"] = "pool@example.org", ["password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }

    private static async Task<(int Images, int Prompts, int Files)> CountAsync(AppServer server)
    {
        await using var db = server.Database.CreateContext();
        return (await db.Images.CountAsync(), await db.Prompts.CountAsync(), Directory.GetFiles(Path.Combine(server.DataRoot, "images"), "*", SearchOption.AllDirectories).Length);
    }

    private static byte[] Png(int seed)
    {
        var image = new RgbaImage(8, 6);
        for (var y = 0; y < 6; y++)
        {
            for (var x = 0; x < 8; x++)
            {
                image.SetPixel(x, y, (byte)(seed * 7), (byte)(x * 30), (byte)(y * 40), 255);
            }
        }

        return Pluralist.World.Imaging.Png.Encode(image);
    }

    private static byte[] Zip(string csv, params (string Name, byte[] Bytes)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var w = new StreamWriter(zip.CreateEntry("pool.csv").Open()))
            {
                w.Write(csv);
            }

            foreach (var (name, bytes) in files)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(bytes);
            }
        }

        return buffer.ToArray();
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client, byte[] zip)
    {
        var html = await client.GetStringAsync("/console/studies/livs-default/images");
        var token = new HtmlParser().ParseDocument(html).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new ByteArrayContent(zip), "zip", "pool.zip" },
        };
        return await client.PostAsync("/console/studies/livs-default/images?handler=Upload", form);
    }
}
