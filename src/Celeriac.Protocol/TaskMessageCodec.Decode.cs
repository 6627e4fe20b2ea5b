using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

public static partial class TaskMessageCodec
{
    private static readonly HashSet<string> KnownHeaders =
    [
        WireNames.Lang, WireNames.Task, WireNames.Id, WireNames.Shadow, WireNames.Eta, WireNames.Expires,
        WireNames.Group, WireNames.GroupIndex, WireNames.Retries, WireNames.TimeLimit, WireNames.RootId,
        WireNames.ParentId, WireNames.ArgsRepr, WireNames.KwargsRepr, WireNames.Origin, WireNames.IgnoreResult,
        WireNames.ReplacedTaskNesting,
    ];

    /// <summary>
    /// Decodes a task message. v2 is recognised by the <c>task</c> header; without it the body is read as v1;
    /// a v2 header with a v1-shaped body is a hybrid, read from the body then overridden by the headers.
    /// </summary>
    /// <exception cref="ContentRefusedException">The content type is not JSON (pickle, yaml, ...).</exception>
    /// <exception cref="MessageDecodeException">The message is malformed; the exception names what and carries the id if known.</exception>
    public static TaskMessage Decode(TransportMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var headers = message.Headers;
        var headerId = TryString(headers, WireNames.Id);
        var headerTask = TryString(headers, WireNames.Task);
        ContentRefusedException.ThrowUnlessJson(message.ContentType, headerId);

        JsonNode? body;
        try
        {
            body = KombuJson.Parse(message.Body.Span);
        }
        catch (MessageDecodeException ex)
        {
            throw new MessageDecodeException(ex.Message, ex) { TaskId = headerId, TaskName = headerTask };
        }

        try
        {
            if (headerTask is not null)
            {
                return body is JsonObject hybrid && hybrid.ContainsKey(WireNames.Args)
                    ? DecodeV1(hybrid, headers, message.Properties)
                    : DecodeV2(body, headers, message.Properties);
            }

            if (body is JsonObject v1)
            {
                return DecodeV1(v1, headers, message.Properties);
            }

            throw new MessageDecodeException("message has no 'task' header and its body is not a protocol v1 object");
        }
        catch (MessageDecodeException ex) when (ex.TaskId is null && headerId is not null)
        {
            throw new MessageDecodeException(ex.Message, ex) { TaskId = headerId, TaskName = headerTask };
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or JsonException)
        {
            throw new MessageDecodeException($"malformed task message: {ex.Message}", ex) { TaskId = headerId, TaskName = headerTask };
        }
    }

    private static TaskMessage DecodeV2(JsonNode? body, JsonObject headers, MessageProperties properties)
    {
        if (body is not JsonArray parts || parts.Count is < 2 or > 3)
        {
            throw new MessageDecodeException("protocol v2 body must be the array [args, kwargs, embed]");
        }

        var args = parts[0] as JsonArray ?? throw new MessageDecodeException("args (body[0]) must be an array");
        var kwargs = parts[1] switch
        {
            JsonObject o => o,
            null => [],
            _ => throw new MessageDecodeException("kwargs (body[1]) must be a mapping"),
        };
        var embed = parts.Count == 3 ? DecodeEmbed(parts[2]) : TaskEmbed.Empty;
        return new TaskMessage
        {
            Headers = ReadHeaders(headers, null),
            Args = Detach(args),
            Kwargs = Detach(kwargs),
            Embed = embed,
            Properties = properties,
            ProtocolVersion = 2,
        };
    }

    private static TaskMessage DecodeV1(JsonObject body, JsonObject headers, MessageProperties properties)
    {
        // v1 keeps everything in the body; message headers (hybrids) override it.
        var merged = new JsonObject();
        foreach (var (k, v) in body)
        {
            merged[k] = v?.DeepClone();
        }

        if (merged[WireNames.Taskset] is { } taskset && merged[WireNames.Group] is null)
        {
            merged[WireNames.Group] = taskset.DeepClone();
        }

        foreach (var (k, v) in headers)
        {
            merged[k] = v?.DeepClone();
        }

        var args = merged[WireNames.Args] switch
        {
            JsonArray a => a,
            null => [],
            _ => throw new MessageDecodeException("v1 'args' must be an array"),
        };
        var kwargs = merged[WireNames.Kwargs] switch
        {
            JsonObject o => o,
            null => [],
            _ => throw new MessageDecodeException("v1 'kwargs' must be a mapping"),
        };
        var embed = new TaskEmbed
        {
            Callbacks = merged[WireNames.Callbacks] as JsonArray,
            Errbacks = merged[WireNames.Errbacks] as JsonArray,
            Chord = merged[WireNames.Chord] as JsonObject,
        };
        var utc = merged[WireNames.Utc] is not JsonValue u || u.GetValueKind() != JsonValueKind.False;
        var h = ReadHeaders(merged, utc);
        h = h with
        {
            ArgsRepr = h.ArgsRepr ?? PythonRepr.Args(args),
            KwargsRepr = h.KwargsRepr ?? PythonRepr.Of(kwargs),
            Extra = ExtraWithout(h.Extra, [WireNames.Args, WireNames.Kwargs, WireNames.Utc, WireNames.Taskset, WireNames.Callbacks, WireNames.Errbacks, WireNames.Chain, WireNames.Chord]),
        };
        return new TaskMessage
        {
            Headers = h,
            Args = Detach(args),
            Kwargs = Detach(kwargs),
            Embed = embed,
            Properties = properties,
            ProtocolVersion = 1,
        };
    }

    private static TaskEmbed DecodeEmbed(JsonNode? node)
    {
        if (node is null)
        {
            return TaskEmbed.Empty;
        }

        if (node is not JsonObject embed)
        {
            throw new MessageDecodeException("embed (body[2]) must be a mapping");
        }

        return new TaskEmbed
        {
            Callbacks = Detach(embed[WireNames.Callbacks] as JsonArray),
            Errbacks = Detach(embed[WireNames.Errbacks] as JsonArray),
            Chain = Detach(embed[WireNames.Chain] as JsonArray),
            Chord = Detach(embed[WireNames.Chord] as JsonObject),
        };
    }

    private static TaskHeaders ReadHeaders(JsonObject h, bool? v1Utc)
    {
        var task = TryString(h, WireNames.Task);
        var id = TryString(h, WireNames.Id);
        if (string.IsNullOrEmpty(task))
        {
            throw new MessageDecodeException("message has no task name ('task')") { TaskId = id };
        }

        if (string.IsNullOrEmpty(id))
        {
            throw new MessageDecodeException("message has no task id ('id')") { TaskName = task };
        }

        var extra = new JsonObject();
        foreach (var (k, v) in h)
        {
            if (!KnownHeaders.Contains(k))
            {
                extra[k] = v?.DeepClone();
            }
        }

        return new TaskHeaders
        {
            Task = task,
            Id = id,
            Lang = TryString(h, WireNames.Lang) ?? "py",
            Shadow = TryString(h, WireNames.Shadow),
            Eta = ReadTime(h, WireNames.Eta, v1Utc),
            Expires = ReadTime(h, WireNames.Expires, v1Utc),
            Group = TryString(h, WireNames.Group),
            GroupIndex = TryInt(h, WireNames.GroupIndex),
            Retries = TryInt(h, WireNames.Retries) ?? 0,
            TimeLimit = ReadTimeLimit(h[WireNames.TimeLimit]),
            RootId = TryString(h, WireNames.RootId),
            ParentId = TryString(h, WireNames.ParentId),
            ArgsRepr = TryString(h, WireNames.ArgsRepr),
            KwargsRepr = TryString(h, WireNames.KwargsRepr),
            Origin = TryString(h, WireNames.Origin),
            IgnoreResult = h[WireNames.IgnoreResult] is JsonValue ir && ir.GetValueKind() == JsonValueKind.True,
            ReplacedTaskNesting = TryInt(h, WireNames.ReplacedTaskNesting),
            Extra = extra,
        };
    }

    private static DateTimeOffset? ReadTime(JsonObject h, string key, bool? v1Utc)
    {
        var node = h[key];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var text = v.GetValue<string>();
            if (!WireTime.TryParse(text, out var value))
            {
                throw new MessageDecodeException($"'{key}' is not an ISO-8601 time: '{text}'");
            }

            // v1 with utc=false meant the sender's local time; we cannot know it, so UTC is the best reading.
            _ = v1Utc;
            return value;
        }

        throw new MessageDecodeException($"'{key}' must be an ISO-8601 string");
    }

    private static TimeLimit ReadTimeLimit(JsonNode? node)
    {
        if (node is not JsonArray pair)
        {
            return TimeLimit.None;
        }

        static double? Seconds(JsonNode? n) => JsonNumbers.TryGetDouble(n, out var s) ? s : null;
        return new TimeLimit(pair.Count > 0 ? Seconds(pair[0]) : null, pair.Count > 1 ? Seconds(pair[1]) : null);
    }

    internal static string? TryString(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static int? TryInt(JsonObject obj, string key) =>
        JsonNumbers.TryGetDouble(obj[key], out var d) ? (int)d : null;

    private static JsonObject ExtraWithout(JsonObject extra, string[] names)
    {
        foreach (var n in names)
        {
            extra.Remove(n);
        }

        return extra;
    }

    private static T Detach<T>(T node)
        where T : JsonNode? => node?.Parent is null ? node! : (T)node.DeepClone();
}
