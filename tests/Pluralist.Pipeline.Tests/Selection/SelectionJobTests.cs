using Pluralist.Pipeline.Selection;

namespace Pluralist.Pipeline.Tests.Selection;

public class SelectionJobTests
{
    [Fact]
    public void Greedy_sets_beat_random_sets_on_clustered_embeddings_and_the_report_is_reproducible()
    {
        // Per prompt: 20 candidates in 4 tight clusters of 5 around orthogonal directions.
        var rng = new Random(3);
        var groups = Enumerable.Range(0, 5).Select(p => new CandidateGroup($"p{p}", Enumerable.Range(0, 20).Select(i =>
        {
            var e = new float[8];
            e[i % 4] = 1;
            for (int d = 0; d < 8; d++)
            {
                e[d] += (float)(rng.NextDouble() * 0.05);
            }

            return new Candidate($"p{p}-img{i}", e);
        }).ToArray())).ToArray();

        var options = new SelectionOptions { K = 4, RandomDraws = 50, Seed = 11 };
        var report = SelectionJob.Run(groups, options);
        Assert.Equal(5, report.Results.Count);
        foreach (var r in report.Results)
        {
            Assert.Equal(4, r.Selected.Count);
            // One image of each cluster: the ids' indices cover all four residues mod 4.
            Assert.Equal(4, r.Selected.Select(id => int.Parse(id.Split("img")[1], System.Globalization.CultureInfo.InvariantCulture) % 4).Distinct().Count());
            Assert.True(r.VendiSelected > 3.8, $"selected {r.VendiSelected}");
            Assert.True(r.VendiSelected > r.VendiRandomMean + 0.3, $"selected {r.VendiSelected} vs random {r.VendiRandomMean}");
        }

        Assert.Equal(1, report.FractionAtLeastRandom);
        var again = SelectionJob.Run(groups, options);
        Assert.Equal(report.Results.Select(r => r.VendiRandomMean), again.Results.Select(r => r.VendiRandomMean));

        var csv = new StringWriter();
        report.WriteCsv(csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("prompt,candidates,method,k,selected,vendi_selected,vendi_random_mean,vendi_random_std,vendi_all", lines[0]);
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("p0,20,greedy,4,", lines[1], StringComparison.Ordinal);
    }
}
