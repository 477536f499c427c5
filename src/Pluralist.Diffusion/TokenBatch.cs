namespace Pluralist.Diffusion;

/// <summary>Token ids of a batch of prompts: ids and mask (B, L), row-major.</summary>
public sealed record TokenBatch(int[] Ids, float[] Mask, int Batch, int Length);
