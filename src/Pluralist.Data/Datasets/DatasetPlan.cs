using Pluralist.Core.Preferences;
using Pluralist.Core.Privacy;

namespace Pluralist.Data.Datasets;

/// <summary>
/// What every dataset layout decides before writing a byte: every caption and image file present,
/// the split of each prompt, which groups may be written, and the warnings.
/// </summary>
internal sealed class DatasetPlan
{
    private readonly DatasetInput _input;
    private readonly Dictionary<string, int> _groupSizes;

    private DatasetPlan(DatasetInput input, Dictionary<string, int> groupSizes, IReadOnlyDictionary<long, string> splits, List<string> warnings)
    {
        _input = input;
        _groupSizes = groupSizes;
        Splits = splits;
        Warnings = warnings;
    }

    /// <summary>Split name per prompt id.</summary>
    public IReadOnlyDictionary<long, string> Splits { get; }

    public List<string> Warnings { get; }

    /// <summary>Checks the input and fixes the splits; throws <see cref="ArgumentException"/> naming the pair when a caption or image file is missing.</summary>
    public static DatasetPlan Make(DatasetInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var warnings = new List<string>(input.Warnings);
        if (input.Cleaning is null)
        {
            warnings.Add("the study's answers have not been cleaned: labels are built from uncleaned answers");
        }

        foreach (var (l, _) in input.AllLabels)
        {
            if (!input.Captions.ContainsKey(l.PromptId))
            {
                throw new ArgumentException($"no caption for prompt {l.PromptId} (pair {l.PairId})", nameof(input));
            }

            foreach (var img in new[] { l.Image0Id, l.Image1Id })
            {
                if (!input.ImagePaths.TryGetValue(img, out var path) || !File.Exists(path))
                {
                    throw new ArgumentException($"image {img} of pair {l.PairId} has no file" + (path is null ? "" : $" at {path}"), nameof(input));
                }
            }
        }

        // Groups: only consented ones, and only those with enough participants.
        var sizes = input.ConsentedGroups.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.Count());
        // Small groups are counted, never named: naming one would show it.
        var smallGroups = sizes.Count(kv => !MinimumGroupSize.MayShow(kv.Value, input.MinGroupSize));
        if (smallGroups > 0)
        {
            warnings.Add($"{smallGroups} consented group(s) with fewer than the study minimum of {input.MinGroupSize} participants left out (written as no group)");
        }

        // People's prompts are split as if no synthetic run were included, so that including one never moves a person's
        // row to another split; prompts only a synthetic run labelled are split among themselves with the same seed.
        var splits = PromptSplitter.Split(input.Labels.Select(l => l.PromptId), input.SplitSeed, input.ValidationShare, input.TestShare)
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var syntheticOnly = input.SyntheticLabels.Select(l => l.PromptId).Where(p => !splits.ContainsKey(p)).ToList();
        foreach (var (prompt, name) in PromptSplitter.Split(syntheticOnly, input.SplitSeed, input.ValidationShare, input.TestShare))
        {
            splits[prompt] = name;
        }

        return new DatasetPlan(input, sizes, splits, warnings);
    }

    /// <summary>The label's group if it is the participant's consented group and that group is large enough; else null.</summary>
    public string? SafeGroup(PreferenceLabel label)
    {
        if (label.Group is null)
        {
            return null;
        }

        var consented = label.ParticipantId is { } p
            ? _input.ConsentedGroups.TryGetValue(p, out var g) && g == label.Group
            : _groupSizes.ContainsKey(label.Group);
        return consented && MinimumGroupSize.MayShow(_groupSizes.GetValueOrDefault(label.Group), _input.MinGroupSize) ? label.Group : null;
    }
}
