namespace Pluralist.Data.Imports;

/// <summary>
/// The bytes one import has inflated or read, per file and in all, against its <see cref="ImportLimits"/>.
/// A file read twice (checked, then stored) counts once, at its largest.
/// </summary>
public sealed class ImportBudget(ImportLimits limits)
{
    private readonly Dictionary<string, long> _perFile = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _total;

    public ImportLimits Limits { get; } = limits ?? throw new ArgumentNullException(nameof(limits));

    /// <summary>Wraps <paramref name="inner"/> so that reading it past a limit throws <see cref="ImportFileException"/>.</summary>
    /// <param name="inner">The inflating or file stream.</param>
    /// <param name="name">The file as messages name it.</param>
    /// <param name="compressedLength">Its size in the archive, or -1 when it is not compressed.</param>
    public Stream Guard(Stream inner, string name, long compressedLength) => new GuardedStream(inner, name, compressedLength, this);

    private void Count(string name, long readSoFar, long compressedLength)
    {
        if (readSoFar > Limits.MaxEntryBytes)
        {
            throw new ImportFileException(name, $"{name} is larger than {ImportLimits.Size(Limits.MaxEntryBytes)} once inflated, the limit for one file ({ImportLimits.Section}:{nameof(ImportLimits.MaxEntryBytes)})");
        }

        if (compressedLength >= 0 && readSoFar > ImportLimits.RatioFloorBytes && readSoFar > Limits.MaxCompressionRatio * Math.Max(1, compressedLength))
        {
            throw new ImportFileException(name, $"{name} inflates to more than {Limits.MaxCompressionRatio:0.#} times its compressed size of {ImportLimits.Size(compressedLength)}, as a zip bomb does ({ImportLimits.Section}:{nameof(ImportLimits.MaxCompressionRatio)})");
        }

        lock (_lock)
        {
            var before = _perFile.GetValueOrDefault(name);
            if (readSoFar <= before)
            {
                return;
            }

            _perFile[name] = readSoFar;
            _total += readSoFar - before;
            if (_total > Limits.MaxTotalBytes)
            {
                throw new ImportFileException(name, $"reading {name} takes the import past {ImportLimits.Size(Limits.MaxTotalBytes)} of inflated files, the limit for one import ({ImportLimits.Section}:{nameof(ImportLimits.MaxTotalBytes)})");
            }
        }
    }

    private sealed class GuardedStream(Stream inner, string name, long compressedLength, ImportBudget budget) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            try
            {
                n = inner.Read(buffer);
            }
            catch (InvalidDataException ex)
            {
                throw new ImportFileException(name, $"{name} is damaged in the archive: {ex.Message}");
            }

            // Rereading after a seek back counts only past the furthest point already read.
            var end = inner.CanSeek ? inner.Position : _read + n;
            if (end > _read)
            {
                _read = end;
                budget.Count(name, _read, compressedLength);
            }

            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
