using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Backends;

/// <summary>
/// Celery's result tuples: an AsyncResult is <c>[[id, parent], null]</c>, a GroupResult <c>[[gid, parent], [children]]</c>;
/// <c>celery-taskset-meta-&lt;gid&gt;</c> holds <c>{"result": &lt;GroupResult tuple&gt;}</c>. Source: celery/result.py (as_tuple).
/// </summary>
public static class GroupResultCodec
{
    /// <summary>The tuple of a plain task result.</summary>
    public static JsonArray TaskTuple(string taskId) => [new JsonArray(taskId, null), null];

    /// <summary>The tuple of a group of task results.</summary>
    public static JsonArray GroupTuple(string groupId, IEnumerable<string> memberIds)
    {
        var children = new JsonArray();
        foreach (var id in memberIds)
        {
            children.Add(TaskTuple(id));
        }

        return [new JsonArray(groupId, null), children];
    }

    /// <summary>The stored value of a saved group.</summary>
    public static byte[] Encode(string groupId, IEnumerable<string> memberIds) =>
        KombuJson.Serialize(new JsonObject { ["result"] = GroupTuple(groupId, memberIds) });

    /// <summary>The member ids of a saved group (nested groups flattened to their leaves, in order).</summary>
    /// <exception cref="MessageDecodeException">The value is not a saved group.</exception>
    public static IReadOnlyList<string> Decode(ReadOnlySpan<byte> value)
    {
        var root = KombuJson.Parse(value);
        if (root is not JsonObject { } o || o["result"] is not JsonArray tuple)
        {
            throw new MessageDecodeException("not a saved group result: expected {\"result\": [[gid, parent], [children]]}");
        }

        var ids = new List<string>();
        Collect(tuple[1] as JsonArray, ids);
        return ids;
    }

    private static void Collect(JsonArray? children, List<string> ids)
    {
        foreach (var child in children ?? [])
        {
            if (child is JsonArray { Count: 2 } t && t[0] is JsonArray head && head[0] is JsonValue v && v.TryGetValue<string>(out var id))
            {
                if (t[1] is JsonArray nested)
                {
                    Collect(nested, ids);
                }
                else
                {
                    ids.Add(id);
                }
            }
        }
    }
}
