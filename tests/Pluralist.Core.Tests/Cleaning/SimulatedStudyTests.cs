using Pluralist.Core.Cleaning;
using Xunit.Abstractions;

namespace Pluralist.Core.Tests.Cleaning;

public class SimulatedStudyTests(ITestOutputHelper output)
{
    private enum Kind
    {
        Careful,
        Speeder,
        StraightLiner,
    }

    // Careful raters: a latent preference per pair (oriented to image_0/image_1), answers = latent +
    // noise on 2-3 criteria, sliders snapped to 0.01, durations 4-30 s, each pair at most once.
    // Speeders answer in 0.3-1.8 s with random values. Straight-liners put the same slider
    // position (as shown) on every criterion of every answer.
    private static (List<CleaningRow> Rows, List<Kind> Truth) Simulate(int seed)
    {
        var rng = new Random(seed);
        var rows = new List<CleaningRow>();
        var truth = new List<Kind>();
        string[] criteria = ["accessibility", "safety", "comfort", "invitingness", "inclusivity", "diversity"];
        long id = 1;
        var t0 = new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
        for (var p = 1; p <= 120; p++)
        {
            var kind = p % 10 == 0 ? Kind.Speeder : p % 10 == 5 ? Kind.StraightLiner : Kind.Careful;
            var constant = Math.Round((rng.NextDouble() * 2) - 1, 2);
            var at = t0.AddMinutes(p);
            var pairs = Enumerable.Range(0, 400).OrderBy(_ => rng.Next()).Take(25).ToArray();
            for (var a = 0; a < 25; a++)
            {
                var pair = pairs[a];
                var latent = (rng.NextDouble() * 1.6) - 0.8;
                var shown = criteria.OrderBy(_ => rng.Next()).Take(rng.Next(2, 4)).ToList();
                var left = rng.Next(2) == 0;
                var ms = kind == Kind.Speeder ? rng.Next(300, 1800) : rng.Next(4000, 30000);
                at = at.AddMilliseconds(ms + 500);
                var annotation = id * 10;
                for (var c = 0; c < shown.Count; c++)
                {
                    double score = kind switch
                    {
                        Kind.Careful => Math.Round(Math.Clamp(latent + (rng.NextDouble() * 0.6) - 0.3, -1, 1), 2),
                        Kind.Speeder => Math.Round((rng.NextDouble() * 2) - 1, 2),
                        _ => constant,
                    };
                    rows.Add(new CleaningRow
                    {
                        AnswerId = id++,
                        AnnotationId = annotation,
                        AssignmentId = annotation,
                        ParticipantId = p,
                        BatchId = 1,
                        PairId = pair,
                        PromptId = pair / 4,
                        Criterion = shown[c],
                        Position = c,
                        ScoreAsShown = kind == Kind.StraightLiner || left ? score : -score,
                        Image0OnLeft = left,
                        ClientMs = ms,
                        ServerMs = ms + rng.Next(50, 400),
                        SubmittedAt = at,
                        ClientRequestId = $"r{annotation}",
                    });
                    truth.Add(kind);
                }
            }
        }

        return (rows, truth);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void DefaultRulesCatchInjectedBadRowsAndKeepCarefulOnes(int seed)
    {
        var (rows, truth) = Simulate(seed);
        var run = CleaningEngine.Run(rows, CleaningRuleSet.Default);
        int bad = 0, caught = 0, careful = 0, lost = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            if (truth[i] == Kind.Careful)
            {
                careful++;
                lost += run.Verdicts[i].Kept ? 0 : 1;
            }
            else
            {
                bad++;
                caught += run.Verdicts[i].Kept ? 0 : 1;
            }
        }

        output.WriteLine($"seed {seed}: {rows.Count} rows; caught {caught}/{bad} injected; dropped {lost}/{careful} careful");
        Assert.True(caught >= 0.95 * bad, $"caught {caught} of {bad}");
        Assert.True(lost < 0.02 * careful, $"dropped {lost} of {careful} careful rows");

        // The report adds up: per stage, per participant, per criterion.
        var r = run.Report;
        Assert.Equal(rows.Count, r.RowsIn);
        Assert.Equal(run.Verdicts.Count(v => v.Kept), r.RowsOut);
        Assert.Equal(r.RowsIn - r.RowsOut, r.Stages.Sum(s => s.Dropped));
        for (var s = 0; s < r.Stages.Count; s++)
        {
            Assert.Equal(r.Stages[s].RowsIn - r.Stages[s].Dropped, r.Stages[s].RowsOut);
            Assert.Equal(s == 0 ? r.RowsIn : r.Stages[s - 1].RowsOut, r.Stages[s].RowsIn);
            Assert.True(r.Stages[s].Matched >= r.Stages[s].Dropped);
        }

        Assert.Equal(r.RowsOut, r.Stages[^1].RowsOut);
        foreach (var part in new[] { r.PerParticipant, r.PerCriterion })
        {
            Assert.Equal(r.RowsIn, part.Sum(b => b.RowsIn));
            Assert.Equal(r.RowsOut, part.Sum(b => b.RowsOut));
            Assert.All(part, b => Assert.Equal(b.RowsIn - b.RowsOut, b.DroppedByRule.Values.Sum()));
        }

        foreach (var stage in r.Stages)
        {
            Assert.Equal(stage.Dropped, r.PerCriterion.Sum(b => b.DroppedByRule.GetValueOrDefault(stage.Rule)));
        }

        var json = System.Text.Json.JsonSerializer.Serialize(r);
        Assert.Contains("\"RowsIn\":" + rows.Count, json, StringComparison.Ordinal);
    }
}
