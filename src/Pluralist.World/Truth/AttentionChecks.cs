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
        var worse = basis with
        {
            Access = StepFreeAccess.Stairs,
            SmoothPath = false,
            KerbCuts = false,
            TactilePaving = false,
            PathWidth = 0.12,
            Benches = 0,
            Chairs = 0,
            Canopy = false,
            Trees = 0,
            Planters = 0,
            Lawn = false,
            Fountain = false,
            Lights = 0,
            LightCoverage = 0.2,
            Signs = 1,
            SignLanguages = 1,
            Bollards = false,
            Cars = 3,
            Litter = 3,
            Graffiti = true,
            PlayArea = false,
            SportArea = false,
            Kiosk = false,
            MarketStalls = 0,
            PublicArt = false,
            Pedestrians = 1,
            Children = 0,
            Seniors = 0,
            WheelchairUsers = 0,
            WalkerUsers = 0,
            Strollers = 0,
            Groups = 0,
            Dogs = 0,
            Birds = 0,
        };
        var better = basis with
        {
            Access = StepFreeAccess.RampAndStairs,
            SmoothPath = true,
            KerbCuts = true,
            TactilePaving = true,
            PathWidth = 0.45,
            Benches = 3,
            Chairs = 2,
            Canopy = true,
            Trees = 5,
            Planters = 3,
            Lawn = true,
            Fountain = true,
            Lights = 4,
            LightCoverage = 1,
            Signs = 2,
            SignLanguages = 3,
            Bollards = true,
            Cars = 0,
            Litter = 0,
            Graffiti = false,
            PlayArea = true,
            SportArea = false,
            Kiosk = true,
            MarketStalls = 1,
            PublicArt = true,
            Pedestrians = 2,
            Children = 1,
            Seniors = 1,
            WheelchairUsers = 1,
            WalkerUsers = 0,
            Strollers = 1,
            Groups = 0,
            Dogs = 1,
            Birds = 2,
        };
        return (worse, better);
    }
}
