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
/// model's judgement of that pair (share alike and Cohen's kappa over the two labels aligned/base). A group-conditioned
/// model judges each answer's pair conditioned on the answering person's consented group when it was trained on that
/// group (<see cref="ComparedWithGroup"/> of the <see cref="Compared"/> answers), else without group. <see cref="Pairs"/> counts
/// the model's judgements in the row: the evaluation pairs times the row's criteria (the pairs themselves for one criterion).
/// </summary>
public sealed record RewardAbRow(string Criterion, int Pairs, int ModelAligned, int ModelBase, WinTieLoss Human, int Compared, int Agree, double Kappa, int ComparedWithGroup = 0)
{
    public double ModelWinRate => ModelAligned + ModelBase == 0 ? double.NaN : (double)ModelAligned / (ModelAligned + ModelBase);

    public double AgreeShare => Compared == 0 ? double.NaN : (double)Agree / Compared;
}

/// <summary>The automatic evaluation of an A/B study by a reward model, labelled as such; it never replaces the human result.</summary>
/// <remarks><see cref="GroupBy"/>: the markers whose consented groups condition the agreement (the model's, empty for a criterion-only model).</remarks>
public sealed record RewardAbReport(string Aligned, string Base, int Pairs, RewardAbRow Overall, IReadOnlyList<RewardAbRow> PerCriterion, IReadOnlyList<string> Warnings, IReadOnlyList<string>? GroupBy = null)
{
    public const string Label = "automatic (reward model), shown beside the human A/B result and never in place of it";
}

/// <summary>Scores a study's A/B evaluation pairs with a reward model and compares the result with the people's answers.</summary>
public static class RewardAbEvaluation
{
    /// <summary>
    /// Scores the A/B evaluation pairs between <paramref name="aligned"/> and <paramref name="baseline"/>. With <paramref name="groupBy"/>
    /// (the markers the model was trained with) and a group-conditioned model, each answer is compared with the model's
    /// judgement conditioned on the answering person's consented group (coded as <c>reward train</c> codes it).
    /// </summary>
    public static async Task<RewardAbReport> EvaluateAsync(PluralistDbContext db, DataDirectory data, Study study, RewardModel model, IRewardBackbone backbone, string aligned, string baseline, IReadOnlyList<string>? groupBy = null, CancellationToken ct = default)
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

        // The people's consented groups, where the model is conditioned on groups (a group it was not trained on scores as no group).
        var markers = model.Config.GroupConditioned ? groupBy ?? [] : [];
        var known = model.Config.Groups.ToHashSet(StringComparer.Ordinal);
        var groupOf = markers.Count == 0 ? new Dictionary<long, string>()
            : await Data.Datasets.StudyDatasetLoader.ConsentedGroupsAsync(db, [.. judgements.Select(j => long.Parse(j.Judgement.Participant, CultureInfo.InvariantCulture)).Distinct()], markers, ct).ConfigureAwait(false);
        string? GroupOf(ABJudgement j) => groupOf.TryGetValue(long.Parse(j.Participant, CultureInfo.InvariantCulture), out var g) && known.Contains(g) ? g : null;
        var conditions = judgements.Select(j => GroupOf(j.Judgement)).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();

        // The model's judgement of each (pair, criterion, group): r(aligned) - r(base); group null = no group.
        var verdict = new Dictionary<(long Pair, string Criterion, string Group), ABPreference>();
        var ordered = pairs.Values.OrderBy(p => p.Id).ToList();
        foreach (var (c, g) in criteria.SelectMany(c => conditions.Prepend(null).Select(g => (c, g))))
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
            var group = Enumerable.Repeat(g is null ? 0 : model.GroupIndex(g), n).ToArray();
            var ra = model.Score(a, t, crit, group);
            var rb = model.Score(b, t, crit, group);
            for (int i = 0; i < n; i++)
            {
                verdict[(ordered[i].Id, c, g ?? "")] = ra[i] > rb[i] ? ABPreference.Aligned : ra[i] < rb[i] ? ABPreference.Base : ABPreference.Neutral;
            }
        }

        RewardAbRow Row(string name, IReadOnlyList<string> cs)
        {
            var set = cs.ToHashSet(StringComparer.Ordinal);
            var mine = verdict.Where(kv => kv.Key.Group.Length == 0 && set.Contains(kv.Key.Criterion)).Select(kv => kv.Value).ToList();
            var human = judgements.Where(j => set.Contains(j.Judgement.Criterion)).ToList();
            var compared = human.Where(j => j.Judgement.Preference != ABPreference.Neutral)
                .Select(j => (Human: j.Judgement.Preference, Model: verdict[(j.PairId, j.Judgement.Criterion, GroupOf(j.Judgement) ?? "")], Grouped: GroupOf(j.Judgement) is not null)).ToList();
            return new RewardAbRow(name, ordered.Count * cs.Count, mine.Count(v => v == ABPreference.Aligned), mine.Count(v => v == ABPreference.Base),
                WinTieLoss.Count(human.Select(j => j.Judgement)), compared.Count, compared.Count(x => x.Human == x.Model),
                CohensKappa.Compute(compared.Select(x => (x.Human, x.Model)).ToList()), compared.Count(x => x.Grouped));
        }

        return new RewardAbReport(aligned, baseline, ordered.Count, Row("overall", criteria), [.. criteria.Select(c => Row(c, [c]))], warnings, markers);
    }

    /// <summary>The report as text lines, labelled as automatic.</summary>
    public static IEnumerable<string> Describe(RewardAbReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        yield return $"A/B evaluation {report.Aligned} (aligned) vs {report.Base} (base), {report.Pairs} pairs: {RewardAbReport.Label}";
        if (report.GroupBy is { Count: > 0 } markers)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"agreement: each answer compared with the model's judgement conditioned on the person's consented group ({string.Join(", ", markers)}) where the model was trained on it: {report.Overall.ComparedWithGroup} of {report.Overall.Compared} answers; the model's win rate is scored without group");
        }

        yield return "criterion\tmodel: aligned\tbase\twin rate\thuman: aligned\tneutral\tbase\twin rate\tWilson 95%\tcompared\tagree\tkappa";
        foreach (var r in report.PerCriterion.Append(report.Overall))
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{r.Criterion}\t{r.ModelAligned}\t{r.ModelBase}\t{r.ModelWinRate:0.000}\t{r.Human.Wins}\t{r.Human.Ties}\t{r.Human.Losses}\t{r.Human.WinRate:0.000}\t[{r.Human.WinRateInterval.Lower:0.000}, {r.Human.WinRateInterval.Upper:0.000}]\t{r.Compared}\t{r.AgreeShare:0.000}\t{r.Kappa:0.000}");
        }
    }
}
