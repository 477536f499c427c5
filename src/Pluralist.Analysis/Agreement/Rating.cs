namespace Pluralist.Analysis.Agreement;

/// <summary>One rater's value for one item (a long-form row). A rater may rate an item more than once; each value counts.</summary>
public readonly record struct Rating(string Item, string Rater, double Value);

/// <summary>Krippendorff's levels of measurement; each selects a difference function δ(c, k).</summary>
public enum MeasurementLevel
{
    /// <summary>δ = 0 if c = k, else 1.</summary>
    Nominal,

    /// <summary>δ = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², with n the marginal counts of the values.</summary>
    Ordinal,

    /// <summary>δ = (c − k)².</summary>
    Interval,

    /// <summary>δ = ((c − k)/(c + k))²; values must be non-negative.</summary>
    Ratio,
}

/// <summary>
/// A rater's identity profile: one value per axis (<c>gender</c> → <c>woman</c>). A missing or
/// empty value means the marker was not given (or not consented); the rater then belongs to no
/// group on that axis.
/// </summary>
public sealed record RaterProfile(string Rater, IReadOnlyDictionary<string, string?> Markers);

/// <summary>
/// Krippendorff's alpha with its parts: α = 1 − D_o / D_e. Alpha is NaN when D_e = 0 (every
/// pairable value identical) or nothing is pairable; PairableValues is n, the values in items with
/// at least two values.
/// </summary>
public sealed record AlphaResult(double Alpha, double ObservedDisagreement, double ExpectedDisagreement, int Items, int Raters, int PairableValues);

/// <summary>
/// Cross-replication reliability (Wong, Paritosh and Aroyo 2021): xRR = 1 − d_o / d_e. Items counts
/// the items rated by both pools (the only ones used); RatingsA and RatingsB the pools' ratings on them.
/// </summary>
public sealed record XrrResult(double Xrr, double ObservedDisagreement, double ExpectedDisagreement, int Items, int RatingsA, int RatingsB);
