using System.Reflection;
using System.Xml.Linq;

namespace Celeriac.Tests;

/// <summary>
/// The dependency rules of docs/architecture.md, enforced: every src project may reference only what its row
/// allows, and the core assemblies reference nothing else at run time either.
/// </summary>
public sealed class DependencyRuleTests
{
    private static readonly Dictionary<string, (string[] Projects, string[] Packages)> Allowed = new()
    {
        ["Celeriac.Protocol"] = ([], []),
        ["Celeriac"] = (["Celeriac.Protocol"], ["Microsoft.Extensions.Logging.Abstractions"]),
        ["Celeriac.Worker"] = (["Celeriac"], []),
        ["Celeriac.Beat"] = (["Celeriac"], []),
        ["Celeriac.Sqlite"] = (["Celeriac"], ["Microsoft.Data.Sqlite"]),
        ["Celeriac.Redis"] = (["Celeriac"], ["StackExchange.Redis"]),
        ["Celeriac.RabbitMQ"] = (["Celeriac"], ["RabbitMQ.Client"]),
        ["Celeriac.Hosting"] = (["Celeriac", "Celeriac.Worker", "Celeriac.Beat"], ["Microsoft.Extensions.Hosting"]),
        ["Celeriac.Dashboard"] = (["Celeriac"], ["Microsoft.Data.Sqlite"]),
    };

    public static TheoryData<string> SourceProjects()
    {
        var data = new TheoryData<string>();
        foreach (var csproj in Directory.GetFiles(Path.Combine(RepoRoot(), "src"), "*.csproj", SearchOption.AllDirectories))
        {
            data.Add(Path.GetFileNameWithoutExtension(csproj));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void A_source_project_references_only_what_the_rules_allow(string project)
    {
        if (project == "Celeriac.Cli")
        {
            return; // The one project that may reference everything.
        }

        Assert.True(Allowed.TryGetValue(project, out var allowed), $"{project} has no row in the dependency rules; add one to docs/architecture.md and to this test");
        var doc = XDocument.Load(Path.Combine(RepoRoot(), "src", project, project + ".csproj"));
        var projects = doc.Descendants("ProjectReference").Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value)).ToList();
        var packages = doc.Descendants("PackageReference").Select(e => e.Attribute("Include")!.Value).ToList();

        Assert.All(projects, p => Assert.True(allowed.Projects.Contains(p), $"{project} must not reference project {p}"));
        Assert.All(packages, p => Assert.True(allowed.Packages.Contains(p), $"{project} must not reference package {p}"));
    }

    [Theory]
    [InlineData(typeof(Protocol.TaskMessage), new string[0])]
    [InlineData(typeof(CeleriacApp), new[] { "Celeriac.Protocol", "Microsoft.Extensions.Logging.Abstractions" })]
    [InlineData(typeof(Worker.WorkerHost), new[] { "Celeriac", "Celeriac.Protocol", "Microsoft.Extensions.Logging.Abstractions" })]
    [InlineData(typeof(RabbitMQ.AmqpTransport), new[] { "Celeriac", "Celeriac.Protocol", "Microsoft.Extensions.Logging.Abstractions", "RabbitMQ.Client" })]
    [InlineData(typeof(Celeriac.Beat.BeatService), new[] { "Celeriac", "Celeriac.Protocol", "Microsoft.Extensions.Logging.Abstractions" })]
    public void A_core_assembly_loads_only_the_bcl_and_its_allowed_dependencies(Type marker, string[] allowed)
    {
        var references = marker.Assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => !n.StartsWith("System", StringComparison.Ordinal) && n != "netstandard" && n != "mscorlib")
            .ToList();
        Assert.All(references, r => Assert.Contains(r, allowed));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Celeriac.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Celeriac.slnx not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_rule_table_matches_the_architecture_document()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "architecture.md"));
        Assert.Contains("A test reads each assembly's references and fails when a rule is broken", doc, StringComparison.Ordinal);
        _ = Assembly.GetExecutingAssembly();
    }
}
