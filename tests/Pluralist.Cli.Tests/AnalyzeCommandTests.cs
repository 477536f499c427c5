using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pluralist.Cli.Tests;

public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pluralist-analyze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = PluralistCommand.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Krippendorff (2011)'s 4 coders x 12 units reliability data, long form; missing cells are left out or empty.</summary>
    private string KrippendorffCsv()
    {
        double?[][] data =
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
            [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
        ];
        var csv = new StringBuilder("unit,coder,score\n");
        for (var c = 0; c < 4; c++)
        {
            for (var u = 0; u < 12; u++)
            {
                csv.Append(CultureInfo.InvariantCulture, $"u{u + 1},{"ABCD"[c]},{data[c][u]}\n");
            }
        }

        return Write("reliability.csv", csv.ToString());
    }

    [Theory]
    [InlineData("nominal", "0.743")]
    [InlineData("ordinal", "0.815")]
    [InlineData("interval", "0.849")]
    [InlineData("ratio", "0.797")]
    public void Agreement_prints_alpha_of_the_worked_example(string level, string alpha)
    {
        var (code, output, error) = Run("analyze", "agreement", "--ratings", KrippendorffCsv(), "--item", "unit", "--rater", "coder", "--value", "score", "--level", level);
        Assert.True(code == 0, error);
        Assert.Contains($"alpha ({level}) {alpha}", output, StringComparison.Ordinal);
        Assert.Contains("items 12  raters 4  ratings 41", output, StringComparison.Ordinal);
    }

    private string GroupedCsv(bool oneMemberGroup = false)
    {
        var rng = new Random(5);
        var csv = new StringBuilder("item,rater,score,gender,age\n");
        for (var r = 0; r < 16; r++)
        {
            var gender = oneMemberGroup && r == 0 ? "other" : r < 6 ? "woman" : "man";
            var age = r % 2 == 0 ? "young" : "old";
            for (var u = 0; u < 12; u++)
            {
                var score = Math.Clamp(((u * 7) % 5) + 1 + (gender == "woman" ? (u % 3) - 1 : 0) + rng.Next(-1, 2), 1, 5);
                csv.Append(CultureInfo.InvariantCulture, $"i{u},r{r},{score},{gender},{age}\n");
            }
        }

        return Write("grouped.csv", csv.ToString());
    }

    [Fact]
    public void Agreement_with_groups_prints_table_and_writes_json()
    {
        var json = Path.Combine(_dir, "out.json");
        var (code, output, error) = Run("analyze", "agreement", "--ratings", GroupedCsv(), "--item", "item", "--rater", "rater", "--value", "score",
            "--level", "ordinal", "--group-by", "gender,age", "--permutations", "99", "--seed", "3", "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("axis", output, StringComparison.Ordinal);
        Assert.Contains("gender×age", output, StringComparison.Ordinal);
        Assert.Contains("dsi (largest GAI per axis): gender ", output, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(12, root.GetProperty("items").GetInt32());
        Assert.Equal(16, root.GetProperty("raters").GetInt32());
        Assert.Equal(192, root.GetProperty("ratings").GetInt32());
        Assert.InRange(root.GetProperty("alpha").GetDouble(), -1, 1);
        var groups = root.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(8, groups.Count); // 2 genders + 2 ages + 4 intersections
        var woman = groups.Single(g => g.GetProperty("axis").GetString() == "gender" && g.GetProperty("group").GetString() == "woman");
        Assert.Equal(6, woman.GetProperty("raters").GetInt32());
        Assert.Equal(woman.GetProperty("irr").GetDouble() / woman.GetProperty("xrr").GetDouble(), woman.GetProperty("gai").GetDouble(), 10);
        Assert.InRange(woman.GetProperty("p_gai").GetDouble(), 0.01, 1);
        Assert.True(woman.GetProperty("q_gai").GetDouble() >= woman.GetProperty("p_gai").GetDouble());
        var dsi = root.GetProperty("dsi");
        Assert.Equal(groups.Where(g => g.GetProperty("axis").GetString() == "gender").Max(g => g.GetProperty("gai").GetDouble()), dsi.GetProperty("gender").GetDouble(), 12);
        Assert.True(dsi.TryGetProperty("gender×age", out _));
    }

    [Fact]
    public void Xrr_reproduces_the_reference_vector_with_text_categories()
    {
        static string Pool(string name, (int A, int B)[] counts)
        {
            var csv = new StringBuilder("item,rater,label\n");
            var rater = 0;
            for (var u = 0; u < counts.Length; u++)
            {
                for (var i = 0; i < counts[u].A + counts[u].B; i++)
                {
                    csv.Append(CultureInfo.InvariantCulture, $"{u + 1},{name}{rater++},{(i < counts[u].A ? "A" : "B")}\n");
                }
            }

            return csv.ToString();
        }

        var x = Write("x.csv", Pool("x", [(0, 2), (0, 3), (2, 0), (3, 0), (1, 1), (3, 0), (2, 1)]));
        var y = Write("y.csv", Pool("y", [(0, 2), (1, 1), (1, 1), (1, 1), (2, 0)]));
        var (code, output, error) = Run("analyze", "xrr", "--a", x, "--b", y, "--item", "item", "--rater", "rater", "--value", "label", "--level", "nominal");
        Assert.True(code == 0, error);
        Assert.Contains("xRR (nominal) 0.1818", output, StringComparison.Ordinal);
        Assert.Contains("observed disagreement 0.4091", output, StringComparison.Ordinal);
        Assert.Contains("expected disagreement 0.5000", output, StringComparison.Ordinal);
        Assert.Contains("items in common 5", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_column_names_file_line_and_column()
    {
        var (code, _, error) = Run("analyze", "agreement", "--ratings", KrippendorffCsv(), "--item", "unit", "--rater", "judge", "--value", "score");
        Assert.Equal(1, code);
        Assert.Contains("reliability.csv:1: no column 'judge'", error, StringComparison.Ordinal);
        Assert.Contains("'unit', 'coder', 'score'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_numeric_interval_value_names_file_line_and_column()
    {
        var path = Write("bad.csv", "item,rater,score\ni1,a,1\ni1,b,2\n\"i2\",a,high\n");
        var (code, _, error) = Run("analyze", "agreement", "--ratings", path, "--item", "item", "--rater", "rater", "--value", "score", "--level", "interval");
        Assert.Equal(1, code);
        Assert.Contains("bad.csv:4: column 'score' (field 3): 'high' is not a number", error, StringComparison.Ordinal);

        // The same file is fine as nominal data (labels are categories).
        Assert.Equal(0, Run("analyze", "agreement", "--ratings", path, "--item", "item", "--rater", "rater", "--value", "score", "--level", "nominal").Code);
    }

    [Fact]
    public void Single_rater_is_bad_input()
    {
        var path = Write("one.csv", "item,rater,score\ni1,a,1\ni2,a,2\n");
        var (code, _, error) = Run("analyze", "agreement", "--ratings", path, "--item", "item", "--rater", "rater", "--value", "score");
        Assert.Equal(1, code);
        Assert.Contains("one.csv: agreement needs at least two raters; found 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Group_with_one_member_is_bad_input()
    {
        var (code, _, error) = Run("analyze", "agreement", "--ratings", GroupedCsv(oneMemberGroup: true), "--item", "item", "--rater", "rater", "--value", "score",
            "--group-by", "gender", "--permutations", "10");
        Assert.Equal(1, code);
        Assert.Contains("group 'other' on axis 'gender' has 1 rater", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Group_column_that_changes_within_a_rater_is_bad_input()
    {
        var path = Write("drift.csv", "item,rater,score,gender\ni1,a,1,woman\ni1,b,2,man\ni2,a,2,man\ni2,b,2,man\n");
        var (code, _, error) = Run("analyze", "agreement", "--ratings", path, "--item", "item", "--rater", "rater", "--value", "score", "--group-by", "gender");
        Assert.Equal(1, code);
        Assert.Contains("drift.csv:4: column 'gender' (field 4): rater 'a' has 'man' here but 'woman' on line 2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_file_and_ragged_row_are_bad_input()
    {
        Assert.Equal(1, Run("analyze", "xrr", "--a", Path.Combine(_dir, "absent.csv"), "--b", Path.Combine(_dir, "absent.csv"), "--item", "i", "--rater", "r", "--value", "v").Code);
        var ragged = Write("ragged.csv", "item,rater,score\ni1,a,1\ni1,b\n");
        var (code, _, error) = Run("analyze", "agreement", "--ratings", ragged, "--item", "item", "--rater", "rater", "--value", "score");
        Assert.Equal(1, code);
        Assert.Contains("ragged.csv:3: 2 fields, but the header has 3", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_csv_line_names_file_line_and_column()
    {
        var quoted = Write("quoted.csv", "item,rater,score\ni1,a,1\ni2,\"b,2\ni3,c,3\n");
        var (code, _, error) = Run("analyze", "agreement", "--ratings", quoted, "--item", "item", "--rater", "rater", "--value", "score");
        Assert.Equal(1, code);
        Assert.Contains("error: quoted.csv:3:2: quoted field is not closed", error, StringComparison.Ordinal);

        var stray = Write("stray.csv", "item,rater,score\ni1,a,1\ni2,b\"x,2\n");
        (code, _, error) = Run("analyze", "agreement", "--ratings", stray, "--item", "item", "--rater", "rater", "--value", "score");
        Assert.Equal(1, code);
        Assert.Contains("error: stray.csv:3:2: quote inside an unquoted field", error, StringComparison.Ordinal);

        var path = Path.Combine(_dir, "latin1.csv");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("item,rater,score\ni1,a,1\n"), .. "i2,Ren"u8, 0xE9, .. ",2\n"u8]);
        (code, _, error) = Run("analyze", "agreement", "--ratings", path, "--item", "item", "--rater", "rater", "--value", "score");
        Assert.Equal(1, code);
        Assert.Contains("error: latin1.csv:3: wrong encoding: the file is not valid UTF-8", error, StringComparison.Ordinal);
    }
}
