using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// <see cref="ResultMeta"/> &lt;-&gt; the JSON Celery stores. Field order follows Celery 5.2 so our bytes match
/// Python's. Source: celery/backends/base.py (_get_result_meta), celery/backends/rpc.py.
/// </summary>
public static class ResultMetaCodec
{
    private static readonly HashSet<string> Known =
    [
        WireNames.Status, WireNames.Result, WireNames.Traceback, WireNames.Children, WireNames.DateDone,
        WireNames.TaskId, WireNames.GroupId, WireNames.ParentId, WireNames.Name, WireNames.Args,
        WireNames.Kwargs, WireNames.Worker, WireNames.Retries, WireNames.Queue,
    ];

    /// <summary>Encodes the meta as kombu JSON bytes.</summary>
    public static byte[] Encode(ResultMeta meta) => KombuJson.Serialize(ToJson(meta));

    /// <summary>Builds the JSON object Celery stores, in Celery's field order.</summary>
    public static JsonObject ToJson(ResultMeta meta, bool includeDateDone = true)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var obj = new JsonObject
        {
            [WireNames.Status] = meta.Status,
            [WireNames.Result] = meta.Result?.DeepClone(),
            [WireNames.Traceback] = meta.Traceback,
            [WireNames.Children] = meta.Children?.DeepClone(),
        };
        if (includeDateDone)
        {
            obj[WireNames.DateDone] = meta.DateDone is { } done ? WireTime.FormatNaive(done) : null;
        }

        obj[WireNames.TaskId] = meta.TaskId;
        if (meta.GroupId is not null)
        {
            obj[WireNames.GroupId] = meta.GroupId;
        }

        if (meta.ParentId is not null)
        {
            obj[WireNames.ParentId] = meta.ParentId;
        }

        if (meta.Name is not null)
        {
            obj[WireNames.Name] = meta.Name;
            obj[WireNames.Args] = meta.Args?.DeepClone();
            obj[WireNames.Kwargs] = meta.Kwargs?.DeepClone();
            obj[WireNames.Worker] = meta.Worker;
            obj[WireNames.Retries] = meta.Retries;
            obj[WireNames.Queue] = meta.Queue;
        }

        if (meta.Extra is not null)
        {
            foreach (var (k, v) in meta.Extra)
            {
                obj[k] = v?.DeepClone();
            }
        }

        return obj;
    }

    /// <summary>Decodes stored meta bytes.</summary>
    /// <exception cref="MessageDecodeException">Not JSON, not an object, or without <c>status</c>.</exception>
    public static ResultMeta Decode(ReadOnlySpan<byte> utf8, string? expectedTaskId = null) =>
        FromJson(KombuJson.Parse(utf8), expectedTaskId);

    /// <summary>Reads meta from its JSON object.</summary>
    /// <exception cref="MessageDecodeException">Not an object, or without <c>status</c>.</exception>
    public static ResultMeta FromJson(JsonNode? node, string? expectedTaskId = null)
    {
        if (node is not JsonObject obj)
        {
            throw new MessageDecodeException("result meta must be a JSON object");
        }

        var status = Str(obj, WireNames.Status) ?? throw new MessageDecodeException("result meta has no 'status'");
        var taskId = Str(obj, WireNames.TaskId) ?? expectedTaskId ?? throw new MessageDecodeException("result meta has no 'task_id'");
        DateTime? done = null;
        if (Str(obj, WireNames.DateDone) is { } doneText && WireTime.TryParse(doneText, out var parsed))
        {
            done = parsed.UtcDateTime;
        }

        JsonObject? extra = null;
        foreach (var (k, v) in obj)
        {
            if (!Known.Contains(k))
            {
                (extra ??= [])[k] = v?.DeepClone();
            }
        }

        return new ResultMeta
        {
            TaskId = taskId,
            Status = status,
            Result = obj[WireNames.Result]?.DeepClone(),
            Traceback = Str(obj, WireNames.Traceback),
            Children = obj[WireNames.Children]?.DeepClone() as JsonArray,
            DateDone = done,
            GroupId = Str(obj, WireNames.GroupId),
            ParentId = Str(obj, WireNames.ParentId),
            Name = Str(obj, WireNames.Name),
            Args = obj[WireNames.Args]?.DeepClone() as JsonArray,
            Kwargs = obj[WireNames.Kwargs]?.DeepClone() as JsonObject,
            Worker = Str(obj, WireNames.Worker),
            Retries = JsonNumbers.TryGetInt32(obj[WireNames.Retries], out var retries) ? retries : null,
            Queue = Str(obj, WireNames.Queue),
            Extra = extra,
        };
    }

    private static string? Str(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
