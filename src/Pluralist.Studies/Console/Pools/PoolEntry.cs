using Pluralist.Core.Model;

namespace Pluralist.Studies.Console.Pools;

/// <summary>An image as the console's grid shows it.</summary>
public sealed record PoolEntry(Image Image, string Prompt, int Reports, int Pairs);
