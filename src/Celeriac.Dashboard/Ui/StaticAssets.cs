using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Celeriac.Dashboard.Ui;

/// <summary>
/// The UI's files, embedded in this assembly at build time (no npm step, no files to deploy), served with an ETag so
/// a browser revalidates cheaply.
/// </summary>
internal sealed class StaticAssets
{
    private const string Prefix = "ui/";
    private readonly Dictionary<string, Asset> _assets = new(StringComparer.Ordinal);

    public StaticAssets()
    {
        var assembly = typeof(StaticAssets).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"";
            _assets[name[Prefix.Length..]] = new Asset(bytes, ContentType(name), etag);
        }
    }

    /// <summary>The page shell, with its base URL filled in.</summary>
    public string Index(string baseHref) =>
        System.Text.Encoding.UTF8.GetString(_assets["index.html"].Bytes).Replace("{{base}}", System.Net.WebUtility.HtmlEncode(baseHref), StringComparison.Ordinal);

    public IResult Serve(HttpContext http, string path)
    {
        if (!_assets.TryGetValue(path, out var asset))
        {
            return Results.NotFound();
        }

        http.Response.Headers.ETag = asset.ETag;
        http.Response.Headers.CacheControl = "no-cache";
        if (http.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);
}
