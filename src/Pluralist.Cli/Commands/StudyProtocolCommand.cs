using System.CommandLine;
using System.Text;
using Pluralist.Data;
using Pluralist.Studies;
using Pluralist.Studies.Recruitment;

namespace Pluralist.Cli;

/// <summary><c>pluralist study protocol STUDY [--en FILE] [--fr FILE] [--contact TEXT]</c>: show or set the protocol page's text and contact.</summary>
public static class StudyProtocolCommand
{
    private static readonly string[] Languages = ["en", "fr"];

    public static Command Create()
    {
        var study = new Argument<string>("STUDY") { Description = "The study's key or id." };
        var en = new Option<string?>("--en") { Description = "A UTF-8 text file: the protocol page in English (an empty file restores the app's default text)." };
        var fr = new Option<string?>("--fr") { Description = "A UTF-8 text file: the protocol page in French (an empty file restores the app's default text)." };
        var contact = new Option<string?>("--contact") { Description = "Who participants can write to (a name and an e-mail address or telephone number); shown on the protocol page." };
        var command = new Command("protocol", "Show a study's protocol page text and contact, or set them. Checked first; on any problem nothing changes.") { study, en, fr, contact };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (_, options) = CliContext.Resolve(parse);
            var texts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (lang, option) in new[] { ("en", en), ("fr", fr) })
            {
                if (parse.GetValue(option) is { } path)
                {
                    texts[lang] = await ReadTextAsync(path, option.Name, ct).ConfigureAwait(false);
                }
            }

            var newContact = parse.GetValue(contact);
            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var key = parse.GetValue(study)!;
            var result = texts.Count == 0 && newContact is null
                ? await StudyLookup.FindStudyAsync(db, key, ct).ConfigureAwait(false)
                : await StudyRecruitment.SetProtocolAsync(db, key, texts, newContact, null, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
            Console.WriteLine($"study {result.Key}: contact {(result.Contact.Length == 0 ? "(none)" : result.Contact)}");
            foreach (var lang in Languages)
            {
                var text = result.Protocol[lang];
                Console.WriteLine(text.Length == 0 ? $"protocol ({lang}): the app's default text" : $"protocol ({lang}):\n{text}");
            }

            return 0;
        }));
        return command;
    }

    private static async Task<string> ReadTextAsync(string path, string option, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            throw new CliInputException($"{option} {path}: no such file");
        }

        if (new FileInfo(path).Length > StudyRecruitment.MaxProtocolLength * 4L)
        {
            throw new CliInputException($"{path}: larger than a protocol text can be ({StudyRecruitment.MaxProtocolLength} characters)");
        }

        try
        {
            return await File.ReadAllTextAsync(path, new UTF8Encoding(false, throwOnInvalidBytes: true), ct).ConfigureAwait(false);
        }
        catch (DecoderFallbackException)
        {
            throw new CliInputException($"{path}: not UTF-8 text");
        }
    }
}
