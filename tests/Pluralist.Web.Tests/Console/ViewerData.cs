using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Data.Datasets;
using Pluralist.Studies.Viewer;
using Pluralist.Web.PublicViewer;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Console;

/// <summary>
/// A study for the dataset viewers (start the server with 5 images per prompt: 60 pairs): participant A (consented gender "woman") answers <see cref="KeptPairs"/> pairs
/// slowly, one criterion each, at +0.5 on even pairs and -0.5 on odd ones; participant B ("man") answers three pairs
/// too fast on two criteria. Each rates two images on the Likert task, A slowly, B too fast. <see cref="CleanAsync"/>
/// stores a cleaning run with the default rules, which drops B's answers (TOO_FAST).
/// </summary>
public sealed record ViewerData(string StudyKey, string PseudonymA, string PseudonymB, long ParticipantA, long ParticipantB)
{
    public const int KeptPairs = 51;

    public static async Task<ViewerData> SeedAsync(AppServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        await Staff.JoinAsync(server, "woman");
        await Staff.JoinAsync(server, "man");
        await using var db = server.Database.CreateContext();
        var people = await db.Participants.Where(p => p.Role == Role.Participant).OrderBy(p => p.Id).ToListAsync();
        var (a, b) = (people[0], people[1]);
        var pairs = await db.Pairs.Where(p => p.Kind == PairKind.Annotation).OrderBy(p => p.Id).ToListAsync();
        Assert.True(pairs.Count >= KeptPairs + 3, $"the demo study has {pairs.Count} annotation pairs");
        for (var i = 0; i < KeptPairs; i++)
        {
            await StoredAnswers.AddAsync(db, a.Id, pairs[i], image0OnLeft: true, ("accessibility", i % 2 == 0 ? 0.5 : -0.5));
        }

        for (var i = 0; i < 3; i++)
        {
            await StoredAnswers.AddAsync(db, b.Id, pairs[KeptPairs + i], image0OnLeft: true, ("safety", 0.8), ("comfort", -0.8));
        }

        await db.Annotations.Where(x => x.ParticipantId == a.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ClientDurationMs, 60_000));
        await db.Annotations.Where(x => x.ParticipantId == b.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ClientDurationMs, 100));
        var images = await db.Images.OrderBy(i => i.Id).Select(i => i.Id).Take(2).ToListAsync();
        foreach (var (who, ms) in new[] { (a.Id, 8000), (b.Id, 50) })
        {
            foreach (var (image, n) in images.Select((x, n) => (x, n)))
            {
                db.LikertRatings.Add(new LikertRating
                {
                    ParticipantId = who,
                    ImageId = image,
                    QuestionKey = n == 0 ? "harm-self" : "harm-others",
                    Value = n == 0 ? 2 : 4,
                    SelectedCategories = n == 0 ? ["stereotype"] : [],
                    ClientRequestId = $"likert-{who}-{image}",
                    ClientDurationMs = ms,
                    ServedAt = DateTimeOffset.UtcNow,
                    SubmittedAt = DateTimeOffset.UtcNow,
                });
            }
        }

        await db.SaveChangesAsync();
        var study = await db.Studies.SingleAsync();
        return new ViewerData(study.Key, a.Pseudonym, b.Pseudonym, a.Id, b.Id);
    }

    /// <summary>Stores a cleaning run with the default rules, as <c>pluralist clean</c> does; returns its id.</summary>
    public async Task<long> CleanAsync(AppServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        await using var db = server.Database.CreateContext();
        var study = await db.Studies.SingleAsync(s => s.Key == StudyKey);
        var rows = (await StudyDatasetLoader.LoadAsync(db, StudyKey)).Rows;
        var run = CleaningEngine.Run(rows, CleaningRuleSet.Default);
        return (await CleaningStore.SaveAsync(db, study.Id, run, CleaningRuleSet.DefaultJson, DateTimeOffset.UtcNow)).Id;
    }

    /// <summary>The viewer of <paramref name="bundle"/> on a free port, with its client.</summary>
    public static async Task<(WebApplication App, HttpClient Client)> StartViewerAsync(PublicDataset bundle, int requestsPerMinute = PublicViewerApp.DefaultRequestsPerMinute)
    {
        var app = PublicViewerApp.Create(bundle, ["--urls", "http://127.0.0.1:0"], requestsPerMinute);
        await app.StartAsync();
        return (app, NewClient(app));
    }

    /// <summary>Another reader of a started viewer: its own cookies, redirects not followed.</summary>
    public static HttpClient NewClient(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(address) };
    }

    /// <summary>The study of <paramref name="server"/> exported as a bundle folder (with its consented markers and pseudonyms).</summary>
    public static async Task<string> ExportAsync(AppServer server)
    {
        var folder = Path.Combine(server.DataRoot, "release-" + Guid.NewGuid().ToString("N"));
        await using var db = server.Database.CreateContext();
        using var bundle = await StudyExporter.LoadAsync(db, new DataDirectory(server.DataRoot), "livs-default");
        BundleWriter.Write(bundle, folder, zip: false);
        return folder;
    }
}
