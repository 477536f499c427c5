namespace Pluralist.Diffusion;

/// <summary>Any source of preference pairs.</summary>
public interface IPreferenceSource
{
    int Count { get; }

    PreferencePair Get(int index);
}
