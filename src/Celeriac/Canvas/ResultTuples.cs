using System.Text.Json.Nodes;
using Celeriac.Backends;
using Celeriac.Client;

namespace Celeriac.Canvas;

/// <summary>
/// Result handles from and to Celery's result tuples (<c>[[id, parent], null]</c> for a task, <c>[[gid, parent],
/// [children]]</c> for a group), as result metas' <c>children</c> and <c>celery.chord_unlock</c>'s <c>result</c> carry them.
/// Source: celery/result.py (result_from_tuple, as_tuple).
/// </summary>
public static class ResultTuples
{
    /// <summary>The handle a tuple stands for (a <see cref="GroupResult"/> for a group), or null when it is not a tuple.</summary>
    public static AsyncResult? FromTuple(JsonNode? tuple, CeleriacApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (tuple is not JsonArray { Count: 2 } t || t[0] is not JsonArray { Count: > 0 } head || Signature.Text(head[0]) is not { Length: > 0 } id)
        {
            return null;
        }

        AsyncResult result = t[1] is JsonArray children
            ? new GroupResult(id, [.. children.Select(c => FromTuple(c, app)).OfType<AsyncResult>()], app)
            : new AsyncResult(id, app);
        if (head.Count > 1 && FromTuple(head[1], app) is { } parent)
        {
            result.Parent = parent;
        }

        return result;
    }

    /// <summary>The tuple of a handle (parents left out, as Celery's sender writes them for children).</summary>
    public static JsonArray ToTuple(AsyncResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result is not GroupResult g)
        {
            return GroupResultCodec.TaskTuple(result.Id);
        }

        var children = new JsonArray();
        foreach (var r in g.Results)
        {
            children.Add(ToTuple(r));
        }

        return [new JsonArray(g.Id, null), children];
    }
}
