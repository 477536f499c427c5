using System.CommandLine;
using Pluralist.Data.Bundles;
using Pluralist.Studies.Imports;

namespace Pluralist.Cli;

/// <summary>
/// <c>pluralist import mid-space|likert|pickapic PATH</c>: published datasets as new studies. Each checks the whole
/// input first (errors name file, line and field) and writes nothing when anything is wrong.
/// </summary>
public static class ImportCommands
{
    /// <summary>The <c>import</c> group.</summary>
    public static Command Create()
    {
        var import = new Command("import", "Import a published dataset as a new study: the LIVS release (MID-Space), DIVE-style Likert ratings, Pick-a-Pic Parquet pairs.");
        import.Subcommands.Add(MidSpace());
        import.Subcommands.Add(Likert());
        import.Subcommands.Add(Pickapic());
        return import;
    }

    private static Argument<string> PathArgument(string description) => new("PATH") { Description = description };

    private static Option<string?> KeyOption(string fallback) =>
        new("--key") { Description = $"The new study's key (default {fallback}; lower-case letters, digits and '-', not digits only)." };

    private static Option<string> LanguageOption() =>
        new("--language") { Description = "Language of the prompts and questions (default en).", DefaultValueFactory = _ => "en" };

    private static Command MidSpace()
    {
        var path = PathArgument("The LIVS release folder (or .zip) holding preferences.csv and the images, or preferences.csv itself.");
        var key = KeyOption(Data.Imports.MidSpaceReader.DefaultKey);
        var language = LanguageOption();
        var command = new Command("mid-space", "Import the LIVS release (MID-Space preferences.csv: pair id, prompt, two image paths, label1..label3 with scores in [-1, 1]) as a pairwise study with anonymous raters.")
        {
            path, key, language,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            var request = new MidSpaceImport.Request(parse.GetValue(path)!, parse.GetValue(key), parse.GetValue(language)!.Trim().ToLowerInvariant());
            var result = await MidSpaceImport.RunAsync(data, options, request, StudyCommands.ImportLimitsFromEnvironment(), Progress(), ct).ConfigureAwait(false);
            Print(result);
            return 0;
        }));
        return command;
    }

    private static Command Likert()
    {
        var path = PathArgument("The ratings CSV (its folder holds the images), or a folder or .zip with ratings.csv.");
        var key = KeyOption(Data.Imports.LikertCsvReader.DefaultKey);
        var language = LanguageOption();
        var consented = new Option<bool>("--markers-consented")
        {
            Description = "The release's raters consented to the publication of their demographic columns (rater_*): import them as identity markers, with a consent record per rater. Without it they are left out.",
        };
        var question = new Option<string?>("--question") { Description = "The question asked, for a file without a question column." };
        var command = new Command("likert", "Import DIVE-style Likert ratings (1..5) with rater demographic columns (the Adversarial Nibbler validation files are one such layout) as a Likert study.")
        {
            path, key, language, consented, question,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            var request = new LikertImport.Request(parse.GetValue(path)!, parse.GetValue(key), parse.GetValue(language)!.Trim().ToLowerInvariant(),
                parse.GetValue(consented), parse.GetValue(question));
            var result = await LikertImport.RunAsync(data, options, request, StudyCommands.ImportLimitsFromEnvironment(), Progress(), ct).ConfigureAwait(false);
            Print(result);
            return 0;
        }));
        return command;
    }

    private static Command Pickapic()
    {
        var path = PathArgument("A .parquet file, a folder of them, or a dataset folder with data/*.parquet (Pick-a-Pic v2 columns: caption, jpg_0, jpg_1, label_0).");
        var key = KeyOption(Data.Imports.PickapicReader.DefaultKey);
        var language = LanguageOption();
        var command = new Command("pickapic", "Import Pick-a-Pic-style Parquet pairs with image bytes as a study with one criterion (preference).")
        {
            path, key, language,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            var request = new PickapicImport.Request(parse.GetValue(path)!, parse.GetValue(key), parse.GetValue(language)!.Trim().ToLowerInvariant());
            var result = await PickapicImport.RunAsync(data, options, request, StudyCommands.ImportLimitsFromEnvironment(), Progress(), ct).ConfigureAwait(false);
            Print(result);
            return 0;
        }));
        return command;
    }

    // Progress on stderr, so that stdout carries the result.
    private static CommandHelpers.Sync<string> Progress() => new(m => Console.Error.WriteLine("import: " + m));

    private static void Print(DatasetImportResult result)
    {
        Console.WriteLine($"imported study {result.Summary.Key}: {StudyImporter.Describe(result.Summary)}");
        foreach (var note in result.Notes)
        {
            Console.WriteLine("note: " + note);
        }
    }
}
