using Pluralist.Core.Model;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imaging;

namespace Pluralist.Data.Imports;

/// <summary>
/// Builds the <see cref="StudyBundle"/> of a dataset import: prompts by text, images by file, anonymous
/// participants by the dataset's rater id, each added once with bundle-local ids (1..n).
/// </summary>
internal sealed class BundleBuilder(StudyBundle bundle, string language, DateTimeOffset at)
{
    private readonly Dictionary<string, Prompt> _prompts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Image> _images = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Participant> _participants = new(StringComparer.Ordinal);

    public StudyBundle Bundle => bundle;

    public DateTimeOffset At => at;

    public string Language => language;

    public Prompt Prompt(string text, string? externalId = null)
    {
        if (!_prompts.TryGetValue(text, out var prompt))
        {
            prompt = new Prompt { Id = bundle.Prompts.Count + 1, Text = text, Language = language, Source = PromptSource.Human, ExternalId = externalId, CreatedAt = at };
            _prompts[text] = prompt;
            bundle.Prompts.Add(prompt);
        }

        return prompt;
    }

    /// <summary>The image stored from <paramref name="file"/> (a path in the bundle source); the first prompt that names it owns it.</summary>
    public Image Image(string file, Prompt prompt, ImageFacts facts, string generator, string? externalId = null)
    {
        if (!_images.TryGetValue(file, out var image))
        {
            image = new Image
            {
                Id = bundle.Images.Count + 1,
                PromptId = prompt.Id,
                Generator = generator,
                Width = facts.Width,
                Height = facts.Height,
                ExternalId = externalId ?? file,
                CreatedAt = at,
            };
            _images[file] = image;
            bundle.Images.Add(image);
            bundle.ImageFiles[image.Id] = file;
            bundle.CheckedImages[image.Id] = facts;
        }

        return image;
    }

    /// <summary>The participant for the dataset's rater <paramref name="rater"/>; pseudonyms are <c>{study key}-{n}</c>, numbered in order of appearance.</summary>
    public Participant Participant(string rater, out bool isNew)
    {
        isNew = !_participants.TryGetValue(rater, out var participant);
        if (participant is null)
        {
            participant = new Participant
            {
                Id = bundle.Participants.Count + 1,
                Pseudonym = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bundle.Study.Key}-{bundle.Participants.Count + 1}"),
                PreferredLanguage = language,
                CreatedAt = at,
            };
            _participants[rater] = participant;
            bundle.Participants.Add(participant);
        }

        return participant;
    }

    // The second pass of a streamed read: rows are made as first met and written by the importer with the answers
    // that refer to them; these return their ids (temporary until written, see FirstMet).
    private FirstMetRows Met => bundle.FirstMet ??= new();

    /// <summary>The id of the prompt <paramref name="text"/>, made when first met.</summary>
    public long PromptId(string text, string? externalId = null) => Met.Prompts.Id(ImportKey.Of(text), _ =>
        new Prompt { Text = text, Language = language, Source = PromptSource.Human, ExternalId = externalId, CreatedAt = at });

    /// <summary>The id of the image stored from <paramref name="file"/>; the first prompt that names it owns it.</summary>
    public long ImageId(string file, long promptId, ImageFacts facts, string generator, string? externalId = null) => Met.Images.Id(ImportKey.Of(file), _ =>
        new FirstMetImage(new Image { PromptId = promptId, Generator = generator, Width = facts.Width, Height = facts.Height, ExternalId = externalId ?? file, CreatedAt = at }, file, facts));

    /// <summary>The id of the pair with <paramref name="key"/>, made from its two images when first met.</summary>
    public long PairId(UInt128 key, long image0, long image1, string? externalId) => Met.Pairs.Id(key, _ =>
        new Pair { Image0Id = image0, Image1Id = image1, ExternalId = externalId, CreatedAt = at });

    /// <summary>The id of the participant for the dataset's rater <paramref name="rater"/>; pseudonyms are <c>{study key}-{n}</c>, numbered in order of appearance.</summary>
    public long ParticipantId(string rater) => Met.Participants.Id(ImportKey.Of(rater), n => new Participant
    {
        Pseudonym = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bundle.Study.Key}-{n}"),
        PreferredLanguage = language,
        CreatedAt = at,
    });
}
