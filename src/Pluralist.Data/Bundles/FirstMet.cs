using Pluralist.Core.Model;
using Pluralist.Data.Imaging;

namespace Pluralist.Data.Bundles;

/// <summary>
/// The rows of one table that a streamed read meets for the first time while the importer writes its answers
/// (<see cref="StudyBundle.Streamed"/>): the read asks for the id of a row by a 128-bit key (<see cref="Imports.ImportKey"/>)
/// and gets its database id when it was written already, or a temporary negative id and a new row that the importer writes
/// before the chunk of answers that refers to it. What stays between chunks is only the key → database id map (about 40
/// bytes a row), never the rows, so that memory does not grow with a release's participants or pairs.
/// </summary>
internal sealed class FirstMet<T>
    where T : class
{
    private readonly Dictionary<UInt128, long> _ids = [];
    private readonly List<(UInt128 Key, T Row)> _new = [];

    /// <summary>Rows met so far, written or not.</summary>
    public int Count => _ids.Count;

    /// <summary>The rows met since the last <see cref="Written"/>, in the order they were met.</summary>
    public IEnumerable<T> New => _new.Select(x => x.Row);

    public int NewCount => _new.Count;

    /// <summary>The id of the row with <paramref name="key"/>; when it is new, <paramref name="create"/> makes it (given its number, 1..n in order of meeting).</summary>
    public long Id(UInt128 key, Func<int, T> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (!_ids.TryGetValue(key, out var id))
        {
            var row = create(_ids.Count + 1);
            _new.Add((key, row));
            id = -_new.Count;
            _ids[key] = id;
        }

        return id;
    }

    /// <summary>The database id for an id this gave out: a temporary one is mapped through the new row's id (set when it was written).</summary>
    public long Resolve(long id, Func<T, long> idOf) => id < 0 ? idOf(_new[(int)(-id) - 1].Row) : id;

    /// <summary>The new rows were written and every reference to them resolved: keep only their database ids.</summary>
    public void Written(Func<T, long> idOf)
    {
        ArgumentNullException.ThrowIfNull(idOf);
        foreach (var (key, row) in _new)
        {
            _ids[key] = idOf(row);
        }

        _new.Clear();
        if (_new.Capacity > 4096)
        {
            _new.Capacity = 4096;
        }
    }
}

/// <summary>An image met first in the second pass, with the file it is stored from and what the first pass found in it.</summary>
internal sealed record FirstMetImage(Image Image, string File, ImageFacts Facts);

/// <summary>The prompts, images, pairs and participants of a streamed dataset import, written as they are first met.</summary>
internal sealed class FirstMetRows
{
    public FirstMet<Prompt> Prompts { get; } = new();

    public FirstMet<FirstMetImage> Images { get; } = new();

    public FirstMet<Pair> Pairs { get; } = new();

    public FirstMet<Participant> Participants { get; } = new();

    /// <summary>Consent records and identity answers of the participants met since the last <see cref="Written"/> (participant ids as <see cref="Participants"/> gave them).</summary>
    public List<ConsentRecord> Consents { get; } = [];

    public List<IdentityAnswer> IdentityAnswers { get; } = [];

    public long Prompt(long id) => Prompts.Resolve(id, p => p.Id);

    public long Image(long id) => Images.Resolve(id, i => i.Image.Id);

    public long Pair(long id) => Pairs.Resolve(id, p => p.Id);

    public long Participant(long id) => Participants.Resolve(id, p => p.Id);

    public void Written()
    {
        Prompts.Written(p => p.Id);
        Images.Written(i => i.Image.Id);
        Pairs.Written(p => p.Id);
        Participants.Written(p => p.Id);
        Consents.Clear();
        IdentityAnswers.Clear();
    }
}
