using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pluralist.Cli.Tests;

/// <summary><c>pluralist analyze ab</c>: the LIVS evaluation statistics from counts and from an answers file, against formulas written here.</summary>
public sealed class AnalyzeAbCommandTests : IDisposable
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    private readonly string _dir = Directory.CreateTempSubdirectory("pluralist-ab-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = PluralistCommand.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Wilson (1927) from its definition: the p with |p̂ − p| = z √(p(1 − p)/n), the two roots of a quadratic in p.</summary>
    private static (double Lower, double Upper) Wilson(int k, int n, double z = 1.959963984540054)
    {
        var p = (double)k / n;
        // (1 + z²/n) p² − (2p̂ + z²/n) p + p̂² = 0
        var a = 1 + (z * z / n);
        var b = -((2 * p) + (z * z / n));
        var c = p * p;
        var root = Math.Sqrt((b * b) - (4 * a * c));
        return ((-b - root) / (2 * a), (-b + root) / (2 * a));
    }

    /// <summary>Two-sided sign test 2 P(X ≤ min) for X ~ Binomial(n, ½), summed in log space.</summary>
    private static double SignTest(int wins, int losses)
    {
        var n = wins + losses;
        var logFact = new double[n + 1];
        for (var i = 1; i <= n; i++)
        {
            logFact[i] = logFact[i - 1] + Math.Log(i);
        }

        double sum = 0;
        for (var k = 0; k <= Math.Min(wins, losses); k++)
        {
            sum += Math.Exp(logFact[n] - logFact[k] - logFact[n - k] - (n * Math.Log(2)));
        }

        return Math.Min(1, 2 * sum);
    }

    [Fact]
    public void Livs_published_counts_give_the_published_win_rate_with_its_interval()
    {
        var json = Path.Combine(_dir, "livs.json");
        var (code, output, error) = Run("analyze", "ab", "--aligned", "700", "--base", "300", "--neutral", "1100", "--json", json);
        Assert.True(code == 0, error);
        var (lo, hi) = Wilson(700, 1000);
        Assert.Contains("overall: aligned 700  base 300  neutral 1100  answers 2100", output, StringComparison.Ordinal);
        Assert.Contains(string.Create(Ci, $"win rate (ties excluded) 0.7000  Wilson 95% [{lo:0.0000}, {hi:0.0000}]"), output, StringComparison.Ordinal);
        Assert.Contains(string.Create(Ci, $"win rate (ties as half) {1250.0 / 2100:0.0000}"), output, StringComparison.Ordinal);
        var (nlo, nhi) = Wilson(1100, 2100);
        Assert.Contains(string.Create(Ci, $"neutral share {1100.0 / 2100:0.0000}  Wilson 95% [{nlo:0.0000}, {nhi:0.0000}]"), output, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var overall = doc.RootElement.GetProperty("overall");
        Assert.Equal(0.7, overall.GetProperty("win_rate").GetDouble(), 12);
        Assert.Equal(lo, overall.GetProperty("win_rate_lower").GetDouble(), 9);
        Assert.Equal(hi, overall.GetProperty("win_rate_upper").GetDouble(), 9);
        var p = SignTest(700, 300);
        Assert.Equal(1, overall.GetProperty("sign_test_p").GetDouble() / p, 6);
        Assert.True(p < 1e-30);
    }

    [Fact]
    public void Answers_file_gives_counts_per_criterion_participant_and_source()
    {
        var csv = new StringBuilder("prompt,participant,criterion,preference,source\n");
        var expected = new Dictionary<string, int[]>(); // criterion -> aligned, base, neutral
        var rng = new Random(3);
        string[] labels = ["aligned", "base", "neutral", "0.4", "-0.2", "0"];
        for (var prompt = 0; prompt < 8; prompt++)
        {
            foreach (var participant in new[] { "a", "b", "c" })
            {
                foreach (var criterion in new[] { "safety", "comfort" })
                {
                    var label = labels[rng.Next(labels.Length)];
                    var slot = label switch { "aligned" or "0.4" => 0, "base" or "-0.2" => 1, _ => 2 };
                    expected.TryAdd(criterion, new int[3]);
                    expected[criterion][slot]++;
                    csv.Append(Ci, $"p{prompt},{participant},{criterion},{label},{(prompt < 4 ? "human" : "llm-1")}\n");
                }
            }
        }

        var file = Path.Combine(_dir, "answers.csv");
        File.WriteAllText(file, csv.ToString());
        var json = Path.Combine(_dir, "answers.json");
        var (code, output, error) = Run("analyze", "ab", "--answers", file, "--bootstrap", "200", "--permutations", "99", "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("per criterion", output, StringComparison.Ordinal);
        Assert.Contains("human - llm-1: neutral share", output, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var scopes = doc.RootElement.GetProperty("scopes").EnumerateArray().ToDictionary(s => s.GetProperty("scope").GetString()!);
        foreach (var (criterion, counts) in expected)
        {
            var c = scopes[criterion].GetProperty("counts");
            Assert.Equal(counts, new[] { c.GetProperty("aligned").GetInt32(), c.GetProperty("base").GetInt32(), c.GetProperty("neutral").GetInt32() });
            var (lo, hi) = Wilson(counts[0], counts[0] + counts[1]);
            Assert.Equal(lo, c.GetProperty("win_rate_lower").GetDouble(), 9);
            Assert.Equal(hi, c.GetProperty("win_rate_upper").GetDouble(), 9);
        }

        var all = doc.RootElement.GetProperty("overall");
        Assert.Equal(48, all.GetProperty("answers").GetInt32());
        var byPrompt = (scopes["overall"].GetProperty("by_prompt_lower").GetDouble(), scopes["overall"].GetProperty("by_prompt_upper").GetDouble());
        Assert.InRange(all.GetProperty("win_rate").GetDouble(), byPrompt.Item1, byPrompt.Item2);
        Assert.Equal(3, doc.RootElement.GetProperty("participants").GetArrayLength());
        Assert.Equal(["human", "llm-1"], doc.RootElement.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("source").GetString()));
        Assert.Equal(4, doc.RootElement.GetProperty("sources")[0].GetProperty("prompts").GetInt32());
    }

    [Fact]
    public void Bad_input_exits_1_naming_the_problem()
    {
        var (code, _, error) = Run("analyze", "ab", "--aligned", "700", "--base", "300");
        Assert.Equal(1, code);
        Assert.Contains("give --aligned, --base and --neutral (all three), or --answers FILE", error, StringComparison.Ordinal);

        var file = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(file, "prompt,participant,criterion,preference\np1,a,safety,aligned\np1,b,safety,maybe\n");
        (code, _, error) = Run("analyze", "ab", "--answers", file);
        Assert.Equal(1, code);
        Assert.Contains("bad.csv:3: column 'preference' (field 4): 'maybe' is not aligned, base, neutral or a number", error, StringComparison.Ordinal);

        (code, _, error) = Run("analyze", "ab", "--answers", file, "--aligned", "1");
        Assert.Equal(1, code);
        Assert.Contains("not both", error, StringComparison.Ordinal);

        File.WriteAllText(file, "prompt,rater,criterion,preference\np1,a,safety,aligned\n");
        (code, _, error) = Run("analyze", "ab", "--answers", file);
        Assert.Equal(1, code);
        Assert.Contains("bad.csv:1: no column 'participant'", error, StringComparison.Ordinal);

        (code, _, error) = Run("analyze", "ab", "--aligned", "-1", "--base", "3", "--neutral", "0");
        Assert.Equal(1, code);
        Assert.Contains("must be 0 or more", error, StringComparison.Ordinal);
    }
}
