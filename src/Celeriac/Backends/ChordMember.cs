using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Backends;

/// <summary>One finished header task of a chord, as the join reads it back.</summary>
/// <param name="TaskId">The header task's id.</param>
/// <param name="Status">Its final state.</param>
/// <param name="Result">Its result, or the exception dict.</param>
public sealed record ChordMember(string TaskId, string Status, JsonNode? Result)
{
    /// <summary>Celery 5.2's join entry for a task's end state: <c>[1, id, state, result]</c> (celery/backends/redis.py).</summary>
    public static byte[] Encode(ResultMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        return KombuJson.Serialize(new JsonArray(1, meta.TaskId, meta.Status, meta.Result?.DeepClone()));
    }

    /// <summary>Reads a join entry.</summary>
    /// <exception cref="MessageDecodeException">The value is not <c>[1, id, state, result]</c>.</exception>
    public static ChordMember Decode(ReadOnlySpan<byte> value)
    {
        if (KombuJson.Parse(value) is JsonArray { Count: 4 } e && e[1] is JsonValue id && id.TryGetValue<string>(out var taskId) && e[2] is JsonValue st && st.TryGetValue<string>(out var status))
        {
            return new ChordMember(taskId, status, e[3]?.DeepClone());
        }

        throw new MessageDecodeException("not a chord join entry: expected [1, task_id, state, result]");
    }
}
