using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// <see cref="TransportMessage"/> &lt;-&gt; <see cref="TaskMessage"/>: protocol v2 write and read, v1 and hybrid read.
/// Sources: celery/app/amqp.py (as_task_v2), celery/worker/strategy.py (hybrid_to_proto2, proto1_to_proto2).
/// </summary>
public static partial class TaskMessageCodec
{
    /// <summary>Encodes a task message as Python Celery 5.2 would: every v2 header, body <c>[args, kwargs, embed]</c>.</summary>
    public static TransportMessage Encode(TaskMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var h = message.Headers;

        // Key order is as_task_v2's; Python always writes every key, nulls included.
        var headers = new JsonObject
        {
            [WireNames.Lang] = h.Lang,
            [WireNames.Task] = h.Task,
            [WireNames.Id] = h.Id,
            [WireNames.Shadow] = h.Shadow,
            [WireNames.Eta] = h.Eta is { } eta ? WireTime.FormatAware(eta) : null,
            [WireNames.Expires] = h.Expires is { } exp ? WireTime.FormatAware(exp) : null,
            [WireNames.Group] = h.Group,
            [WireNames.GroupIndex] = h.GroupIndex,
            [WireNames.Retries] = h.Retries,
            [WireNames.TimeLimit] = new JsonArray(ToNode(h.TimeLimit.Hard), ToNode(h.TimeLimit.Soft)),
            [WireNames.RootId] = h.RootId ?? h.Id,
            [WireNames.ParentId] = h.ParentId,
            [WireNames.ArgsRepr] = h.ArgsRepr ?? PythonRepr.Args(message.Args),
            [WireNames.KwargsRepr] = h.KwargsRepr ?? PythonRepr.Of(message.Kwargs),
            [WireNames.Origin] = h.Origin,
            [WireNames.IgnoreResult] = h.IgnoreResult,
        };
        if (h.ReplacedTaskNesting is { } nesting)
        {
            headers[WireNames.ReplacedTaskNesting] = nesting;
        }

        foreach (var (key, value) in h.Extra)
        {
            // A node has one parent: the message keeps its own, the transport message gets a copy.
            headers[key] = value?.DeepClone();
        }

        var props = message.Properties;
        return new TransportMessage
        {
            Body = EncodeBody(message),
            ContentType = ContentTypes.Json,
            ContentEncoding = ContentTypes.Utf8Encoding,
            Headers = headers,
            Properties = props with
            {
                CorrelationId = props.CorrelationId ?? h.Id,
                DeliveryMode = props.DeliveryMode ?? 2,
                Priority = props.Priority ?? 0,
                Extra = props.Extra?.DeepClone().AsObject(),
            },
        };
    }

    /// <summary>Encodes the embed dict; Python always writes all four keys.</summary>
    public static JsonObject EncodeEmbed(TaskEmbed embed)
    {
        ArgumentNullException.ThrowIfNull(embed);
        return new JsonObject
        {
            [WireNames.Callbacks] = embed.Callbacks?.DeepClone(),
            [WireNames.Errbacks] = embed.Errbacks?.DeepClone(),
            [WireNames.Chain] = embed.Chain?.DeepClone(),
            [WireNames.Chord] = embed.Chord?.DeepClone(),
        };
    }

    // Written straight from the message's nodes: building a JsonArray first would need a deep clone of each.
    private static byte[] EncodeBody(TaskMessage message)
    {
        using var w = new PythonJsonWriter();
        w.BeginArray();
        w.Item();
        w.Node(message.Args);
        w.Item();
        w.Node(message.Kwargs);
        w.Item();
        var embed = message.Embed;
        w.BeginObject();
        w.Property(WireNames.Callbacks);
        w.Node(embed.Callbacks);
        w.Property(WireNames.Errbacks);
        w.Node(embed.Errbacks);
        w.Property(WireNames.Chain);
        w.Node(embed.Chain);
        w.Property(WireNames.Chord);
        w.Node(embed.Chord);
        w.EndObject();
        w.EndArray();
        return w.ToArray();
    }

    private static JsonValue? ToNode(double? seconds) => seconds switch
    {
        null => null,

        // Whole seconds are written as ints, as Python writes time_limit=30.
        { } s when s == Math.Floor(s) && Math.Abs(s) < long.MaxValue => JsonValue.Create((long)s),
        { } s => JsonValue.Create(s),
    };
}
