using Pluralist.Core.Model;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imaging;

namespace Pluralist.Data.Imports;

/// <summary>
/// Makes the rows of a dataset import as its second pass first meets them (<see cref="StudyBundle.FirstMet"/>): prompts by
/// text, images by file, pairs by the reader's key, anonymous participants by the dataset's rater id, each once; the importer
/// writes them before the chunk of answers that refers to them, so only a key → id map is kept per row met.
/// </summary>
internal sealed class BundleBuilder(StudyBundle bundle, string language, DateTimeOffset at)
{
    public StudyBundle Bundle => bundle;

    public DateTimeOffset At => at;

    public string Language => language;

    // The second pass of a streamed read: rows are made as first met and written by the importer with the answers
    // that refer to them; these return their ids (temporary until written, see FirstMet).
    public FirstMetRows Met => bundle.FirstMet ??= new();

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
    public long ParticipantId(string rater) => ParticipantId(rater, out _);

    /// <inheritdoc cref="ParticipantId(string)"/>
    public long ParticipantId(string rater, out bool isNew)
    {
        var before = Met.Participants.Count;
        var id = Met.Participants.Id(ImportKey.Of(rater), n => new Participant
        {
            Pseudonym = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bundle.Study.Key}-{n}"),
            PreferredLanguage = language,
            CreatedAt = at,
        });
        isNew = Met.Participants.Count > before;
        return id;
    }
}
