using System.CommandLine;
using Pluralist.Data;
using Pluralist.Studies;
using Pluralist.Studies.Identity;

namespace Pluralist.Cli;

/// <summary><c>pluralist study questions STUDY [--preset livs|dive | --file PATH]</c>: show or replace a study's questions.</summary>
public static class StudyQuestionsCommand
{
    public static Command Create()
    {
        var study = new Argument<string>("STUDY") { Description = "The study's key or id." };
        var preset = new Option<string?>("--preset") { Description = "Ask a preset's identity questions and use its Likert lists: livs (LIVS's six markers) or dive (gender x age group x ethnicity; harm questions and violation types)." };
        var file = new Option<string?>("--file") { Description = "A questions file (JSON with identityQuestions, likertQuestions and/or likertCategories; docs/formats.md). Lists it does not name are left as they are." };
        var command = new Command("questions", "Show a study's identity and Likert questions as a questions file, or replace them from a preset or a file. The questions are checked first; on any problem nothing changes.") { study, preset, file };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (_, options) = CliContext.Resolve(parse);
            var name = parse.GetValue(preset);
            var path = parse.GetValue(file);
            if (name is not null && path is not null)
            {
                throw new CliInputException("give --preset or --file, not both");
            }

            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var key = parse.GetValue(study)!;
            if (name is null && path is null)
            {
                await using var stdout = Console.OpenStandardOutput();
                await stdout.WriteAsync(await StudyQuestions.DescribeAsync(db, key, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                return 0;
            }

            var change = name is not null ? StudyQuestions.Preset(name) : StudyQuestions.FromFile(path!);
            var applied = await StudyQuestions.ApplyAsync(db, key, change, null, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
            Console.WriteLine($"study {applied.StudyKey} asks {(applied.Markers.Count == 0 ? "no identity questions" : string.Join(", ", applied.Markers))}; " +
                $"Likert: {applied.LikertQuestions} questions, {applied.LikertCategories} categories (0: the defaults)");
            return 0;
        }));
        return command;
    }
}
