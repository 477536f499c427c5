using System.Text;
using Pluralist.Core.Model;
using Pluralist.Pipeline.Prompts;

namespace Pluralist.Pipeline.Tests.Prompts;

public class PromptImportTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Csv_import_reads_language_source_scenario_and_drops_normalised_duplicates()
    {
        var set = new PromptSet();
        PromptImporter.ImportScenariosCsv(set, Utf8("scenario,name,typology,amenities,location\n1,Library park,park,benches; lighting,Montréal\n"), "scenarios.csv");
        var csv = "text,language,source,scenario,external_id\n"
            + "A park with benches and trees,en,human,1,w1-3\n"
            + "\"Une place publique, avec des bancs\",fr,human,,\n"
            + "a park   with benches and TREES!,en,human,,\n"
            + "A playground at sunset,en,llm-1,,\n";
        var result = PromptImporter.ImportCsv(set, Utf8(csv), "prompts.csv");

        Assert.Equal(3, result.Added.Count);
        var first = set[1];
        Assert.Equal(("A park with benches and trees", "en", PromptSource.Human, (long?)1, "w1-3"), (first.Text, first.Language, first.Source, first.ScenarioId, first.ExternalId));
        Assert.Equal("fr", set[2].Language);
        Assert.Equal(PromptSource.Llm1, set[3].Source);
        var dup = Assert.Single(result.Duplicates);
        Assert.Equal(1, dup.KeptPromptId);
        Assert.Equal("prompts.csv:4", dup.Origin);
        Assert.Equal(["benches", "lighting"], set.Scenarios[0].Amenities);
    }

    [Fact]
    public void Csv_errors_name_file_line_column_and_field_and_nothing_is_added()
    {
        var set = new PromptSet();
        var csv = "text,language,source,scenario\nok prompt,en,human,\n,en,human,\nanother,english,robot,9\n";
        var ex = Assert.Throws<PromptImportException>(() => PromptImporter.ImportCsv(set, Utf8(csv), "prompts.csv"));
        var messages = ex.Errors.Select(e => e.ToString()).ToArray();
        Assert.Contains("prompts.csv:3:1 (text): a value is required", messages);
        Assert.Contains("prompts.csv:4:2 (language): 'english' is not a language tag (e.g. en, fr, fr-CA)", messages);
        Assert.Contains(messages, m => m.StartsWith("prompts.csv:4:3 (source): 'robot' is not a prompt source; expected one of human, scenario, llm-1", StringComparison.Ordinal));
        Assert.Contains("prompts.csv:4:4 (scenario): scenario 9 is not defined (import the scenarios first)", messages);
        Assert.Empty(set.Prompts);
    }

    [Fact]
    public void Missing_column_and_bad_encoding_are_reported()
    {
        var set = new PromptSet();
        var ex = Assert.Throws<PromptImportException>(() => PromptImporter.ImportCsv(set, Utf8("prompt_text\nx\n"), "p.csv"));
        Assert.Equal("p.csv:1 (text): required column is missing", ex.Errors.Single().ToString());
        var bad = Assert.Throws<PromptImportException>(() => PromptImporter.ImportText(set, [0x61, 0x0a, 0x62, 0xff, 0x0a], "p.txt"));
        Assert.Equal("p.txt:2: wrong encoding: the file is not valid UTF-8", bad.Errors.Single().ToString());
    }

    [Fact]
    public void Text_import_skips_blanks_and_comments_and_uses_the_given_language()
    {
        var set = new PromptSet();
        var r = PromptImporter.ImportText(set, Utf8("# workshop 2\nUn parc avec des arbres\r\n\n  Une ruelle verte  \n"), "fr.txt", new PromptImportOptions { Language = "fr" });
        Assert.Equal(["Un parc avec des arbres", "Une ruelle verte"], r.Added.Select(p => p.Text));
        Assert.All(r.Added, p => Assert.Equal("fr", p.Language));
    }

    [Theory]
    [InlineData("A park, with trees!", "a park with trees")]
    [InlineData("  CAFÉ\tterrace ", "café terrace")]
    [InlineData("ﬁeld", "field")] // NFKC folds the ligature
    public void Normalisation_is_case_punctuation_and_space_insensitive(string text, string key) =>
        Assert.Equal(key, PromptText.Normalize(text));

    [Fact]
    public void Save_writes_bundle_prompts_provenance_and_scenarios()
    {
        var set = new PromptSet();
        set.AddScenario(new WorkshopScenario(1, "Plaza", "plaza", ["benches"], "Laval"));
        var a = set.Add("A plaza with benches", "en", PromptSource.Human, 1, createdAt: DateTimeOffset.UnixEpoch)!;
        var b = set.Add("A park", "en", PromptSource.Human, createdAt: DateTimeOffset.UnixEpoch)!;
        set.AddDerived("A plaza with trees", "en", PromptSource.Llm1, [a.Id, b.Id], "few-shot", null, "few-shot-1", createdAt: DateTimeOffset.UnixEpoch);
        var dir = Directory.CreateTempSubdirectory("pl-prompts-");
        try
        {
            set.Save(dir.FullName);
            Assert.Equal(
                "prompt,text,language,source,parent,scenario,external_id,created_at\n"
                + "1,A plaza with benches,en,human,,1,,1970-01-01T00:00:00.0000000+00:00\n"
                + "2,A park,en,human,,,,1970-01-01T00:00:00.0000000+00:00\n"
                + "3,A plaza with trees,en,llm-1,1,,,1970-01-01T00:00:00.0000000+00:00\n",
                File.ReadAllText(Path.Combine(dir.FullName, "prompts.csv")));
            Assert.Equal("prompt,parents,strategy,scenario,call,detail\n3,1;2,few-shot,,few-shot-1,\n", File.ReadAllText(Path.Combine(dir.FullName, "provenance.csv")));
            Assert.Equal("scenario,name,typology,amenities,location\n1,Plaza,plaza,benches,Laval\n", File.ReadAllText(Path.Combine(dir.FullName, "scenarios.csv")));
            Assert.Equal(3, Directory.GetFiles(dir.FullName).Length); // no temporary files left
        }
        finally
        {
            dir.Delete(true);
        }
    }
}

public class PromptSetLoadTests
{
    [Fact]
    public void Save_then_load_then_save_gives_the_same_files()
    {
        var set = new PromptSet();
        set.AddScenario(new WorkshopScenario(2, "Market", "market", ["kiosk", "benches"], "Québec"));
        var a = set.Add("Un marché, avec des bancs", "fr", PromptSource.Human, 2, "ext-1", DateTimeOffset.UnixEpoch)!;
        var b = set.Add("A park", "en", PromptSource.Human, createdAt: DateTimeOffset.UnixEpoch)!;
        set.AddDerived("A park with ducks", "en", PromptSource.Template, [b.Id], "template", null, null, "animals:->ducks", DateTimeOffset.UnixEpoch);
        set.AddDerived("Un marché l'hiver", "fr", PromptSource.Llm2, [a.Id, b.Id], "scenario", 2, "scenario-2-1", null, DateTimeOffset.UnixEpoch);
        var one = Directory.CreateTempSubdirectory("pl-load-");
        var two = Directory.CreateTempSubdirectory("pl-load-");
        try
        {
            set.Save(one.FullName);
            var loaded = PromptSet.Load(one.FullName);
            Assert.Equal([1L, 2L], loaded.Provenance[4].Parents);
            Assert.Equal("scenario-2-1", loaded.Provenance[4].CallId);
            loaded.Save(two.FullName);
            foreach (var f in new[] { "prompts.csv", "provenance.csv", "scenarios.csv" })
            {
                Assert.Equal(File.ReadAllText(Path.Combine(one.FullName, f)), File.ReadAllText(Path.Combine(two.FullName, f)));
            }

            // Loaded prompts still deduplicate new ones.
            Assert.Null(loaded.Add("a park!", "en", PromptSource.Human));
        }
        finally
        {
            one.Delete(true);
            two.Delete(true);
        }
    }

    [Fact]
    public void Load_reports_bad_ids_parents_and_provenance_with_locations()
    {
        var dir = Directory.CreateTempSubdirectory("pl-load-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "prompts.csv"),
                "prompt,text,language,source,parent,scenario,external_id,created_at\n1,A park,en,human,,,,2025-01-01T00:00:00Z\n3,A plaza,en,robot,7,,,2025-01-01T00:00:00Z\n");
            var ex = Assert.Throws<PromptImportException>(() => PromptSet.Load(dir.FullName));
            Assert.Equal(
                ["prompts.csv:3:1 (prompt): expected prompt id 2 (ids are 1..n in file order)",
                 "prompts.csv:3:4 (source): 'robot' is not a prompt source; expected one of human, scenario, llm-1, llm-2, llm-3, template",
                 "prompts.csv:3:5 (parent): parent 7 must be an earlier prompt"],
                ex.Errors.Select(e => e.ToString()));

            File.WriteAllText(Path.Combine(dir.FullName, "prompts.csv"),
                "prompt,text,language,source,parent,scenario,external_id,created_at\n1,A park,en,human,,,,2025-01-01T00:00:00Z\n");
            File.WriteAllText(Path.Combine(dir.FullName, "provenance.csv"), "prompt,parents,strategy,scenario,call,detail\n1,1;9,template,,,\n");
            ex = Assert.Throws<PromptImportException>(() => PromptSet.Load(dir.FullName));
            Assert.Equal("provenance.csv:2:2 (parents): '9' is not a prompt id of prompts.csv", ex.Errors.Single().ToString());
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
