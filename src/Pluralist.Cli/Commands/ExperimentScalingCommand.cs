using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Analysis.Evaluation;
using Pluralist.Studies.Alignment;

namespace Pluralist.Cli;

/// <summary>
/// <c>experiment livs-sim --scaling N1,N2,..</c> (the data-scaling curve) and <c>--per-criterion S1,S2,..</c> (one model per
/// criterion and step count, <c>--criteria</c> for a subset): the options, their checks and the output.
/// </summary>
internal sealed class ExperimentScalingCommand
{
    public Option<string?> Scaling { get; } = new("--scaling") { Description = "Data-scaling curve: comma-separated annotator counts in increasing order (e.g. 10,20,40,80); the first N of one seeded pool, DPO and a shuffled-label control per point, the size's steps (or --dpo-steps); writes scaling.json." };

    public Option<string?> PerCriterion { get; } = new("--per-criterion") { Description = "Per-criterion models: comma-separated DPO step counts in increasing order (LIVS: 500,1500); one model per criterion and step count on that criterion's per-criterion labels, judged on it; writes per-criterion.json." };

    public Option<string?> Criteria { get; } = new("--criteria") { Description = "With --per-criterion: a comma-separated subset of the six criteria (default: all)." };

    public IEnumerable<Option> Options => [Scaling, PerCriterion, Criteria];

    /// <summary>The checked request, or null when neither <c>--scaling</c> nor <c>--per-criterion</c> is given; throws naming the option otherwise.</summary>
    public Request? Parse(ParseResult parse, bool arms, bool explicitSteps)
    {
        var scaling = parse.GetValue(Scaling);
        var perCriterion = parse.GetValue(PerCriterion);
        var criteria = parse.GetValue(Criteria);
        CommandHelpers.Require(criteria is null || perCriterion is not null, "--criteria", "only with --per-criterion");
        if (scaling is null && perCriterion is null)
        {
            return null;
        }

        CommandHelpers.Require(scaling is null || perCriterion is null, "--scaling", "not with --per-criterion (run them separately)");
        var option = scaling is not null ? "--scaling" : "--per-criterion";
        CommandHelpers.Require(!arms, option, "not with --arms");
        CommandHelpers.Require(perCriterion is null || !explicitSteps, "--dpo-steps", "not with --per-criterion (its values are the step counts)");
        return scaling is not null
            ? new Request(LivsSimExperiment.ParseCounts("--scaling", scaling, 10_000), null, null)
            : new Request(null, LivsSimExperiment.ParseCounts("--per-criterion", perCriterion!, 1_000_000), criteria is null ? null : LivsSimExperiment.ParseCriteria(criteria));
    }

    /// <summary>Runs the request and writes its JSON atomically into <paramref name="dir"/>.</summary>
    public static void Run(Request request, LivsSimExperiment experiment, string dir, JsonSerializerOptions json, System.Diagnostics.Stopwatch sw, CancellationToken ct)
    {
        string file;
        if (request.Annotators is { } counts)
        {
            var result = experiment.RunScaling(counts, ct);
            PrintScaling(result);
            file = Path.Combine(dir, "scaling.json");
            TrainCommands.SaveAtomic(file, f => File.WriteAllText(f, JsonSerializer.Serialize(result, json)));
        }
        else
        {
            var result = experiment.RunPerCriterion(request.Steps!, request.Criteria, ct);
            PrintPerCriterion(result);
            file = Path.Combine(dir, "per-criterion.json");
            TrainCommands.SaveAtomic(file, f => File.WriteAllText(f, JsonSerializer.Serialize(result, json)));
        }

        Console.WriteLine($"results -> {file} ({sw.Elapsed.TotalMinutes:F1} min)");
    }

    private static void PrintScaling(LivsSimScalingResult r)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"livs-sim data scaling, seed {r.Seed}, size {r.Size}, objective {r.Objective}: {r.Images} images, {r.PairsPerAnnotator} pairs per annotator, {r.Steps} steps per model, {r.Judges} judges; {r.SecondsPerImage:F2} s/image"));
        Console.WriteLine("win = the trained model preferred over the base; [95% Wilson interval]; p = two-sided sign test");
        Console.WriteLine($"{"annotators",10} {"annotations",11} {"labels",6} {"pairs",5} {"wins",5} {"neutral",7} {"losses",6} {"win rate",-20} {"sign p",8}  {"control",-20} {"sign p",8}  {"vs control",-20} {"sign p",8}");
        foreach (var p in r.Points)
        {
            var a = p.Aligned.Table.Overall.Counts;
            var c = p.Control.Table.Overall.Counts;
            var h = p.AlignedVsControl.Table.Overall.Counts;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Annotators,10} {p.Annotations,11} {p.Labels,6} {p.TrainingPairs,5} {a.Wins,5} {a.Ties,7} {a.Losses,6} {Rate(a),-20} {a.SignTestP,8:G3}  {Rate(c),-20} {c.SignTestP,8:G3}  {Rate(h),-20} {h.SignTestP,8:G3}"));
        }

        Trend("aligned vs base", r.AlignedTrend);
        Trend("control vs base", r.ControlTrend);
        Trend("aligned vs control", r.AlignedVsControlTrend);
    }

    private static void Trend(string what, DoseTrendTest t) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"trend over log2(annotators), {what}: Cochran-Armitage z {t.Z:F2}, p (increasing) {t.PIncreasing:G3}, two-sided {t.PTwoSided:G3}; logistic slope {t.Slope:F3} (SE {t.SlopeSe:F3}, LR p {t.LikelihoodRatioP:G3}){(t.Warning is null ? "" : $"; warning: {t.Warning}")}"));

    private static void PrintPerCriterion(LivsSimPerCriterionResult r)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"livs-sim per-criterion models, seed {r.Seed}, size {r.Size}, objective {r.Objective}: {r.Images} images, {r.Annotations} annotations by {r.Annotators}, {r.AnswersKept} answers kept, {r.Judges} judges; {r.SecondsPerImage:F2} s/image"));
        Console.WriteLine("win = the criterion's model preferred over the base on its own criterion; [95% Wilson interval]; p = two-sided sign test");
        Console.WriteLine($"{"criterion",-14} {"steps",7} {"labels",6} {"pairs",5} {"wins",5} {"neutral",7} {"losses",6} {"win rate",-20} {"sign p",8}  {"all criteria",-20}");
        foreach (var m in r.Models)
        {
            var o = m.OnCriterion.Counts;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Criterion,-14} {m.Steps,7} {m.Labels,6} {m.TrainingPairs,5} {o.Wins,5} {o.Ties,7} {o.Losses,6} {Rate(o),-20} {o.SignTestP,8:G3}  {Rate(m.Versus.Table.Overall.Counts),-20}"));
        }

        foreach (var s in r.Scaling)
        {
            var t = s.Report.Trend;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"labels vs win rate across {t.Criteria} criteria at {s.Steps} steps: Spearman rho {t.SpearmanRho:F2} (p greater {t.SpearmanPGreater:G3}), logistic slope on ln(1 + labels) {t.Slope:F3} (LR p {t.LikelihoodRatioP:G3}, quasi p {t.QuasiP:G3}){(t.Warning is null ? "" : $"; warning: {t.Warning}")}"));
        }
    }

    private static string Rate(WinTieLoss c) => string.Create(CultureInfo.InvariantCulture, $"{c.WinRate:F3} [{c.WinRateInterval.Lower:F2}, {c.WinRateInterval.Upper:F2}]");

    /// <summary>What to run: <see cref="Annotators"/> for the scaling curve, or <see cref="Steps"/> (and <see cref="Criteria"/>) for the per-criterion models.</summary>
    internal sealed record Request(IReadOnlyList<int>? Annotators, IReadOnlyList<int>? Steps, IReadOnlyList<string>? Criteria);
}
