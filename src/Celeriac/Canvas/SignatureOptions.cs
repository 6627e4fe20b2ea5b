using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Canvas;

/// <summary>
/// <see cref="ApplyOptions"/> as the <c>options</c> dict of a signature, with Celery's key names, and back.
/// Source: celery/app/task.py (apply_async), celery/app/base.py (send_task).
/// </summary>
public static class SignatureOptions
{
    /// <summary>The options that are set, as Celery names them.</summary>
    public static JsonObject From(ApplyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = new JsonObject();
        Put(o, CanvasNames.TaskId, options.TaskId);
        Put(o, CanvasNames.Countdown, options.Countdown?.TotalSeconds);
        Put(o, "eta", options.Eta is { } eta ? WireTime.FormatAware(eta) : null);
        Put(o, "expires", options.Expires is { } expires ? WireTime.FormatAware(expires) : options.ExpiresIn?.TotalSeconds);
        Put(o, CanvasNames.Queue, options.Queue);
        Put(o, "exchange", options.Exchange);
        Put(o, "routing_key", options.RoutingKey);
        Put(o, CanvasNames.Priority, options.Priority);
        Put(o, "ignore_result", options.IgnoreResult);
        Put(o, "time_limit", options.TimeLimit?.TotalSeconds);
        Put(o, "soft_time_limit", options.SoftTimeLimit?.TotalSeconds);
        Put(o, "retries", options.Retries);
        Put(o, "shadow", options.Shadow);
        Put(o, CanvasNames.ParentId, options.ParentId);
        Put(o, CanvasNames.RootId, options.RootId);
        Put(o, CanvasNames.GroupId, options.GroupId);
        Put(o, CanvasNames.GroupIndex, options.GroupIndex);
        Put(o, CanvasNames.ReplyTo, options.ReplyTo);
        PutList(o, CanvasNames.Link, options.Link);
        PutList(o, CanvasNames.LinkError, options.LinkError);
        if (options.Headers is { Count: > 0 } headers)
        {
            var h = new JsonObject();
            foreach (var (k, v) in headers)
            {
                h[k] = KombuValues.ToNode(v);
            }

            o["headers"] = h;
        }

        return o;
    }

    /// <summary>Celery's <c>apply_async</c> options as <see cref="ApplyOptions"/>; options it does not know are ignored, as Celery does.</summary>
    public static ApplyOptions ToApplyOptions(JsonObject options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options;
        Dictionary<string, object?>? headers = null;
        if (o["headers"] is JsonObject h)
        {
            headers = h.ToDictionary(kv => kv.Key, kv => (object?)kv.Value?.DeepClone());
        }

        return new ApplyOptions
        {
            TaskId = Text(o[CanvasNames.TaskId]),
            Countdown = Number(o[CanvasNames.Countdown]) is { } countdown ? TimeSpan.FromSeconds(countdown) : null,
            Eta = Time(o["eta"]),
            Expires = Time(o["expires"]),
            ExpiresIn = Number(o["expires"]) is { } expiresIn ? TimeSpan.FromSeconds(expiresIn) : null,
            // kombu lets a queue be given as a Queue object, which serializes to a dict with its name.
            Queue = o[CanvasNames.Queue] is JsonObject q ? Text(q["name"]) : Text(o[CanvasNames.Queue]),
            Exchange = o["exchange"] is JsonObject x ? Text(x["name"]) : Text(o["exchange"]),
            RoutingKey = Text(o["routing_key"]),
            Priority = Number(o[CanvasNames.Priority]) is { } p ? (int)p : null,
            Headers = headers,
            IgnoreResult = o["ignore_result"] is JsonValue ir && ir.TryGetValue<bool>(out var ignore) ? ignore : null,
            TimeLimit = Number(o["time_limit"]) is { } tl ? TimeSpan.FromSeconds(tl) : null,
            SoftTimeLimit = Number(o["soft_time_limit"]) is { } stl ? TimeSpan.FromSeconds(stl) : null,
            Retries = Number(o["retries"]) is { } r ? (int)r : null,
            Shadow = Text(o["shadow"]),
            ParentId = Text(o[CanvasNames.ParentId]),
            RootId = Text(o[CanvasNames.RootId]),
            GroupId = Text(o[CanvasNames.GroupId]),
            GroupIndex = Number(o[CanvasNames.GroupIndex]) is { } gi ? (int)gi : null,
            ReplyTo = Text(o[CanvasNames.ReplyTo]),
        };
    }

    private static void PutList(JsonObject o, string key, IReadOnlyList<Signature>? signatures)
    {
        if (signatures is { Count: > 0 })
        {
            o[key] = new JsonArray([.. signatures.Select(s => (JsonNode)s.ToJson())]);
        }
    }

    private static void Put(JsonObject o, string key, object? value)
    {
        if (value is not null)
        {
            o[key] = KombuValues.ToNode(value);
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null;

    private static DateTimeOffset? Time(JsonNode? node) => Text(node) is { } text && WireTime.TryParse(text, out var t) ? t : null;
}
