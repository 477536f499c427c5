using System.Xml.Linq;

namespace Pluralist.Core.Tests;

/// <summary>
/// The dependency rules of the project map, read from every <c>src/*/*.csproj</c> and <c>bench/*/*.csproj</c>:
/// Core references nothing of ours; nothing references Pluralist.Web, Pluralist.Cli or a bench project, with one
/// documented exception, Cli -> Web (<c>pluralist serve</c> hosts the web app in the CLI's process); Pluralist.Studies,
/// the application layer, references neither front end.
/// </summary>
public class DependencyRuleTests
{
    /// <summary>One project file and the projects it references, by name (the csproj file name without extension).</summary>
    internal sealed record ProjectNode(string Path, string Name, IReadOnlyList<(string Include, string Name)> References);

    private static readonly string[] FrontEnds = ["Pluralist.Web", "Pluralist.Cli"];

    [Fact]
    public void Projects_reference_only_inward()
    {
        var root = FindRepoRoot(AppContext.BaseDirectory);
        var projects = ReadProjects(root);
        var names = projects.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        Assert.True(names.IsSupersetOf(["Pluralist.Core", "Pluralist.Studies", "Pluralist.Web", "Pluralist.Cli", "Pluralist.Benchmarks"]),
            $"expected Core, Studies, Web, Cli and Benchmarks under {root}; found {string.Join(", ", names.Order(StringComparer.Ordinal))}");

        var violations = Violations(projects, root);
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void Each_broken_rule_names_the_project_and_the_reference()
    {
        var root = Directory.CreateTempSubdirectory("pluralist-deps-").FullName;
        try
        {
            foreach (var name in new[] { "Pluralist.Core", "Pluralist.Data", "Pluralist.Studies", "Pluralist.Web", "Pluralist.Cli" })
            {
                Directory.CreateDirectory(Path.Combine(root, "src", name));
                File.WriteAllText(Path.Combine(root, "src", name, name + ".csproj"), "<Project />");
            }

            Directory.CreateDirectory(Path.Combine(root, "bench", "Pluralist.Benchmarks"));
            File.WriteAllText(Path.Combine(root, "bench", "Pluralist.Benchmarks", "Pluralist.Benchmarks.csproj"), "<Project />");
            static ProjectNode Node(string folder, string name, params string[] references) =>
                new($"{folder}/{name}/{name}.csproj", name, [.. references.Select(r => (r, System.IO.Path.GetFileNameWithoutExtension(r)))]);
            var projects = new[]
            {
                Node("src", "Pluralist.Core", "../Pluralist.Data/Pluralist.Data.csproj"),
                Node("src", "Pluralist.Data", "../Pluralist.Core/Pluralist.Core.csproj", "../Pluralist.Cli/Pluralist.Cli.csproj"),
                Node("src", "Pluralist.Studies", "../Pluralist.Core/Pluralist.Core.csproj", "../Pluralist.Web/Pluralist.Web.csproj"),
                Node("src", "Pluralist.Web", "../Pluralist.Studies/Pluralist.Studies.csproj", "../../bench/Pluralist.Benchmarks/Pluralist.Benchmarks.csproj"),
                Node("src", "Pluralist.Cli", "../Pluralist.Web/Pluralist.Web.csproj", "../Pluralist.Studies/Pluralist.Studies.csproj", "../Pluralist.Gone/Pluralist.Gone.csproj"),
                Node("bench", "Pluralist.Benchmarks", "../../src/Pluralist.Studies/Pluralist.Studies.csproj"),
            };

            var violations = Violations(projects, root);

            Assert.Equal(
            [
                "src/Pluralist.Core/Pluralist.Core.csproj references ../Pluralist.Data/Pluralist.Data.csproj: Core references nothing of ours",
                "src/Pluralist.Data/Pluralist.Data.csproj references ../Pluralist.Cli/Pluralist.Cli.csproj: nothing references Pluralist.Web, Pluralist.Cli or bench (the one exception: Cli -> Web, for `pluralist serve`)",
                "src/Pluralist.Studies/Pluralist.Studies.csproj references ../Pluralist.Web/Pluralist.Web.csproj: Studies, the application layer, references neither front end",
                "src/Pluralist.Web/Pluralist.Web.csproj references ../../bench/Pluralist.Benchmarks/Pluralist.Benchmarks.csproj: nothing references Pluralist.Web, Pluralist.Cli or bench (the one exception: Cli -> Web, for `pluralist serve`)",
                "src/Pluralist.Cli/Pluralist.Cli.csproj references ../Pluralist.Gone/Pluralist.Gone.csproj: no such project file",
            ], violations);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Repo_root_search_names_where_it_started()
    {
        var start = Directory.CreateTempSubdirectory("pluralist-noroot-").FullName;
        try
        {
            var ex = Assert.Throws<InvalidOperationException>(() => FindRepoRoot(start));
            Assert.Contains(start, ex.Message, StringComparison.Ordinal);
            Assert.Contains("Pluralist.slnx", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(start);
        }
    }

    /// <summary>The nearest directory at or above <paramref name="start"/> holding <c>Pluralist.slnx</c>.</summary>
    internal static string FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pluralist.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Pluralist.slnx in {start} or any directory above it");
    }

    /// <summary>Every <c>src/*/*.csproj</c> and <c>bench/*/*.csproj</c> under <paramref name="root"/> with its project references.</summary>
    internal static IReadOnlyList<ProjectNode> ReadProjects(string root)
    {
        var files = new[] { "src", "bench" }
            .Select(folder => Path.Combine(root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateDirectories(folder).SelectMany(d => Directory.EnumerateFiles(d, "*.csproj")))
            .Order(StringComparer.Ordinal);
        return [.. files.Select(file =>
        {
            var references = XDocument.Load(file).Descendants()
                .Where(e => e.Name.LocalName == "ProjectReference")
                .Select(e => (string?)e.Attribute("Include") ?? throw new InvalidOperationException($"{file}: a ProjectReference without Include"))
                .Select(include => (include, Path.GetFileNameWithoutExtension(include.Replace('\\', '/'))))
                .ToList();
            return new ProjectNode(Path.GetRelativePath(root, file).Replace('\\', '/'), Path.GetFileNameWithoutExtension(file), references);
        })];
    }

    /// <summary>One line per broken rule: the project file, the reference as written, and the rule.</summary>
    internal static IReadOnlyList<string> Violations(IEnumerable<ProjectNode> projects, string root)
    {
        var list = projects.ToList();
        var bench = list.Where(p => p.Path.StartsWith("bench/", StringComparison.Ordinal)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var violations = new List<string>();
        foreach (var project in list)
        {
            var folder = Path.GetDirectoryName(Path.Combine(root, project.Path))!;
            foreach (var (include, name) in project.References)
            {
                var rule = Rule(project, Path.GetFullPath(Path.Combine(folder, include.Replace('\\', '/'))), name);
                if (rule is not null)
                {
                    violations.Add($"{project.Path} references {include}: {rule}");
                }
            }
        }

        return violations;

        string? Rule(ProjectNode from, string target, string name)
        {
            if (!File.Exists(target))
            {
                return "no such project file";
            }

            if (from.Name == "Pluralist.Core")
            {
                return "Core references nothing of ours";
            }

            if (from.Name == "Pluralist.Studies" && FrontEnds.Contains(name))
            {
                return "Studies, the application layer, references neither front end";
            }

            bool inward = !FrontEnds.Contains(name) && !bench.Contains(name);
            bool serve = from.Name == "Pluralist.Cli" && name == "Pluralist.Web";
            return inward || serve ? null : "nothing references Pluralist.Web, Pluralist.Cli or bench (the one exception: Cli -> Web, for `pluralist serve`)";
        }
    }
}
