namespace Pluralist.Cli.Tests;

public class StudyQuestionsCommandTests
{
    private static string Survey => Path.Combine(Path.GetDirectoryName(FoundationCommandTests.FindDocs())!, "examples", "aipithet-survey");

    [Fact]
    public void Show_edit_and_load_questions_and_presets()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "study", "import", Survey, "--format", "aipithet", "--data", "d").Code);

        // Shown as a questions file: the LIVS markers the survey asks, and the default Likert lists.
        var (code, output, err) = CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--data", "d");
        Assert.True(code == 0, err);
        Assert.Contains("\"key\": \"age-band\"", output, StringComparison.Ordinal);
        Assert.Contains("\"code\": \"75+\"", output, StringComparison.Ordinal);
        Assert.Contains("\"key\": \"harm-self\"", output, StringComparison.Ordinal);

        // A file that adds a question and keeps the others loads; the study then asks it.
        var edited = output.Replace("\"key\": \"neighbourhood\"", "\"key\": \"district\"", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "q.json"), edited);
        (code, output, err) = CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--file", "q.json", "--data", "d");
        Assert.True(code == 0, err);
        Assert.Contains("asks age-band, gender, disability, ethnicity, languages, district", output, StringComparison.Ordinal);

        // The DIVE preset: the trisection and the harm questions with violation types.
        (code, output, err) = CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--preset", "dive", "--data", "d");
        Assert.True(code == 0, err);
        Assert.Contains("asks gender, age, ethnicity; Likert: 2 questions, 5 categories", output, StringComparison.Ordinal);
        (_, output, _) = CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--data", "d");
        Assert.Contains("\"code\": \"genx-plus\"", output, StringComparison.Ordinal);
        Assert.Contains("\"key\": \"explicit\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_questions_exit_1_with_locations_and_change_nothing()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "study", "import", Survey, "--format", "aipithet", "--data", "d").Code);
        var before = CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--data", "d").Out;
        File.WriteAllText(Path.Combine(dir, "bad.json"), """
            {
              "identityQuestions": [
                {"key": "age", "text": {"en": "Age"}, "kind": "number", "consent": {"en": "Keep"},
                 "bands": [{"code": "a", "min": 18, "max": 40}, {"code": "b", "min": 30}]}
              ],
              "likertCategories": [{"key": "Bias", "text": {"en": "Bias"}}],
              "colour": "blue"
            }
            """);
        var (code, _, err) = CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--file", "bad.json", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("error: bad.json:4 ($.identityQuestions[0].bands[1]): band 'b' overlaps band 'a'", err, StringComparison.Ordinal);
        Assert.Contains("error: bad.json:6 ($.likertCategories[0].key)", err, StringComparison.Ordinal);
        Assert.Contains("error: bad.json:7 ($.colour): unknown property", err, StringComparison.Ordinal);

        (code, _, err) = CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--preset", "dice", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("--preset 'dice' is not one of livs, dive", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--preset", "dive", "--file", "bad.json", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("not both", err, StringComparison.Ordinal);
        Assert.Equal(before, CliRunner.Run(dir, "study", "questions", "aipithet-sv-livs", "--data", "d").Out);
    }
}
