using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Data;

namespace Pluralist.Web.Tests.Scale;

/// <summary>The app's request contexts come from a pool (<see cref="PluralistDatabase.CreatePool"/>), one per request scope.</summary>
public sealed class ContextPoolWebTests
{
    [Fact]
    public async Task A_request_scope_gets_a_pooled_context_that_carries_nothing_of_the_scope_before()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        PluralistDbContext first;
        await using (var scope = server.Services.CreateAsyncScope())
        {
            first = scope.ServiceProvider.GetRequiredService<PluralistDbContext>();
            Assert.Same(first, scope.ServiceProvider.GetRequiredService<PluralistDbContext>());
            var study = await first.Studies.OrderBy(s => s.Id).FirstAsync();
            study.Key = "changed-by-the-request-before";
            first.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
        }

        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PluralistDbContext>();
            Assert.Same(first, db);
            Assert.Empty(db.ChangeTracker.Entries());
            Assert.Equal(QueryTrackingBehavior.TrackAll, db.ChangeTracker.QueryTrackingBehavior);
            Assert.NotEqual("changed-by-the-request-before", (await db.Studies.OrderBy(s => s.Id).FirstAsync()).Key);
        }

        // Two scopes at once get two contexts.
        await using var a = server.Services.CreateAsyncScope();
        await using var b = server.Services.CreateAsyncScope();
        Assert.NotSame(a.ServiceProvider.GetRequiredService<PluralistDbContext>(), b.ServiceProvider.GetRequiredService<PluralistDbContext>());
    }
}
