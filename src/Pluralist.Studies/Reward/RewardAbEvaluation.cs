using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Evaluation;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Reward;
using Pluralist.Studies.Console.Evaluation;

namespace Pluralist.Studies.Reward;

/// <summary>
/// One criterion (or "overall") of an A/B evaluation scored by the reward model beside the people's answers:
/// the model judges each evaluation pair once (aligned preferred when r(aligned) &gt; r(base), scored without group);
/// <see cref="Human"/> is the people's tally; agreement is over the people's non-neutral answers, each compared with the
/// model's judgement of that pair (share alike and Cohen's kappa over the two labels aligned/base).
/// </summary>
public sealed record RewardAbRow(string Criterion, int Pairs, int ModelAligned, int ModelBase, WinTieLoss Human, int Compared, int Agree, double Kappa)
{
    public double ModelWinRate => ModelAligned + ModelBase == 0 ? double.NaN : (double)ModelAligned / (ModelAligned + ModelBase);

    public double AgreeShare => Compared == 0 ? double.NaN : (double)Agree / Compared;
}

/// <summary>The automatic evaluation of an A/B study by a reward model, labelled as such; it never replaces the human result.</summary>
public sealed record RewardAbReport(string Aligned, string Base, int Pairs, RewardAbRow Overall, IReadOnlyList<RewardAbRow> PerCriterion, IReadOnlyList<string> Warnings)
{
    public const string Label = "automatic (reward model), shown beside the human A/B result and never in place of it";
}

/// <summary>Scores a study's A/B evaluation pairs with a reward model and compares the result with the people's answers.</summary>
public static class RewardAbEvaluation
{
    public static async Task<RewardAbReport> EvaluateAsync(PluralistDbContext db, DataDirectory data, Study study, RewardModel model, IRewardBackbone backbone, string aligned, string baseline, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backbone);
        var (pairs, judgements) = await new EvaluationTallies(db).JudgementsAsync(study, aligned, baseline, ct).ConfigureAwait(false);
        if (pairs.Count == 0)
        {
            throw new StudyInputException($"--aligned {aligned} --base {baseline}: study {study.Key} has no evaluation pairs between these generators (create them with `pluralist study evaluation`)");
        }

        var imageIds = pairs.Values.SelectMany(p => new[] { p.Image0Id, p.Image1Id }).Distinct().Order().ToList();
        var images = await db.Images.AsNoTracking().Where(i => imageIds.Contains(i.Id)).ToDictionaryAsync(i => i.Id, ct).ConfigureAwait(false);
        var promptIds = images.Values.Select(i => i.PromptId).Distinct().Order().ToList();
        var prompts = await db.Prompts.AsNoTracking().Where(p => promptIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Text, ct).ConfigureAwait(false);
        var warnings = new List<string>();
        var judged = judgements.Select(j => j.Judgement.Criterion).Distinct().Order(StringComparer.Ordinal).ToList();
        var unknown = judged.Where(c => !model.Config.Criteria.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            warnings.Add($"the reward model does not score {string.Join(", ", unknown)}: those answers are left out");
        }

        var criteria = model.Config.Criteria.Where(c => judged.Contains(c) || study.Criteria.Any(s => s.Key == c)).ToList();
        var pixels = imageIds.Select(id =>
        {
            var rel = images[id].StoragePath;
            var path = Path.IsPathRooted(rel) ? rel : Path.Combine(data.ImagesPath, rel);
            try
            {
                return ImageCodec.DecodeFile(path, name: $"image {id} ({path})");
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new StudyInputException($"image {id} ({path}): {e.Message}");
            }
        }).ToList();
        var embedded = backbone.EmbedImages(pixels);
        var imageVec = imageIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => embedded[x.i]);
        var texts = backbone.EmbedTexts([.. promptIds.Select(p => prompts.GetValueOrDefault(p, ""))]);
        var textVec = promptIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => texts[x.i]);

        // The model's judgement of each (pair, criterion): r(aligned) - r(base), no group.
        var verdict = new Dictionary<(long Pair, string Criterion), ABPreference>();
        var ordered = pairs.Values.OrderBy(p => p.Id).ToList();
        foreach (var c in criteria)
        {
            int n = ordered.Count, di = model.Config.ImageDim, dt = model.Config.TextDim;
            float[] a = new float[n * di], b = new float[n * di], t = new float[n * dt];
            for (int i = 0; i < n; i++)
            {
                var p = ordered[i];
                var (imgA, imgB) = images[p.Image0Id].Generator == aligned ? (p.Image0Id, p.Image1Id) : (p.Image1Id, p.Image0Id);
                imageVec[imgA].CopyTo(a, i * di);
                imageVec[imgB].CopyTo(b, i * di);
                textVec[images[imgA].PromptId].CopyTo(t, i * dt);
            }

            var crit = Enumerable.Repeat(model.CriterionIndex(c), n).ToArray();
            var none = new int[n];
            var ra = model.Score(a, t, crit, none);
            var rb = model.Score(b, t, crit, none);
            for (int i = 0; i < n; i++)
            {
                verdict[(ordered[i].Id, c)] = ra[i] > rb[i] ? ABPreference.Aligned : ra[i] < rb[i] ? ABPreference.Base : ABPreference.Neutral;
            }
        }

        RewardAbRow Row(string name, IReadOnlyList<string> cs)
        {
            var set = cs.ToHashSet(StringComparer.Ordinal);
            var mine = verdict.Where(kv => set.Contains(kv.Key.Criterion)).Select(kv => kv.Value).ToList();
            var human = judgements.Where(j => set.Contains(j.Judgement.Criterion)).ToList();
            var compared = human.Where(j => j.Judgement.Preference != ABPreference.Neutral)
                .Select(j => (Human: j.Judgement.Preference, Model: verdict[(j.PairId, j.Judgement.Criterion)])).ToList();
            return new RewardAbRow(name, ordered.Count, mine.Count(v => v == ABPreference.Aligned), mine.Count(v => v == ABPreference.Base),
                WinTieLoss.Count(human.Select(j => j.Judgement)), compared.Count, compared.Count(x => x.Human == x.Model),
                CohensKappa.Compute(compared.Select(x => (x.Human, x.Model)).ToList()));
        }

        return new RewardAbReport(aligned, baseline, ordered.Count, Row("overall", criteria), [.. criteria.Select(c => Row(c, [c]))], warnings);
    }

    /// <summary>The report as text lines, labelled as automatic.</summary>
    public static IEnumerable<string> Describe(RewardAbReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        yield return $"A/B evaluation {report.Aligned} (aligned) vs {report.Base} (base), {report.Pairs} pairs: {RewardAbReport.Label}";
        yield return "criterion\tmodel: aligned\tbase\twin rate\thuman: aligned\tneutral\tbase\twin rate\tWilson 95%\tcompared\tagree\tkappa";
        foreach (var r in report.PerCriterion.Append(report.Overall))
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{r.Criterion}\t{r.ModelAligned}\t{r.ModelBase}\t{r.ModelWinRate:0.000}\t{r.Human.Wins}\t{r.Human.Ties}\t{r.Human.Losses}\t{r.Human.WinRate:0.000}\t[{r.Human.WinRateInterval.Lower:0.000}, {r.Human.WinRateInterval.Upper:0.000}]\t{r.Compared}\t{r.AgreeShare:0.000}\t{r.Kappa:0.000}");
        }
    }
}
