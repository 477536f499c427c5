namespace Pluralist.Tensors;

/// <summary>Element type of a stored tensor.</summary>
public enum StoredType
{
    /// <summary>IEEE float32.</summary>
    F32,

    /// <summary>IEEE float16.</summary>
    F16,

    /// <summary>bfloat16 (upper half of a float32, rounded to nearest even).</summary>
    BF16,
}
