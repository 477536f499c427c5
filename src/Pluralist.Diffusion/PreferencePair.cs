namespace Pluralist.Diffusion;

/// <summary>
/// One comparison for Diffusion-DPO: two images of one prompt in canonical order and P(image_0 preferred) in [0, 1]
/// (1 = image_0 strongly preferred, 0.5 = tie, 0 = image_1), optionally the criterion it answers and the identity group
/// it belongs to, and its weight (the dataset's <c>weight</c> column, e.g. a group weight; 1 by default, 0 drops it).
/// (DESIGN's exported preference in [-1, 1], -1 = image_0 preferred, maps to p = (1 - preference) / 2.)
/// </summary>
public sealed record PreferencePair(float[] Image0, float[] Image1, string Caption, float Probability0, string? Criterion = null, string? Group = null, float Weight = 1f)
{
    /// <summary>From the exported preference in [-1, 1] (-1 = image_0 strongly preferred).</summary>
    public static PreferencePair FromPreference(float[] image0, float[] image1, string caption, float preference, string? criterion = null, string? group = null)
        => new(image0, image1, caption, Probability0Of(preference), criterion, group);

    /// <summary>
    /// The soft target of a slider answer: P(image_0 preferred) = (1 - preference) / 2 for the exported preference in [-1, 1]
    /// (-1 = image_0 strongly preferred -> 1, 0 = neutral -> 0.5, +1 -> 0). The soft DPO labels and the reward model's
    /// Bradley-Terry target both come from here.
    /// </summary>
    public static float Probability0Of(double preference) => (float)((1 - preference) / 2);
}
