using System.Globalization;

namespace Pluralist.Core.Model;

/// <summary>
/// The slider's resolution: <see cref="Study.SliderSteps"/> steps on each side of neutral, or continuous when 0.
/// The page's <c>step</c> and the server's check both come from here, so they cannot disagree.
/// </summary>
public static class SliderScale
{
    /// <summary>The most steps on each side a study may ask for (beyond it a slider cannot be moved one step at a time).</summary>
    public const int MaxSteps = 100;

    /// <summary>What is wrong with <paramref name="steps"/> as a setting; null when it is valid.</summary>
    public static string? Problem(int steps) =>
        steps is < 0 or > MaxSteps
            ? string.Create(CultureInfo.InvariantCulture, $"must be 0 (continuous) or a number of steps on each side of neutral from 1 to {MaxSteps}, not {steps}")
            : null;

    /// <summary>The HTML <c>step</c> attribute of the slider: <c>any</c> when continuous, else 1/steps (invariant).</summary>
    public static string HtmlStep(int steps) =>
        steps <= 0 ? "any" : (1.0 / steps).ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether <paramref name="score"/> is an answer this slider can give: finite, in [-1, 1], and with N steps a
    /// multiple of 1/N (to within rounding of the page's decimal value).
    /// </summary>
    public static bool IsOnScale(double score, int steps)
    {
        if (!double.IsFinite(score) || score < -1 || score > 1)
        {
            return false;
        }

        if (steps <= 0)
        {
            return true;
        }

        var position = score * steps;
        return Math.Abs(position - Math.Round(position)) <= 1e-6;
    }

    /// <summary>How a setting reads in text: "continuous" or "N steps each side".</summary>
    public static string Describe(int steps) =>
        steps <= 0 ? "continuous" : string.Create(CultureInfo.InvariantCulture, $"{steps} steps each side");
}
