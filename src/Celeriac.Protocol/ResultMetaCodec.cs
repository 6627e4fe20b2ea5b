using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// <see cref="ResultMeta"/> &lt;-&gt; the JSON Celery stores. Field order follows Celery 5.2 so our bytes match
/// Python's. Source: celery/backends/base.py (_get_result_meta, KeyValueStoreBackend._store_result),
/// celery/backends/rpc.py (RPCBackend.store_result).
/// </summary>
public static class ResultMetaCodec
{
    private static readonly HashSet<string> Known =
    [
        WireNames.Status, WireNames.Result, WireNames.Traceback, WireNames.Children, WireNames.DateDone,
        WireNames.TaskId, WireNames.GroupId, WireNames.ParentId, WireNames.Name, WireNames.Args,
        WireNames.Kwargs, WireNames.Worker, WireNames.Retries, WireNames.Queue,
    ];

    /// <summary>Encodes the meta as kombu JSON bytes, as the key-value backends store (and publish) it.</summary>
    public static byte[] Encode(ResultMeta meta) => Write(meta, includeDateDone: true);

    /// <summary>
    /// Builds the JSON object Celery stores, in Celery's field order: <c>status, result, traceback, children,
    /// date_done</c>, then <c>group_id</c> and <c>parent_id</c> when set, then the <c>result_extended</c> fields
    /// (<c>name, args, kwargs, worker, retries, queue</c>) when <see cref="ResultMeta.Name"/> is set, then
    /// <see cref="ResultMeta.Extra"/>, and <c>task_id</c> last. The object shares no nodes with <paramref name="meta"/>.
    /// </summary>
    /// <param name="meta">The meta.</param>
    /// <param name="includeDateDone">False leaves <c>date_done</c> out.</param>
    public static JsonObject ToJson(ResultMeta meta, bool includeDateDone = true) =>
        JsonNode.Parse(Write(meta, includeDateDone))!.AsObject();

    /// <summary>
    /// Encodes the body of an <c>rpc://</c> result message: <c>{task_id, status, result, traceback, children}</c>,
    /// in that order and without <c>date_done</c> (Celery §6.6).
    /// </summary>
    public static byte[] EncodeRpc(ResultMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        using var w = new PythonJsonWriter();
        w.BeginObject();
        w.Property(WireNames.TaskId);
        w.String(meta.TaskId);
        w.Property(WireNames.Status);
        w.String(meta.Status);
        w.Property(WireNames.Result);
        w.Node(meta.Result);
        w.Property(WireNames.Traceback);
        w.String(meta.Traceback);
        w.Property(WireNames.Children);
        w.Node(meta.Children);
        w.EndObject();
        return w.ToArray();
    }

    /// <summary>Builds the <c>rpc://</c> result body; see <see cref="EncodeRpc"/>.</summary>
    public static JsonObject ToRpcJson(ResultMeta meta) => JsonNode.Parse(EncodeRpc(meta))!.AsObject();

    /// <summary>Decodes stored meta bytes (key-value form or rpc form).</summary>
    /// <param name="utf8">The stored JSON.</param>
    /// <param name="expectedTaskId">The id to use when the JSON has no <c>task_id</c> (it is the key's suffix).</param>
    /// <exception cref="MessageDecodeException">Not JSON, not an object, or without <c>status</c> or a task id.</exception>
    public static ResultMeta Decode(ReadOnlySpan<byte> utf8, string? expectedTaskId = null) =>
        Read(KombuJson.Parse(utf8, "result meta"), expectedTaskId, owned: true);

    /// <summary>Reads meta from its JSON object. <paramref name="node"/> is not modified.</summary>
    /// <exception cref="MessageDecodeException">Not an object, or without <c>status</c> or a task id.</exception>
    public static ResultMeta FromJson(JsonNode? node, string? expectedTaskId = null) => Read(node, expectedTaskId, owned: false);

    private static ResultMeta Read(JsonNode? node, string? expectedTaskId, bool owned)
    {
        if (node is not JsonObject obj)
        {
            throw new MessageDecodeException("result meta must be a JSON object");
        }

        var status = Str(obj, WireNames.Status) ?? throw new MessageDecodeException("result meta has no 'status'");
        var taskId = Str(obj, WireNames.TaskId) ?? expectedTaskId
            ?? throw new MessageDecodeException("result meta has no 'task_id'");
        // 5.2/5.3 write naive UTC, 5.4 writes +00:00; either way we keep the UTC instant. Text we cannot
        // parse reads as null rather than failing: the state and result must stay readable over a cosmetic field.
        DateTime? done = Str(obj, WireNames.DateDone) is { } doneText && WireTime.TryParse(doneText, out var parsed)
            ? parsed.UtcDateTime
            : null;

        JsonObject? extra = null;
        foreach (var (k, v) in obj)
        {
            if (!Known.Contains(k))
            {
                (extra ??= [])[k] = v?.DeepClone();
            }
        }

        // Bytes we parsed ourselves are owned: their nodes are detached and reused instead of deep-cloned.
        JsonNode? Take(string key)
        {
            var value = obj[key];
            if (value is null || !owned)
            {
                return value?.DeepClone();
            }

            obj.Remove(key);
            return value;
        }

        return new ResultMeta
        {
            TaskId = taskId,
            Status = status,
            Result = Take(WireNames.Result),
            Traceback = Str(obj, WireNames.Traceback),
            Children = Take(WireNames.Children) as JsonArray,
            DateDone = done,
            GroupId = Str(obj, WireNames.GroupId),
            ParentId = Str(obj, WireNames.ParentId),
            Name = Str(obj, WireNames.Name),
            Args = Take(WireNames.Args) as JsonArray,
            Kwargs = Take(WireNames.Kwargs) as JsonObject,
            Worker = Str(obj, WireNames.Worker),
            Retries = obj[WireNames.Retries] is JsonValue r && r.GetValueKind() == JsonValueKind.Number && r.TryGetValue<int>(out var retries) ? retries : null,
            Queue = Str(obj, WireNames.Queue),
            Extra = extra,
        };
    }

    private static byte[] Write(ResultMeta meta, bool includeDateDone)
    {
        ArgumentNullException.ThrowIfNull(meta);
        using var w = new PythonJsonWriter();
        w.BeginObject();
        w.Property(WireNames.Status);
        w.String(meta.Status);
        w.Property(WireNames.Result);
        w.Node(meta.Result);
        w.Property(WireNames.Traceback);
        w.String(meta.Traceback);
        w.Property(WireNames.Children);
        w.Node(meta.Children);
        if (includeDateDone)
        {
            w.Property(WireNames.DateDone);
            w.String(meta.DateDone is { } done ? WireTime.FormatNaive(done) : null);
        }

        // _get_result_meta adds group_id, then parent_id, then the extended request fields; the key-value
        // backend sets task_id on the finished dict, so it always comes last.
        if (meta.GroupId is not null)
        {
            w.Property(WireNames.GroupId);
            w.String(meta.GroupId);
        }

        if (meta.ParentId is not null)
        {
            w.Property(WireNames.ParentId);
            w.String(meta.ParentId);
        }

        if (meta.Name is not null)
        {
            w.Property(WireNames.Name);
            w.String(meta.Name);
            w.Property(WireNames.Args);
            w.Node(meta.Args);
            w.Property(WireNames.Kwargs);
            w.Node(meta.Kwargs);
            w.Property(WireNames.Worker);
            w.String(meta.Worker);
            w.Property(WireNames.Retries);
            if (meta.Retries is { } retries)
            {
                w.Number(retries);
            }
            else
            {
                w.Null();
            }

            w.Property(WireNames.Queue);
            w.String(meta.Queue);
        }

        if (meta.Extra is not null)
        {
            for (var i = 0; i < meta.Extra.Count; i++)
            {
                var (k, v) = meta.Extra.GetAt(i);
                if (!Known.Contains(k))
                {
                    w.Property(k);
                    w.Node(v);
                }
            }
        }

        w.Property(WireNames.TaskId);
        w.String(meta.TaskId);
        w.EndObject();
        return w.ToArray();
    }

    private static string? Str(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
