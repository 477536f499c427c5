using System.Net;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Studies.Accounts;

namespace Pluralist.Web.Tests.Security;

/// <summary>Console accounts and study shaping for the security tests.</summary>
public static class Staff
{
    public const string Password = "correct horse battery staple";

    /// <summary>Creates the account and signs it in on the console's page.</summary>
    public static async Task<HttpClient> SignInAsync(AppServer server, string email, Role role)
    {
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, email, role, Password);
        }

        var client = server.NewClient();
        var response = await ParticipantClient.PostFormAsync(client, "/console/login", "/console/login", new() { ["email"] = email, ["password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    /// <summary>Keeps the first <paramref name="keep"/> annotation pairs and hands them out in a fixed order to everyone.</summary>
    public static async Task FixedPairsAsync(AppServer server, int keep)
    {
        await using var db = server.Database.CreateContext();
        var kept = await db.Pairs.Where(p => p.Kind == PairKind.Annotation).OrderBy(p => p.Id).Select(p => p.Id).Take(keep).ToListAsync();
        await db.Pairs.Where(p => !kept.Contains(p.Id)).ExecuteDeleteAsync();
        await db.Batches.ExecuteUpdateAsync(s => s.SetProperty(b => b.Distribution, PairDistribution.Fixed).SetProperty(b => b.Overlap, 1000));
    }

    /// <summary>A participant who consented to the gender question with this answer.</summary>
    public static Task<ParticipantClient> JoinAsync(AppServer server, string gender) =>
        server.JoinAsync(form =>
        {
            form["consent-gender"] = "true";
            form["value-gender"] = gender;
        });

    /// <summary>Answers <paramref name="count"/> tasks (all three criteria) or until none is left.</summary>
    public static async Task AnswerAsync(ParticipantClient p, int count, string prefix)
    {
        for (var i = 0; i < count && await p.NextTaskAsync() is { } task; i++)
        {
            var sent = await p.SubmitAsync(task, ParticipantClient.Answer(task, $"{prefix}-{i}", 0.5, -0.5, 0));
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }
    }
}
