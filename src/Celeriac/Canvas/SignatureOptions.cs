using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Canvas;

/// <summary><see cref="ApplyOptions"/> as the <c>options</c> dict of a signature, with Celery's key names.</summary>
public static class SignatureOptions
{
    /// <summary>The options that are set, as Celery names them.</summary>
    public static JsonObject From(ApplyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = new JsonObject();
        Put(o, "task_id", options.TaskId);
        Put(o, "countdown", options.Countdown?.TotalSeconds);
        Put(o, "eta", options.Eta is { } eta ? WireTime.FormatAware(eta) : null);
        Put(o, "expires", options.Expires is { } expires ? WireTime.FormatAware(expires) : options.ExpiresIn?.TotalSeconds);
        Put(o, "queue", options.Queue);
        Put(o, "exchange", options.Exchange);
        Put(o, "routing_key", options.RoutingKey);
        Put(o, "priority", options.Priority);
        Put(o, "ignore_result", options.IgnoreResult);
        Put(o, "time_limit", options.TimeLimit?.TotalSeconds);
        Put(o, "soft_time_limit", options.SoftTimeLimit?.TotalSeconds);
        Put(o, "retries", options.Retries);
        Put(o, "shadow", options.Shadow);
        Put(o, "parent_id", options.ParentId);
        Put(o, "root_id", options.RootId);
        Put(o, "group_id", options.GroupId);
        Put(o, "group_index", options.GroupIndex);
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

    private static void Put(JsonObject o, string key, object? value)
    {
        if (value is not null)
        {
            o[key] = KombuValues.ToNode(value);
        }
    }
}
