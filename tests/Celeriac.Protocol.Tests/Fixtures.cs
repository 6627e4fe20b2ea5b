using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

/// <summary>Locates the golden vectors copied next to the test assembly.</summary>
internal static class Fixtures
{
    /// <summary>The root of the Celery 5.2.6 captures in the output directory.</summary>
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "celery-5.2.6");

    /// <summary>Every <c>*.raw</c> file under <paramref name="folder"/>, as paths relative to <see cref="Root"/>, sorted.</summary>
    public static IEnumerable<string> RawFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.raw")
            .Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>The exact captured bytes.</summary>
    public static byte[] ReadBytes(string relativePath) => File.ReadAllBytes(Path.Combine(Root, relativePath));

    /// <summary>The decoded <c>.json</c> view that sits beside a <c>.raw</c> capture.</summary>
    public static JsonObject ReadView(string rawRelativePath)
    {
        var jsonPath = Path.ChangeExtension(Path.Combine(Root, rawRelativePath), ".json");
        return JsonNode.Parse(File.ReadAllText(jsonPath))!.AsObject();
    }
}
