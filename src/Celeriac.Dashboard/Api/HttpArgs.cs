using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Celeriac.Dashboard.Api;

/// <summary>Reading request arguments as Flower (Tornado's get_argument) does: the query string, then a form body.</summary>
internal static class HttpArgs
{
    public static async Task<string?> GetAsync(HttpRequest request, string name)
    {
        if (request.Query.TryGetValue(name, out var q) && q.Count > 0)
        {
            return q[^1];
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            if (form.TryGetValue(name, out var f) && f.Count > 0)
            {
                return f[^1];
            }
        }

        return null;
    }

    public static string? Query(HttpRequest request, string name) => request.Query.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    /// <summary>Tornado's bool arguments: true/1/yes/on.</summary>
    public static bool Bool(string? value) => value is not null && value.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "on" or "y" or "t";

    /// <exception cref="FormatException">Not an integer.</exception>
    public static int? Int(string? value, string name) => value is null
        ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"'{name}' must be an integer");

    /// <exception cref="FormatException">Not a number.</exception>
    public static double? Double(string? value, string name) => value is null or ""
        ? null
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? n : throw new FormatException($"'{name}' must be a number");

    /// <summary>A time as UNIX seconds: a number, or a date <c>YYYY-MM-DD HH:MM[:SS[.ffffff]]</c> / ISO 8601 (UTC unless it names an offset).</summary>
    /// <exception cref="FormatException">Neither.</exception>
    public static double? Time(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds;
        }

        string[] formats = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFF", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];
        if (DateTimeOffset.TryParseExact(value.Trim(), formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
        {
            return when.ToUnixTimeMilliseconds() / 1000.0;
        }

        throw new FormatException($"'{name}' must be UNIX seconds or a date like 2026-01-31 14:05 (UTC)");
    }

    /// <summary>The JSON object body, or an empty one; a body that is not a JSON object fails.</summary>
    /// <exception cref="FormatException">Malformed.</exception>
    public static async Task<JsonObject> JsonBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new FormatException("the body is not valid JSON: " + ex.Message, ex);
        }

        return node as JsonObject ?? throw new FormatException("invalid options: the body must be a JSON object");
    }
}
