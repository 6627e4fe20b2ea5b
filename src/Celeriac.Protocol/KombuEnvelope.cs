using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// kombu's virtual-transport envelope: one Redis list element (and one SQLite row) holding a whole message,
/// body base64-encoded (Celery §4.2).
/// Source: kombu/transport/virtual/base.py (Channel.prepare_message, Message), kombu/transport/redis.py.
/// </summary>
/// <param name="Message">The message.</param>
/// <param name="Exchange">The exchange it was published to (<c>""</c> = default exchange).</param>
/// <param name="RoutingKey">The routing key it was published with.</param>
/// <param name="DeliveryTag">The delivery tag (a UUID4 string) that identifies it in <c>unacked</c>.</param>
/// <param name="Redelivered">Whether a restore put it back.</param>
public sealed record KombuEnvelope(TransportMessage Message, string Exchange, string RoutingKey, string DeliveryTag, bool Redelivered = false)
{
    /// <summary>
    /// Encodes the envelope exactly as kombu writes it: key order, base64 body, properties in the order
    /// <c>correlation_id, reply_to, delivery_mode, expiration, (other properties), delivery_info, priority,
    /// body_encoding, delivery_tag</c>. A <c>redelivered</c> flag is written to the headers and to <c>delivery_info</c>.
    /// </summary>
    public byte[] Encode()
    {
        var m = Message;
        using var w = new PythonJsonWriter(1024);
        w.BeginObject();
        w.Property(WireNames.EnvelopeBody);
        w.Base64String(m.Body.Span);
        w.Property(WireNames.EnvelopeContentEncoding);
        w.String(m.ContentEncoding);
        w.Property(WireNames.EnvelopeContentType);
        w.String(m.ContentType);

        w.Property(WireNames.EnvelopeHeaders);
        w.BeginObject();
        var wroteRedelivered = false;
        var headers = m.Headers;
        for (var i = 0; i < headers.Count; i++)
        {
            var (key, value) = headers.GetAt(i);
            w.Property(key);
            if (Redelivered && key == WireNames.Redelivered)
            {
                w.Bool(true);
                wroteRedelivered = true;
            }
            else
            {
                w.Node(value);
            }
        }

        if (Redelivered && !wroteRedelivered)
        {
            w.Property(WireNames.Redelivered);
            w.Bool(true);
        }

        w.EndObject();

        var p = m.Properties;
        w.Property(WireNames.EnvelopeProperties);
        w.BeginObject();
        if (p.CorrelationId is not null)
        {
            w.Property(WireNames.CorrelationId);
            w.String(p.CorrelationId);
        }

        if (p.ReplyTo is not null)
        {
            w.Property(WireNames.ReplyTo);
            w.String(p.ReplyTo);
        }

        if (p.DeliveryMode is { } mode)
        {
            w.Property(WireNames.DeliveryMode);
            w.Number(mode);
        }

        if (p.Expiration is not null)
        {
            w.Property(WireNames.Expiration);
            w.String(p.Expiration);
        }

        if (p.Extra is not null)
        {
            for (var i = 0; i < p.Extra.Count; i++)
            {
                var (k, v) = p.Extra.GetAt(i);
                if (!IsEnvelopeProperty(k))
                {
                    w.Property(k);
                    w.Node(v);
                }
            }
        }

        w.Property(WireNames.DeliveryInfo);
        w.BeginObject();
        w.Property(WireNames.Exchange);
        w.String(Exchange);
        w.Property(WireNames.RoutingKey);
        w.String(RoutingKey);
        if (Redelivered)
        {
            w.Property(WireNames.Redelivered);
            w.Bool(true);
        }

        w.EndObject();
        w.Property(WireNames.Priority);
        w.Number(p.Priority ?? 0);
        w.Property(WireNames.BodyEncoding);
        w.String(WireNames.Base64);
        w.Property(WireNames.DeliveryTag);
        w.String(DeliveryTag);
        w.EndObject();

        w.EndObject();
        return w.ToArray();
    }

    /// <summary>The envelope as a JSON object: <see cref="Encode"/>'s output parsed back, so it shares no nodes with <see cref="Message"/>.</summary>
    public JsonObject ToJson() => JsonNode.Parse(Encode())!.AsObject();

    /// <summary>
    /// Decodes an envelope. The body is base64-decoded when <c>body_encoding</c> is <c>base64</c>; otherwise it is
    /// the body text itself (Celery §2.6: a raw JSON body is accepted). kombu 5.3+ typed values are unwrapped.
    /// </summary>
    /// <exception cref="MessageDecodeException">Not JSON, not an object, or a body that is not valid base64.</exception>
    public static KombuEnvelope Decode(ReadOnlySpan<byte> utf8)
    {
        if (KombuJson.Parse(utf8, "envelope") is not JsonObject env)
        {
            throw new MessageDecodeException("envelope must be a JSON object");
        }

        // The tree is ours: the headers object is detached and handed to the message as it is.
        var headers = env[WireNames.EnvelopeHeaders] as JsonObject ?? [];
        env.Remove(WireNames.EnvelopeHeaders);
        var props = env[WireNames.EnvelopeProperties] as JsonObject ?? [];
        var bodyEncoding = TaskMessageCodec.TryString(props, WireNames.BodyEncoding);
        byte[] body;
        try
        {
            body = ReadBody(env[WireNames.EnvelopeBody], string.Equals(bodyEncoding, WireNames.Base64, StringComparison.Ordinal));
        }
        catch (FormatException ex)
        {
            throw new MessageDecodeException("envelope body is not valid base64", ex)
            {
                TaskId = TaskMessageCodec.TryString(headers, WireNames.Id),
                TaskName = TaskMessageCodec.TryString(headers, WireNames.Task),
            };
        }

        var info = props[WireNames.DeliveryInfo] as JsonObject;
        JsonObject? extra = null;
        List<string>? extraKeys = null;
        foreach (var (k, _) in props)
        {
            if (!IsEnvelopeProperty(k))
            {
                (extraKeys ??= []).Add(k);
            }
        }

        if (extraKeys is not null)
        {
            extra = [];
            foreach (var k in extraKeys)
            {
                var v = props[k];
                props.Remove(k);
                extra[k] = v;
            }
        }

        var properties = new MessageProperties
        {
            CorrelationId = TaskMessageCodec.TryString(props, WireNames.CorrelationId),
            ReplyTo = TaskMessageCodec.TryString(props, WireNames.ReplyTo),
            DeliveryMode = PythonNumber.TryGetInt32(props[WireNames.DeliveryMode], out var mode) ? mode : null,
            Priority = PythonNumber.TryGetInt32(props[WireNames.Priority], out var priority) ? priority : null,
            Expiration = props[WireNames.Expiration] switch
            {
                // AMQP's expiration is text; other writers may have put the number itself.
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonValue v when v.GetValueKind() == JsonValueKind.Number => PythonNumber.Format(v),
                _ => null,
            },
            Extra = extra,
        };
        var message = new TransportMessage
        {
            Body = body,
            ContentType = TaskMessageCodec.TryString(env, WireNames.EnvelopeContentType) ?? string.Empty,
            ContentEncoding = TaskMessageCodec.TryString(env, WireNames.EnvelopeContentEncoding) ?? ContentTypes.Utf8Encoding,
            Headers = headers,
            Properties = properties,
        };
        var redelivered = IsTrue(info?[WireNames.Redelivered]) || IsTrue(headers[WireNames.Redelivered]);
        return new KombuEnvelope(
            message,
            info is null ? string.Empty : TaskMessageCodec.TryString(info, WireNames.Exchange) ?? string.Empty,
            info is null ? string.Empty : TaskMessageCodec.TryString(info, WireNames.RoutingKey) ?? string.Empty,
            TaskMessageCodec.TryString(props, WireNames.DeliveryTag) ?? string.Empty,
            redelivered);
    }

    private static byte[] ReadBody(JsonNode? node, bool base64)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            // kombu always writes a string; anything else is taken as the JSON body itself.
            return node is null ? [] : Encoding.UTF8.GetBytes(node.ToJsonString());
        }

        if (!base64)
        {
            return Encoding.UTF8.GetBytes(value.GetValue<string>());
        }

        // Fast path: decode straight from the parsed UTF-8 when the JSON string has no escapes.
        if (value.TryGetValue<JsonElement>(out var element))
        {
            var raw = JsonMarshal.GetRawUtf8Value(element)[1..^1];
            if (raw.Length % 4 == 0 && raw.IndexOf((byte)'\\') < 0)
            {
                var padding = raw.EndsWith("=="u8) ? 2 : raw.EndsWith("="u8) ? 1 : 0;
                var decoded = new byte[(raw.Length / 4 * 3) - padding];
                if (Base64.DecodeFromUtf8(raw, decoded, out _, out var written) == OperationStatus.Done && written == decoded.Length)
                {
                    return decoded;
                }
            }
        }

        // Whitespace and other oddities: the lenient decoder (throws FormatException on bad input).
        return Convert.FromBase64String(value.GetValue<string>());
    }

    private static bool IsEnvelopeProperty(string key) =>
        key is WireNames.CorrelationId or WireNames.ReplyTo or WireNames.DeliveryMode or WireNames.Priority
            or WireNames.Expiration or WireNames.DeliveryInfo or WireNames.BodyEncoding or WireNames.DeliveryTag;

    private static bool IsTrue(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.True;
}
