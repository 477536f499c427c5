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


    [Fact]
    public async Task On_sqlite_a_request_scope_holds_its_connection_open_and_hands_it_back_closed()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        PluralistDbContext first;
        System.Data.Common.DbConnection connection;
        await using (var scope = server.Services.CreateAsyncScope())
        {
            first = scope.ServiceProvider.GetRequiredService<PluralistDbContext>();
            connection = first.Database.GetDbConnection();
            Assert.Equal(System.Data.ConnectionState.Open, connection.State);

            // EF leaves a connection it did not open alone: still open after a query, a save and a transaction.
            Assert.True(await first.Studies.AnyAsync());
            Assert.Equal(System.Data.ConnectionState.Open, connection.State);
            await using (var tx = await first.Database.BeginTransactionAsync())
            {
                (await first.Studies.OrderBy(s => s.Id).FirstAsync()).BreakMinutes = 17;
                await first.SaveChangesAsync();
                await tx.CommitAsync();
            }

            Assert.Equal(System.Data.ConnectionState.Open, connection.State);
        }

        // Back in the pool: closed, so an idle context holds no SQLite handle.
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PluralistDbContext>();
            Assert.Same(first, db);
            Assert.Equal(System.Data.ConnectionState.Open, db.Database.GetDbConnection().State);
            Assert.Equal(17, (await db.Studies.OrderBy(s => s.Id).FirstAsync()).BreakMinutes);
        }
    }
}
