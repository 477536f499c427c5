namespace Pluralist.Cli.Tests;

public class StudyRecruitmentCommandTests
{
    [Fact]
    public void Panel_settings_are_set_shown_checked_and_turned_off()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init", "--data", "d").Code);
        var (code, output, err) = CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d");
        Assert.True(code == 0, err);
        Assert.Contains("no panel entry", output, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d", "--participant-param", "PROLIFIC_PID", "--param", "STUDY_ID", "--param", "SESSION_ID",
            "--code", "completed=C1ABC", "--redirect", "completed=https://app.prolific.com/submissions/complete?cc=C1ABC", "--code", "screened-out=SCREEN1");
        Assert.True(code == 0, err);
        Assert.Contains("panel entry at /panel/livs-default?PROLIFIC_PID={PROLIFIC_PID}&STUDY_ID={STUDY_ID}&SESSION_ID={SESSION_ID}", output, StringComparison.Ordinal);
        Assert.Contains("completed: code C1ABC, redirect to https://app.prolific.com/submissions/complete?cc=C1ABC", output, StringComparison.Ordinal);
        Assert.Contains("screened-out: code SCREEN1", output, StringComparison.Ordinal);
        Assert.Contains("withdrawn: the app's message, no code", output, StringComparison.Ordinal);
        var shown = CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d").Out;
        Assert.Equal(output, shown);

        // No open redirect, no odd codes or parameter names, no unknown outcome: exit 1, nothing changed.
        (code, _, err) = CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d", "--participant-param", "PROLIFIC_PID", "--redirect", "withdrawn=javascript:alert(1)");
        Assert.Equal(1, code);
        Assert.Contains("error: panel.exits.withdrawn.redirectUrl: 'javascript:alert(1)' is not an absolute http or https URL", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d", "--participant-param", "PID", "--param", "pid", "--code", "completed=<b>");
        Assert.Equal(1, code);
        Assert.Contains("panel.parameters[0]: 'pid' is named twice", err, StringComparison.Ordinal);
        Assert.Contains("panel.exits.completed.code: '<b>' is not a completion code", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d", "--participant-param", "PID", "--code", "done=X");
        Assert.Equal(1, code);
        Assert.Contains("--code 'done=X': expected OUTCOME=VALUE", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d", "--code", "completed=X");
        Assert.Equal(1, code);
        Assert.Contains("--participant-param is required", err, StringComparison.Ordinal);
        Assert.Equal(shown, CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d").Out);

        (code, output, _) = CliRunner.Run(dir, "study", "panel", "livs-default", "--data", "d", "--off");
        Assert.Equal(0, code);
        Assert.Contains("no panel entry", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Protocol_text_and_contact_are_set_from_files_and_checked()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init", "--data", "d").Code);
        File.WriteAllText(Path.Combine(dir, "en.txt"), "Judge the space, not the people.\n\nAbout 20 minutes.\n");
        File.WriteAllText(Path.Combine(dir, "fr.txt"), "Jugez l'espace, pas les personnes.");
        var (code, output, err) = CliRunner.Run(dir, "study", "protocol", "livs-default", "--data", "d", "--en", "en.txt", "--fr", "fr.txt", "--contact", "livs@lab.example");
        Assert.True(code == 0, err);
        Assert.Contains("contact livs@lab.example", output, StringComparison.Ordinal);
        Assert.Contains("protocol (en):\nJudge the space, not the people.\n\nAbout 20 minutes.", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("protocol (fr):\nJugez l'espace", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        // An empty file gives the language back its default text; the other is kept.
        File.WriteAllText(Path.Combine(dir, "empty.txt"), "");
        (code, output, _) = CliRunner.Run(dir, "study", "protocol", "livs-default", "--data", "d", "--en", "empty.txt");
        Assert.Equal(0, code);
        Assert.Contains("protocol (en): the app's default text", output, StringComparison.Ordinal);
        Assert.Contains("Jugez l'espace", output, StringComparison.Ordinal);

        File.WriteAllBytes(Path.Combine(dir, "latin1.txt"), [0x63, 0x61, 0x66, 0xE9]);
        (code, _, err) = CliRunner.Run(dir, "study", "protocol", "livs-default", "--data", "d", "--fr", "latin1.txt");
        Assert.Equal(1, code);
        Assert.Contains("latin1.txt: not UTF-8 text", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "study", "protocol", "livs-default", "--data", "d", "--contact", new string('x', 501));
        Assert.Equal(1, code);
        Assert.Contains("contact: at most 500 characters", err, StringComparison.Ordinal);
        Assert.Contains("Jugez l'espace", CliRunner.Run(dir, "study", "protocol", "livs-default", "--data", "d").Out, StringComparison.Ordinal);
    }
}
