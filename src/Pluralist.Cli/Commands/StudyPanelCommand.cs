using System.CommandLine;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies;
using Pluralist.Studies.Recruitment;

namespace Pluralist.Cli;

/// <summary>
/// <c>pluralist study panel STUDY [--participant-param NAME [--param NAME]… [--code OUTCOME=CODE]… [--redirect OUTCOME=URL]… | --off]</c>:
/// show or set entry from a recruitment panel.
/// </summary>
public static class StudyPanelCommand
{
    public static Command Create()
    {
        var study = new Argument<string>("STUDY") { Description = "The study's key or id." };
        var participant = new Option<string?>("--participant-param") { Description = "The query parameter that carries the participant's panel id (Prolific: PROLIFIC_PID; MTurk: workerId). Turns panel entry on; the settings given replace the old ones." };
        var other = new Option<string[]>("--param") { Description = "A further query parameter to record with each entry (Prolific: STUDY_ID, SESSION_ID); repeatable; each is required in the entry URL." };
        var code = new Option<string[]>("--code") { Description = "OUTCOME=CODE: the completion code shown for an outcome (completed, screened-out, withdrawn, no-work); repeatable." };
        var redirect = new Option<string[]>("--redirect") { Description = "OUTCOME=URL: the absolute http(s) URL the participant is sent back to for an outcome; repeatable." };
        var off = new Option<bool>("--off") { Description = "Turn panel entry off (invitation codes only)." };
        var command = new Command("panel", "Show a study's recruitment-panel entry (the entry URL, its parameters and what each outcome gives back), or set it. Checked first; on any problem nothing changes.")
        {
            study, participant, other, code, redirect, off,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (_, options) = CliContext.Resolve(parse);
            var name = parse.GetValue(participant);
            var others = parse.GetValue(other) ?? [];
            var codes = parse.GetValue(code) ?? [];
            var redirects = parse.GetValue(redirect) ?? [];
            var turnOff = parse.GetValue(off);
            if (turnOff && (name is not null || others.Length + codes.Length + redirects.Length > 0))
            {
                throw new CliInputException("--off takes no other panel option");
            }

            if (name is null && !turnOff && others.Length + codes.Length + redirects.Length > 0)
            {
                throw new CliInputException("--participant-param is required with --param, --code and --redirect (the settings given replace the old ones)");
            }

            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var key = parse.GetValue(study)!;
            Study result;
            if (turnOff)
            {
                result = await StudyRecruitment.SetPanelAsync(db, key, null, null, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
            }
            else if (name is not null)
            {
                var panel = new PanelSettings { ParticipantParameter = name, OtherParameters = [.. others] };
                foreach (var (outcome, value) in Pairs("--code", codes))
                {
                    Exit(panel, outcome).Code = value;
                }

                foreach (var (outcome, value) in Pairs("--redirect", redirects))
                {
                    Exit(panel, outcome).RedirectUrl = value;
                }

                result = await StudyRecruitment.SetPanelAsync(db, key, panel, null, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
            }
            else
            {
                result = await StudyLookup.FindStudyAsync(db, key, ct).ConfigureAwait(false);
            }

            Describe(result);
            return 0;
        }));
        return command;
    }

    private static PanelExit Exit(PanelSettings panel, PanelOutcome outcome)
    {
        if (!panel.Exits.TryGetValue(outcome, out var exit))
        {
            exit = new PanelExit();
            panel.Exits[outcome] = exit;
        }

        return exit;
    }

    private static IEnumerable<(PanelOutcome Outcome, string Value)> Pairs(string option, IEnumerable<string> values)
    {
        var seen = new HashSet<PanelOutcome>();
        foreach (var v in values)
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !PanelSettings.TryParseOutcome(v[..eq].Trim(), out var outcome))
            {
                throw new CliInputException($"{option} '{v}': expected OUTCOME=VALUE with OUTCOME one of completed, screened-out, withdrawn, no-work");
            }

            if (!seen.Add(outcome))
            {
                throw new CliInputException($"{option}: outcome '{PanelSettings.OutcomeToken(outcome)}' is given twice");
            }

            yield return (outcome, v[(eq + 1)..].Trim());
        }
    }

    private static void Describe(Study study)
    {
        if (study.Panel is not { } panel)
        {
            Console.WriteLine($"study {study.Key}: no panel entry (invitation codes only)");
            return;
        }

        var query = string.Join("&", panel.Parameters.Select(p => $"{p}={{{p}}}"));
        Console.WriteLine($"study {study.Key}: panel entry at /panel/{study.Key}?{query}");
        Console.WriteLine($"participant id: {panel.ParticipantParameter}; also recorded: {(panel.OtherParameters.Count == 0 ? "nothing" : string.Join(", ", panel.OtherParameters))}");
        foreach (var outcome in Enum.GetValues<PanelOutcome>())
        {
            var exit = panel.ExitFor(outcome);
            var what = exit is null ? "the app's message, no code"
                : string.Join(", ", new[] { exit.Code is null ? null : $"code {exit.Code}", exit.RedirectUrl is null ? null : $"redirect to {exit.RedirectUrl}" }.OfType<string>());
            Console.WriteLine($"{PanelSettings.OutcomeToken(outcome)}: {what}");
        }
    }
}
