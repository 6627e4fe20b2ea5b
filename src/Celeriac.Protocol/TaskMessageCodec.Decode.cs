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

    // v1 body fields that become args, kwargs and the embed rather than headers.
    private static readonly string[] V1BodyOnly =
    [
        WireNames.Args, WireNames.Kwargs, WireNames.Utc, WireNames.Taskset, WireNames.Callbacks, WireNames.Errbacks,
        WireNames.Chain, WireNames.Chord,
    ];

    /// <summary>
    /// Decodes a task message. v2 is recognised by the <c>task</c> header; without it the body is read as v1;
    /// a v2 header with a v1-shaped body is a hybrid, read from the body then overridden by the headers.
    /// The transport message is not modified, and the result shares no nodes with it.
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

        // The properties record is immutable but its Extra object is not: the result gets its own copy.
        var properties = message.Properties.Extra is { } extraProperties
            ? message.Properties with { Extra = extraProperties.DeepClone().AsObject() }
            : message.Properties;
        try
        {
            // The body tree is parsed here and owned by this call, so its nodes are moved into the result, not cloned.
            var body = KombuJson.Parse(message.Body.Span);
            if (headerTask is not null)
            {
                return body is JsonObject hybrid && hybrid.ContainsKey(WireNames.Args)
                    ? DecodeV1(hybrid, headers, properties)
                    : DecodeV2(body, headers, properties);
            }

            if (body is JsonObject v1)
            {
                return DecodeV1(v1, headers, properties);
            }

            throw new MessageDecodeException("message has no 'task' header and its body is not a protocol v1 object");
        }
        catch (MessageDecodeException ex) when (ex.TaskId is null && headerId is not null)
        {
            throw new MessageDecodeException(ex.Message, ex) { TaskId = headerId, TaskName = headerTask ?? ex.TaskName };
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or JsonException)
        {
            // A safety net: every shape check above throws MessageDecodeException itself.
            throw new MessageDecodeException($"malformed task message: {ex.Message}", ex) { TaskId = headerId, TaskName = headerTask };
        }
    }

    private static TaskMessage DecodeV2(JsonNode? body, JsonObject headers, MessageProperties properties)
    {
        // Celery writes [args, kwargs, embed]; [args, kwargs] is read with an empty embed.
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
        var embedNode = parts.Count == 3 ? parts[2] : null;
        parts.Clear();
        return new TaskMessage
        {
            Headers = ReadHeaders(headers, owned: false),
            Args = args,
            Kwargs = kwargs,
            Embed = DecodeEmbed(embedNode),
            Properties = properties,
            ProtocolVersion = 2,
        };
    }

    private static TaskMessage DecodeV1(JsonObject body, JsonObject headers, MessageProperties properties)
    {
        // v1 keeps everything in the body; message headers (hybrids) override it. The body is ours to change.
        if (body[WireNames.Taskset] is { } taskset && body[WireNames.Group] is null)
        {
            body[WireNames.Group] = taskset.DeepClone();
        }

        foreach (var (k, v) in headers)
        {
            body[k] = v?.DeepClone();
        }

        var args = Take(body, WireNames.Args) switch
        {
            JsonArray a => a,
            null => [],
            _ => throw new MessageDecodeException("v1 'args' must be an array"),
        };
        var kwargs = Take(body, WireNames.Kwargs) switch
        {
            JsonObject o => o,
            null => [],
            _ => throw new MessageDecodeException("v1 'kwargs' must be a mapping"),
        };

        // v1 has no chain; Celery's proto1_to_proto2 builds the embed with chain None.
        var embed = new TaskEmbed
        {
            Callbacks = Take(body, WireNames.Callbacks) as JsonArray,
            Errbacks = Take(body, WireNames.Errbacks) as JsonArray,
            Chord = Take(body, WireNames.Chord) as JsonObject,
        };
        foreach (var name in V1BodyOnly)
        {
            body.Remove(name);
        }

        var h = ReadHeaders(body, owned: true);
        return new TaskMessage
        {
            Headers = h with
            {
                ArgsRepr = h.ArgsRepr ?? PythonRepr.Args(args),
                KwargsRepr = h.KwargsRepr ?? PythonRepr.Of(kwargs),
            },
            Args = args,
            Kwargs = kwargs,
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

        var result = new TaskEmbed
        {
            Callbacks = embed[WireNames.Callbacks] as JsonArray,
            Errbacks = embed[WireNames.Errbacks] as JsonArray,
            Chain = embed[WireNames.Chain] as JsonArray,
            Chord = embed[WireNames.Chord] as JsonObject,
        };
        embed.Clear();
        return result;
    }

    private static TaskHeaders ReadHeaders(JsonObject h, bool owned)
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

        var headers = new TaskHeaders
        {
            Task = task,
            Id = id,
            Lang = TryString(h, WireNames.Lang) ?? "py",
            Shadow = TryString(h, WireNames.Shadow),
            Eta = ReadTime(h, WireNames.Eta),
            Expires = ReadTime(h, WireNames.Expires),
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
        };

        List<KeyValuePair<string, JsonNode?>>? unknown = null;
        for (var i = 0; i < h.Count; i++)
        {
            var pair = h.GetAt(i);
            if (!KnownHeaders.Contains(pair.Key))
            {
                (unknown ??= []).Add(pair);
            }
        }

        if (unknown is null)
        {
            return headers;
        }

        // A node has one parent: an owned object is emptied to free its nodes, anything else is copied.
        if (owned)
        {
            h.Clear();
        }

        var extra = headers.Extra;
        foreach (var (k, v) in unknown)
        {
            extra[k] = owned ? v : v?.DeepClone();
        }

        return headers;
    }

    // Naive text is UTC (Celery's maybe_make_aware). A v1 message with utc=false meant the sender's local zone,
    // which the message does not name, so UTC is the only reading for it too.
    private static DateTimeOffset? ReadTime(JsonObject h, string key)
    {
        var node = h[key];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var text = v.GetValue<string>();
            return WireTime.TryParse(text, out var value)
                ? value
                : throw new MessageDecodeException($"'{key}' is not an ISO-8601 time: '{text}'");
        }

        throw new MessageDecodeException($"'{key}' must be an ISO-8601 string, not {node.ToJsonString()}");
    }

    private static TimeLimit ReadTimeLimit(JsonNode? node)
    {
        if (node is not JsonArray pair)
        {
            return TimeLimit.None;
        }

        static double? Seconds(JsonNode? n) => PythonNumber.TryGetDouble(n, out var s) ? s : null;
        return new TimeLimit(pair.Count > 0 ? Seconds(pair[0]) : null, pair.Count > 1 ? Seconds(pair[1]) : null);
    }

    internal static string? TryString(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    // Whole numbers in int range only: a retries of 1e30 is not a count we can act on.
    private static int? TryInt(JsonObject obj, string key) => PythonNumber.TryGetInt32(obj[key], out var i) ? i : null;

    private static JsonNode? Take(JsonObject obj, string key)
    {
        var value = obj[key];
        obj.Remove(key);
        return value;
    }
}
