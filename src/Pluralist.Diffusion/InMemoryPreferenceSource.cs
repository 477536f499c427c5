namespace Pluralist.Diffusion;

/// <summary>Pairs held in memory.</summary>
public sealed class InMemoryPreferenceSource(IReadOnlyList<PreferencePair> items) : IPreferenceSource
{
    private readonly IReadOnlyList<PreferencePair> _items = items ?? throw new ArgumentNullException(nameof(items));

    public int Count => _items.Count;

    public PreferencePair Get(int index) => _items[index];
}
