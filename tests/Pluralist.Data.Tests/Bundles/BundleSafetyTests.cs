using System.Diagnostics;
using System.Text;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imports;
using Pluralist.Testing;

namespace Pluralist.Data.Tests.Bundles;

/// <summary>
/// Imports read only regular files inside the bundle, within their limits, and only images that
/// decode (issue 16, findings 4, 5 and 7): each refusal names the file, line and field, and the
/// reader returns nothing, so nothing can be written.
/// </summary>
public sealed class BundleSafetyTests
{
    // images.csv: image 1 is on line 2, its file in column 10.
    private const string FileOfImage1 = "images.csv:2:10 (file): images/1.png";

    [Fact]
    public async Task Links_devices_paths_outside_and_files_that_are_not_images_are_refused_where_they_are_named()
    {
        var folder = await ExportRichAsync();
        var images = Path.Combine(folder, "images");
        File.Delete(Path.Combine(images, "1.png"));
        File.CreateSymbolicLink(Path.Combine(images, "1.png"), "/etc/passwd");
        File.WriteAllText(Path.Combine(images, "2.png"), "root:x:0:0:root:/root:/bin/bash\n");
        File.Delete(Path.Combine(images, "3.png"));
        MakeFifo(Path.Combine(images, "3.png"));
        Edit(folder, "images.csv", lines => lines[4] = lines[4].Replace("images/4.png", "../../etc/hostname", StringComparison.Ordinal));

        var errors = Messages(() => BundleReader.Read(folder));
        Assert.Contains(errors, m => m.StartsWith(FileOfImage1 + " is a symbolic link; an import reads only regular files inside the bundle", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.StartsWith("images.csv:3:10 (file): images/2.png is not a PNG, JPEG or WebP image", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.StartsWith("images.csv:4:10 (file): images/3.png is not a regular file (a device, pipe or socket)", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.StartsWith("images.csv:5:10 (file): ../../etc/hostname is outside the bundle", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, m => m.Contains("root:x", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_linked_csv_or_a_linked_folder_is_refused()
    {
        var folder = await ExportRichAsync();
        File.Delete(Path.Combine(folder, "prompts.csv"));
        File.CreateSymbolicLink(Path.Combine(folder, "prompts.csv"), "/etc/passwd");
        Directory.Move(Path.Combine(folder, "images"), Path.Combine(folder, "elsewhere"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "images"), Path.Combine(folder, "elsewhere"));

        var errors = Messages(() => BundleReader.Read(folder));
        Assert.Contains("prompts.csv: prompts.csv is a symbolic link; an import reads only regular files inside the bundle", errors);
        Assert.Contains(errors, m => m.StartsWith(FileOfImage1 + " is reached through a symbolic link (images)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_image_over_the_pixel_limit_is_refused_from_its_header()
    {
        var folder = await ExportRichAsync();
        File.WriteAllBytes(Path.Combine(folder, "images", "1.png"), ImportBombs.Png(16384, 16384));

        var errors = Messages(() => BundleReader.Read(folder));
        Assert.Contains(errors, m => m.StartsWith(FileOfImage1 + " is 16384×16384 pixels (268.4 megapixels), over the limit of 40 megapixels (Pluralist:Imports:MaxImagePixels); nothing was decoded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Zip_entries_that_are_links_leave_the_archive_or_inflate_too_far_are_named()
    {
        var folder = await ExportRichAsync();
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Where(f => f != "images/1.png")
            .Select(f => (Name: f, Bytes: File.ReadAllBytes(Path.Combine(folder, f)))).ToList();
        var work = RichStudy.TempData().Root;
        Directory.CreateDirectory(work);

        // A link entry and an entry whose name climbs out of the archive: refused before anything is read.
        var links = Path.Combine(work, "links.zip");
        File.WriteAllBytes(links, ImportBombs.Zip([.. files.Select(f => (f.Name, f.Bytes, 0)), ("images/1.png", "/etc/passwd"u8.ToArray(), 0xA1FF), ("../escape.png", RichStudy.Png(4, 4, 1), 0)]));
        var errors = Messages(() => BundleReader.Read(links));
        Assert.Contains("images/1.png: images/1.png is a symbolic link; an import reads only regular files", errors);
        Assert.Contains("../escape.png: ../escape.png leaves the archive's folder ('..'); entries must stay inside the archive", errors);

        // An entry that inflates 1000-fold: stopped while inflating, past 1 MiB, and named on its row.
        var bomb = Path.Combine(work, "bomb.zip");
        File.WriteAllBytes(bomb, ImportBombs.ZipOfZeros(1, 8 << 20, _ => "images/1.png", files));
        errors = Messages(() => BundleReader.Read(bomb));
        Assert.Contains(errors, m => m.StartsWith(FileOfImage1 + " inflates to more than 100 times its compressed size", StringComparison.Ordinal));

        // The same entry, its header saying it is larger than one file may be: refused from the directory.
        errors = Messages(() => BundleReader.Read(bomb, new ImportLimits { MaxEntryBytes = 4 << 20 }));
        Assert.Contains("images/1.png: images/1.png is 8 MiB once inflated, more than the limit of 4 MiB for one file (Pluralist:Imports:MaxEntryBytes)", errors);

        // Entry count, from the end record before .NET reads the directory.
        errors = Messages(() => BundleReader.Read(bomb, new ImportLimits { MaxArchiveEntries = 5 }));
        Assert.Equal([Invariant($"{bomb}: the archive holds {files.Count + 1} entries, more than the limit of 5 (Pluralist:Imports:MaxArchiveEntries)")], errors);

        // All files together: a total limit below the bundle's size stops the read with the file that passed it.
        errors = Messages(() => BundleReader.Read(bomb, new ImportLimits { MaxTotalBytes = 4 << 20, MaxCompressionRatio = 10_000 }));
        Assert.Contains(errors, m => m.Contains("takes the import past 4 MiB of inflated files, the limit for one import (Pluralist:Imports:MaxTotalBytes)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_with_thousands_of_bad_rows_reports_the_first_errors_and_counts_the_rest()
    {
        var folder = await ExportRichAsync();
        var bad = new StringBuilder();
        for (var i = 0; i < 5000; i++)
        {
            bad.Append(Invariant($"{100 + i},A prompt,en,human,,,,not-a-date\n"));
        }

        File.AppendAllText(Path.Combine(folder, "prompts.csv"), bad.ToString());
        var error = Assert.Throws<BundleException>(() => BundleReader.Read(folder));
        Assert.Equal(50, error.Errors.Count);
        Assert.Equal(5000, error.Errors.Count + error.Omitted);
        Assert.StartsWith("prompts.csv:6:8 (created_at): 'not-a-date' is not a date and time", error.Errors[0].ToString(), StringComparison.Ordinal);

        var errors = new ImportErrors(3);
        errors.List.AddRange(error.Errors.Take(5));
        Assert.Equal(["prompts.csv:6:8", "prompts.csv:7:8", "prompts.csv:8:8", "… and 2 more problems (5 in all; the first 3 are listed)"],
            errors.Lines().Select(l => l.Split(' ')[0] == "…" ? l : l.Split(' ')[0]));
    }

    [Fact]
    public async Task An_aipithet_answer_created_but_never_answered_is_imported_as_shown_and_not_answered()
    {
        var folder = Path.Combine(RichStudy.TempData().Root, "survey");
        foreach (var file in Directory.EnumerateFiles(Fixtures.AipithetSurvey, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, Path.GetRelativePath(Fixtures.AipithetSurvey, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        // The platform's schema allows a row with no answer at all: every scoreAnswered false, no times, no answeredAt.
        File.AppendAllText(Path.Combine(folder, "answers.csv"), "\"an-07\",\"pa-02\",\"sv-livs\",\"ch-2\",\"u-103\",,,,false,false,false,,,,,\"2024-04-21T11:03:00.000Z\",,\n");
        await using var tdb = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var db = tdb.CreateContext();
        using var bundle = AipithetReader.Read(folder, key: null, promptLanguage: "en");
        var summary = await StudyImporter.ImportAsync(db, RichStudy.TempData(), bundle, action: "import.aipithet");
        Assert.Equal((7, 5, 14), (summary.Assignments, summary.Annotations, summary.Scores)); // one more assignment, no annotation
    }

    private static async Task<string> ExportRichAsync()
    {
        var data = RichStudy.TempData();
        await using var tdb = await RichStudy.CreateAsync(DatabaseProvider.Sqlite, data);
        var folder = Path.Combine(RichStudy.TempData().Root, "bundle");
        await using var db = tdb.CreateContext();
        using var bundle = await StudyExporter.LoadAsync(db, data, "rich");
        BundleWriter.Write(bundle, folder, zip: false);
        return folder;
    }

    private static List<string> Messages(Func<StudyBundle> read)
    {
        var error = Assert.Throws<BundleException>(() => read().Dispose());
        return [.. error.Errors.Select(e => e.ToString())];
    }

    private static void Edit(string folder, string file, Action<List<string>> edit)
    {
        var path = Path.Combine(folder, file);
        var lines = File.ReadAllText(path).TrimEnd('\n').Split('\n').ToList();
        edit(lines);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    private static string Invariant(FormattableString s) => FormattableString.Invariant(s);

    private static void MakeFifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }
}
