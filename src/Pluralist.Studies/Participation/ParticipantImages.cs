using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>Which images a participant may see, and the image rows to serve.</summary>
public sealed class ParticipantImages(ParticipationStore store)
{
    /// <summary>Whether the participant may see this image: it is in one of their assignments.</summary>
    /// <remarks>In a study with the Likert task, any image of the participant's study (they are rated one by one, without assignments).</remarks>
    public async Task<bool> MaySeeAsync(long participantId, long imageId, CancellationToken ct)
    {
        var db = store.Db;
        if (await db.Assignments.AnyAsync(a => a.ParticipantId == participantId &&
            db.Pairs.Any(p => p.Id == a.PairId && (p.Image0Id == imageId || p.Image1Id == imageId)), ct))
        {
            return true;
        }

        return await db.Participants.AnyAsync(p => p.Id == participantId &&
            db.Studies.Any(s => s.Id == p.StudyId && s.TaskType != TaskType.Pairwise &&
                db.Images.Any(i => i.Id == imageId && i.StudyId == s.Id)), ct);
    }

    public Task<Image?> FindAsync(long imageId, CancellationToken ct) =>
        store.Db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Id == imageId, ct);
}
