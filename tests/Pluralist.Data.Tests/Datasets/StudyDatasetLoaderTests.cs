using Pluralist.Core.Model;
using Pluralist.Data.Datasets;
using Pluralist.Testing;

namespace Pluralist.Data.Tests.Datasets;

public class StudyDatasetLoaderTests
{
    [Fact]
    public async Task LoadsOneRowPerShownCriterionWithEverythingTheRulesNeed()
    {
        await using var tdb = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var db = tdb.CreateContext();
        var s = await Sample.WriteAsync(db);
        var data = await StudyDatasetLoader.LoadAsync(db, s.Study.Key);
        Assert.Equal(3, data.Rows.Count);
        var r = data.Rows[0];
        Assert.Equal(("safety", -1.0, 1.0), (r.Criterion, r.ScoreAsShown!.Value, r.Preference!.Value)); // image_0 on the right
        Assert.Equal(PairKind.Gold, r.PairKind);
        Assert.Equal(-0.5, r.ExpectedPreference);
        Assert.Equal(ImageFlags.Distorted | ImageFlags.Excluded, r.ImageFlags);
        Assert.Equal(1, r.ImageReports);
        Assert.Equal((4200, 4500), (r.ClientMs!.Value, r.ServerMs!.Value));
        Assert.Equal("req-1", r.ClientRequestId);
        Assert.Equal(s.Prompt.Id, r.PromptId);
        Assert.Null(data.Rows[2].ScoreAsShown);
        Assert.Equal("A square with trees", data.Captions[s.Prompt.Id]);
        await Assert.ThrowsAsync<ArgumentException>(() => StudyDatasetLoader.LoadAsync(db, "no-such-study"));
    }

    [Fact]
    public async Task GroupsCountOnlyConsentedAnsweredMarkersOfActiveParticipants()
    {
        await using var tdb = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var db = tdb.CreateContext();
        var s = await Sample.WriteAsync(db);
        long[] ids = [s.Participant.Id];

        // Sample: gender consented but answered "prefer not to say".
        Assert.Empty(await StudyDatasetLoader.ConsentedGroupsAsync(db, ids, ["gender"]));

        s.Identity.Value = "woman";
        s.Identity.PreferNotToSay = false;
        db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = s.Participant.Id, Marker = "age-band", Value = "30-39", AnsweredAt = Sample.T0.AddDays(1) });
        await db.SaveChangesAsync();
        Assert.Equal("woman", (await StudyDatasetLoader.ConsentedGroupsAsync(db, ids, ["gender"]))[s.Participant.Id]);

        // age-band was answered but not consented: no group may use it.
        Assert.Empty(await StudyDatasetLoader.ConsentedGroupsAsync(db, ids, ["gender", "age-band"]));

        s.Participant.WithdrawnAt = Sample.T0.AddDays(2);
        await db.SaveChangesAsync();
        Assert.Empty(await StudyDatasetLoader.ConsentedGroupsAsync(db, ids, ["gender"]));
    }
}
