using System.Globalization;
using System.IO.Compression;
using System.Text;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Files;

namespace Pluralist.Data.Bundles;

/// <summary>Writes a <see cref="StudyBundle"/> as a folder or a .zip archive (docs/formats.md).</summary>
public static class BundleWriter
{
    /// <summary>
    /// Writes the bundle to <paramref name="path"/>, which must not exist yet. The files are written
    /// next to it under a temporary name, flushed to disk and moved into place at the end
    /// (<see cref="DurableFile"/>), so a failure leaves nothing behind and a crash leaves no partial bundle.
    /// </summary>
    public static void Write(StudyBundle bundle, string path, bool zip)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var target = Path.GetFullPath(path);
        if (File.Exists(target) || Directory.Exists(target))
        {
            throw new ArgumentException($"{path} already exists; choose a new path");
        }

        var parent = Path.GetDirectoryName(target)!;
        if (zip)
        {
            using var staged = DurableFile.Stage(parent);
            using (var archive = new ZipArchive(staged.Stream, ZipArchiveMode.Create, leaveOpen: true))
            {
                WriteFiles(bundle, name => archive.CreateEntry(name, CompressionLevel.Optimal).Open());
            }

            staged.Commit(target, overwrite: false);
            return;
        }

        DurableFile.CreateFolder(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(temp);
            WriteFiles(bundle, name =>
            {
                var file = Path.Combine(temp, name);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                return File.Create(file);
            });
            DurableFile.PublishFolder(temp, target);
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            throw;
        }
    }

    private static void WriteFiles(StudyBundle b, Func<string, Stream> create)
    {
        using (var s = create(BundleFormat.StudyJson))
        {
            s.Write(StudyJsonFormat.Write(b.Study, b.Scenarios, b.IdentityCodings));
        }

        var pseudonyms = b.Participants.ToDictionary(p => p.Id, p => p.Pseudonym);
        var files = new Dictionary<long, string>();
        foreach (var image in b.Images)
        {
            if (b.ImageFiles.TryGetValue(image.Id, out var source))
            {
                var ext = Path.GetExtension(source);
                var name = $"{BundleFormat.ImagesFolder}/{image.Id.ToString(CultureInfo.InvariantCulture)}{(string.IsNullOrEmpty(ext) ? ".png" : ext.ToLowerInvariant())}";
                using (var output = create(name))
                using (var input = b.Source is { } src ? src.Open(source) : File.OpenRead(source))
                {
                    input.CopyTo(output);
                }

                files[image.Id] = name;
            }
        }

        Csv(create, BundleFormat.PromptsCsv, BundleFormat.PromptColumns, b.Prompts, p =>
        [
            Id(p.Id), p.Text, p.Language, p.Source.ToToken(), Id(p.ParentPromptId), Id(p.ScenarioId), p.ExternalId, CsvWriter.Format(p.CreatedAt),
        ]);
        Csv(create, BundleFormat.ImagesCsv, BundleFormat.ImageColumns, b.Images, i =>
        [
            Id(i.Id), Id(i.PromptId), i.Generator, Id(i.Seed), CsvWriter.Format(i.Guidance), Id(i.Steps), Id(i.Width), Id(i.Height),
            i.ContentHash, files.GetValueOrDefault(i.Id), files.ContainsKey(i.Id) ? null : i.StoragePath,
            BundleFormat.FormatFlags(i.Flags), i.ExternalId, CsvWriter.Format(i.CreatedAt), i.Parameters,
        ]);
        Csv(create, BundleFormat.PairsCsv, BundleFormat.PairColumns, b.Pairs, p =>
        [
            Id(p.Id), Id(p.Image0Id), Id(p.Image1Id), p.Kind.ToToken(), Id(p.BatchId), CsvWriter.Format(p.ExpectedPreference),
            p.ExternalId, CsvWriter.Format(p.CreatedAt),
        ]);

        // participants.csv: per identity marker of the study its raw answer and, beside it, the analysis group it counts in
        // (IdentityGroupCoder with the bundle's coding table: the same group quotas and analyses use), filled only where
        // consented (the exporter filtered the answers).
        var markers = b.IdentityAnswers.ToLookup(a => a.ParticipantId);
        var coding = new IdentityCodingTable(b.IdentityCodings);
        Csv(create, BundleFormat.ParticipantsCsv,
            [.. BundleFormat.ParticipantColumns, .. b.Study.IdentityMarkers.SelectMany(m => new[] { m, BundleFormat.GroupColumn(m) })], b.Participants, p =>
        [
            p.Pseudonym, p.PreferredLanguage, CsvWriter.Format(p.CreatedAt), CsvWriter.Format(p.WithdrawnAt),
            .. b.Study.IdentityMarkers.SelectMany(m => markers[p.Id].FirstOrDefault(a => a.Marker == m) is { } a
                ? new[] { a.PreferNotToSay ? BundleFormat.PreferNotToSay : a.Value, IdentityGroupCoder.Code(b.Study, a, coding) }
                : [null, null]),
        ]);
        Csv(create, BundleFormat.ConsentsCsv, BundleFormat.ConsentColumns, b.Consents, c =>
        [
            pseudonyms[c.ParticipantId], c.DocumentVersion, c.Language, CsvWriter.Format(c.ConsentedAt), CsvWriter.Format(c.WithdrawnAt),
            string.Join(';', c.MarkerConsents.Where(kv => kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal)),
            string.Join(';', c.MarkerConsents.Where(kv => !kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal)),
        ]);
        Csv(create, BundleFormat.AssignmentsCsv, BundleFormat.AssignmentColumns, b.Assignments, a =>
        [
            Id(a.Id), pseudonyms[a.ParticipantId], Id(a.PairId), Id(a.BatchId), string.Join(';', a.CriteriaShown),
            BundleFormat.Side(a.Image0OnLeft), a.Language, CsvWriter.Format(a.ServedAt),
        ]);

        // annotations.csv in long form: one row per shown criterion.
        var sides = b.Assignments.ToDictionary(a => a.Id, a => a.Image0OnLeft);
        Csv(create, BundleFormat.AnnotationsCsv, BundleFormat.AnnotationColumns,
            b.Annotations.SelectMany(a => a.Scores.Select(s => (a, s))), x =>
            [
                Id(x.a.Id), Id(x.a.AssignmentId), pseudonyms[x.a.ParticipantId], Id(x.a.PairId), x.s.CriterionKey, Id(x.s.Position),
                CsvWriter.Format(x.s.Score), BundleFormat.Side(sides[x.a.AssignmentId]),
                CsvWriter.Format(AnnotationScore.Orient(x.s.Score, sides[x.a.AssignmentId])), x.a.Comment,
                Id(x.a.ClientDurationMs), Id(x.a.ServerDurationMs), x.a.ClientRequestId, x.a.Language, CsvWriter.Format(x.a.SubmittedAt),
                Id(x.a.SliderSteps),
            ]);
        Csv(create, BundleFormat.ReportsCsv, BundleFormat.ReportColumns, b.Reports, r =>
        [
            Id(r.Id), Id(r.ImageId), pseudonyms[r.ParticipantId], Id(r.AssignmentId), r.Reason.ToToken(), r.Comment, CsvWriter.Format(r.ReportedAt),
        ]);

        // ratings.csv carries the rater's identity markers as participants.csv does (consented ones only, the exporter
        // filtered them), each with the analysis group it counts in beside it, so ratings can be grouped without a join;
        // a marker named like a ratings column is left to participants.csv. Readers ignore these columns: participants.csv
        // is the source on import. Each rater's values are worked out once, not per rating.
        var ratingMarkers = b.Study.IdentityMarkers.Where(m => !BundleFormat.RatingColumns.Contains(m, StringComparer.Ordinal)).ToList();
        var raterColumns = new Dictionary<long, string?[]>();
        string?[] RaterColumns(long participantId)
        {
            if (!raterColumns.TryGetValue(participantId, out var values))
            {
                values = [.. ratingMarkers.SelectMany(m => markers[participantId].FirstOrDefault(a => a.Marker == m) is { } a
                    ? new[] { a.PreferNotToSay ? BundleFormat.PreferNotToSay : a.Value, IdentityGroupCoder.Code(b.Study, a, coding) }
                    : [null, null])];
                raterColumns[participantId] = values;
            }

            return values;
        }

        Csv(create, BundleFormat.RatingsCsv, [.. BundleFormat.RatingColumns, .. ratingMarkers.SelectMany(m => new[] { m, BundleFormat.GroupColumn(m) })], b.Ratings, r =>
        [
            Id(r.Id), pseudonyms[r.ParticipantId], Id(r.ImageId), r.QuestionKey, Id(r.Value), string.Join(';', r.SelectedCategories),
            r.ClientRequestId, Id(r.ClientDurationMs), Id(r.ServerDurationMs), r.Language, CsvWriter.Format(r.ServedAt), CsvWriter.Format(r.SubmittedAt),
            .. RaterColumns(r.ParticipantId),
        ]);
    }

    private static void Csv<T>(Func<string, Stream> create, string name, IEnumerable<string> header, IEnumerable<T> rows, Func<T, string?[]> row)
    {
        using var stream = create(name);
        using var text = new StreamWriter(stream, new UTF8Encoding(false));
        var csv = new CsvWriter(text);
        csv.WriteRow(header);
        foreach (var r in rows)
        {
            csv.WriteRow(row(r));
        }
    }

    private static string? Id(long? id) => id?.ToString(CultureInfo.InvariantCulture);
}
