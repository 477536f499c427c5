using Pluralist.World.Scenes;

namespace Pluralist.World.Truth;

/// <summary>
/// Attention-check scenes: from any scene, a clearly worse and a clearly better version of the same
/// place (same typology, time, season, weather and people count), better on every default criterion
/// by the ground truth, so that anyone looking at both images picks the better one.
/// </summary>
public static class AttentionChecks
{
    /// <summary>The worse and the better version of <paramref name="basis"/>.</summary>
    public static (SceneSpec Worse, SceneSpec Better) For(SceneSpec basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        return (Version(basis, better: false), Version(basis, better: true));
    }

    // One builder for both versions: each feature names its worse and its better value side by side.
    private static SceneSpec Version(SceneSpec basis, bool better)
    {
        T Pick<T>(T worse, T good) => better ? good : worse;
        return basis with
        {
            Access = Pick(StepFreeAccess.Stairs, StepFreeAccess.RampAndStairs),
            SmoothPath = better,
            KerbCuts = better,
            TactilePaving = better,
            PathWidth = Pick(0.12, 0.45),
            Benches = Pick(0, 3),
            Chairs = Pick(0, 2),
            Canopy = better,
            Trees = Pick(0, 5),
            Planters = Pick(0, 3),
            Lawn = better,
            Fountain = better,
            Lights = Pick(0, 4),
            LightCoverage = Pick(0.2, 1.0),
            Signs = Pick(1, 2),
            SignLanguages = Pick(1, 3),
            Bollards = better,
            Cars = Pick(3, 0),
            Litter = Pick(3, 0),
            Graffiti = !better,
            PlayArea = better,
            SportArea = false,
            Kiosk = better,
            MarketStalls = Pick(0, 1),
            PublicArt = better,
            Pedestrians = Pick(1, 2),
            Children = Pick(0, 1),
            Seniors = Pick(0, 1),
            WheelchairUsers = Pick(0, 1),
            WalkerUsers = 0,
            Strollers = Pick(0, 1),
            Groups = 0,
            Dogs = Pick(0, 1),
            Birds = Pick(0, 2),
        };
    }
}
