namespace Pluralist.Tensors;

/// <summary>Shape of the learning-rate curve after warmup.</summary>
public enum DecayKind
{
    /// <summary>Stay at the base rate.</summary>
    Constant,

    /// <summary>Linear to zero at the last step.</summary>
    Linear,

    /// <summary>Half cosine to zero at the last step.</summary>
    Cosine,
}
