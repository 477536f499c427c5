namespace Pluralist.Studies.Console.Dataset;

/// <summary>
/// The viewer's answer. With an identity group chosen, <see cref="Pairs"/> and <see cref="Answers"/> are 0 when
/// <see cref="Suppressed"/> is set, and <see cref="Rows"/> lists only pairs answered by at least the minimum
/// number of the group's people (<see cref="PairsHidden"/> says some were left out, not how many).
/// </summary>
public sealed record DatasetView(int Pairs, int Answers, IReadOnlyList<PairView> Rows, IReadOnlyList<(long Id, string Text)> Prompts, IReadOnlyList<(string Marker, string Group)> Groups, GroupSuppression Suppressed, bool PairsHidden)
{
    public bool GroupSuppressed => Suppressed != GroupSuppression.None;
}
