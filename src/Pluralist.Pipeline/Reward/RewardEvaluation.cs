using System.Globalization;
using Pluralist.Tensors;

namespace Pluralist.Pipeline.Reward;

/// <summary>A model's margin d = r(image_0) - r(image_1) on one comparison (positive: image_0 preferred).</summary>
public sealed record RewardPrediction(RewardComparison Comparison, double Margin);

/// <summary>
/// Held-out accuracy of a scope: of the answers that prefer an image (P(image_0) ≠ 0.5), how many the margin's sign
/// gets right (a margin of exactly 0 counts as wrong); neutral answers count in <see cref="Answers"/> and in the log
/// loss, the mean soft binary cross-entropy -(p log σ(d) + (1 - p) log σ(-d)) over all answers.
/// </summary>
public sealed record AccuracyCount(string Scope, int Answers, int NonNeutral, int Correct, double LogLoss)
{
    public double Accuracy => NonNeutral == 0 ? double.NaN : (double)Correct / NonNeutral;
}

/// <summary>How to hold out data: whole prompts (no image is in both parts) or whole participants.</summary>
public enum RewardSplitBy
{
    Prompt,
    Participant,
}

/// <summary>Predictions, the constant baseline, splits and accuracy counts.</summary>
public static class RewardEvaluation
{
    /// <summary>
    /// The model's margins on the comparisons at <paramref name="indices"/>. With <paramref name="withGroups"/> each is scored
    /// with its group (a group the model was not trained on, or a criterion-only model: as no group); without, every
    /// comparison is scored as no group.
    /// </summary>
    public static IReadOnlyList<RewardPrediction> Predict(RewardModel model, RewardData data, IReadOnlyList<int> indices, bool withGroups = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        var known = model.Config.GroupConditioned ? model.Config.Groups.ToHashSet(StringComparer.Ordinal) : [];
        var batch = data.Batch(model, indices, (_, c) => withGroups && c.Group is { } g && known.Contains(g) ? model.GroupIndex(g) : 0);
        var r0 = model.Score(batch.Image0, batch.Text, batch.Criteria, batch.Groups);
        var r1 = model.Score(batch.Image1, batch.Text, batch.Criteria, batch.Groups);
        return [.. indices.Select((idx, i) => new RewardPrediction(data.Comparisons[idx], (double)r0[i] - r1[i]))];
    }

    /// <summary>
    /// The constant baseline: per criterion, the training answers' mean P(image_0 preferred) m, as the margin log(m / (1 - m))
    /// for every held-out answer of that criterion (0.5 where the criterion has no training answer). It knows the canonical
    /// order's bias and nothing about the images.
    /// </summary>
    public static IReadOnlyList<RewardPrediction> Constant(RewardData data, IReadOnlyList<int> train, IReadOnlyList<int> test)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        var means = train.Select(i => data.Comparisons[i]).GroupBy(c => c.Criterion, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Math.Clamp(g.Average(c => (double)c.Probability0), 1e-3, 1 - 1e-3), StringComparer.Ordinal);
        return [.. test.Select(i => data.Comparisons[i]).Select(c => new RewardPrediction(c, means.TryGetValue(c.Criterion, out var m) ? Math.Log(m / (1 - m)) : 0))];
    }

    /// <summary>Accuracy and log loss of <paramref name="predictions"/> under the name <paramref name="scope"/>.</summary>
    public static AccuracyCount Count(string scope, IEnumerable<RewardPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        int answers = 0, nonNeutral = 0, correct = 0;
        double loss = 0;
        foreach (var p in predictions)
        {
            answers++;
            double t = p.Comparison.Probability0, d = p.Margin;
            loss += -((t * LogSigmoid(d)) + ((1 - t) * LogSigmoid(-d)));
            if (t != 0.5)
            {
                nonNeutral++;
                if ((t > 0.5 && d > 0) || (t < 0.5 && d < 0))
                {
                    correct++;
                }
            }
        }

        return new AccuracyCount(scope, answers, nonNeutral, correct, answers == 0 ? double.NaN : loss / answers);
    }

    /// <summary>
    /// Splits the comparisons by prompt or by participant: the distinct keys in ordinal order, shuffled with
    /// <paramref name="seed"/>, the first round(share × keys) (at least 1) held out. Needs at least 2 keys.
    /// </summary>
    public static (int[] Train, int[] Test) Split(RewardData data, RewardSplitBy by, double testShare, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(testShare is > 0 and < 1))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"held-out share must be between 0 and 1 (exclusive), got {testShare}"));
        }

        string Key(RewardComparison c) => by == RewardSplitBy.Prompt ? c.Prompt.ToString(CultureInfo.InvariantCulture) : c.Participant;
        var keys = data.Comparisons.Select(Key).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (keys.Length < 2)
        {
            throw new ArgumentException($"cannot hold out by {by.ToString().ToLowerInvariant()}: the data has {keys.Length} distinct {by.ToString().ToLowerInvariant()}(s), at least 2 needed");
        }

        var perm = RewardTrainer.Permutation(keys.Length, new Generator(seed ^ 0x5EED_0003UL));
        int held = Math.Clamp((int)Math.Round(testShare * keys.Length), 1, keys.Length - 1);
        var test = perm.Take(held).Select(i => keys[i]).ToHashSet(StringComparer.Ordinal);
        var trainIdx = new List<int>();
        var testIdx = new List<int>();
        for (int i = 0; i < data.Comparisons.Count; i++)
        {
            (test.Contains(Key(data.Comparisons[i])) ? testIdx : trainIdx).Add(i);
        }

        return ([.. trainIdx], [.. testIdx]);
    }

    private static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));
}
