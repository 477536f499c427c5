using Pluralist.Core.Text;
using Pluralist.Data.Datasets;
using Pluralist.Studies.Alignment;

namespace Pluralist.Studies.Console.Evaluation;

/// <summary>The captions of a preference dataset's training split (either layout of <c>dataset build</c>), to hold evaluation prompts out of.</summary>
public static class TrainingPrompts
{
    /// <summary>Trimmed, spaces collapsed, case-folded: the form prompts are compared in.</summary>
    public static string Normalize(string text) => FoldedText.Fold(text);

    /// <summary>The normalised captions of <paramref name="dir"/>'s <c>train</c> split; bad input names the file.</summary>
    public static async Task<IReadOnlySet<string>> ReadAsync(string dir, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir))
        {
            throw new StudyInputException($"--training {dir}: no such folder (expected a folder written by `pluralist dataset build`)");
        }

        var captions = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(Path.Combine(dir, "pairs.jsonl")) && PreferenceParquetReader.IsParquetDataset(dir))
        {
            try
            {
                await foreach (var row in PreferenceParquetReader.ReadViewsAsync(dir, "train", ct).ConfigureAwait(false))
                {
                    captions.Add(Normalize(row.Caption));
                }
            }
            catch (InvalidDataException e)
            {
                throw new StudyInputException($"--training {dir}: {e.Message}");
            }
        }
        else
        {
            foreach (var row in PreferenceDataset.ReadRows(dir).Where(r => r.Split == "train"))
            {
                captions.Add(Normalize(row.Caption));
            }
        }

        if (captions.Count == 0)
        {
            throw new StudyInputException($"--training {dir}: the dataset has no rows in its train split, so it cannot say which prompts were trained on");
        }

        return captions;
    }

    /// <summary>
    /// The rows of <paramref name="dir"/>'s <c>train</c> split per criterion they name, and how many name none (labels of
    /// the LIVS protocol pool the criteria of an answer): the training labels of the data-scaling analysis.
    /// </summary>
    public static async Task<(IReadOnlyDictionary<string, int> PerCriterion, int WithoutCriterion)> LabelsPerCriterionAsync(string dir, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir))
        {
            throw new StudyInputException($"--training {dir}: no such folder (expected a folder written by `pluralist dataset build`)");
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var without = 0;
        var rows = 0;
        void Add(string? criterion)
        {
            rows++;
            if (string.IsNullOrEmpty(criterion))
            {
                without++;
            }
            else
            {
                counts[criterion] = counts.GetValueOrDefault(criterion) + 1;
            }
        }

        if (!File.Exists(Path.Combine(dir, "pairs.jsonl")) && PreferenceParquetReader.IsParquetDataset(dir))
        {
            try
            {
                await foreach (var row in PreferenceParquetReader.ReadViewsAsync(dir, "train", ct).ConfigureAwait(false))
                {
                    Add(row.Criterion);
                }
            }
            catch (InvalidDataException e)
            {
                throw new StudyInputException($"--training {dir}: {e.Message}");
            }
        }
        else
        {
            foreach (var row in PreferenceDataset.ReadRows(dir).Where(r => r.Split == "train"))
            {
                Add(row.Criterion);
            }
        }

        if (rows == 0)
        {
            throw new StudyInputException($"--training {dir}: the dataset has no rows in its train split");
        }

        return (counts, without);
    }
}
