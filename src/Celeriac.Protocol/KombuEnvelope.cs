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
    /// <summary>Encodes the envelope exactly as kombu writes it (key order, base64 body).</summary>
    public byte[] Encode() => KombuJson.Serialize(ToJson());

    /// <summary>Builds the envelope's JSON object.</summary>
    public JsonObject ToJson()
    {
        var m = Message;
        var p = m.Properties;
        var props = new JsonObject();
        if (p.CorrelationId is not null)
        {
            props[WireNames.CorrelationId] = p.CorrelationId;
        }

        if (p.ReplyTo is not null)
        {
            props[WireNames.ReplyTo] = p.ReplyTo;
        }

        if (p.DeliveryMode is { } mode)
        {
            props[WireNames.DeliveryMode] = mode;
        }

        if (p.Expiration is not null)
        {
            props[WireNames.Expiration] = p.Expiration;
        }

        if (p.Extra is not null)
        {
            foreach (var (k, v) in p.Extra)
            {
                props[k] = v?.DeepClone();
            }
        }

        var info = new JsonObject { [WireNames.Exchange] = Exchange, [WireNames.RoutingKey] = RoutingKey };
        if (Redelivered)
        {
            info[WireNames.Redelivered] = true;
        }

        props[WireNames.DeliveryInfo] = info;
        props[WireNames.Priority] = p.Priority ?? 0;
        props[WireNames.BodyEncoding] = WireNames.Base64;
        props[WireNames.DeliveryTag] = DeliveryTag;

        var headers = m.Headers.DeepClone().AsObject();
        if (Redelivered)
        {
            headers[WireNames.Redelivered] = true;
        }

        return new JsonObject
        {
            [WireNames.EnvelopeBody] = Convert.ToBase64String(m.Body.Span),
            [WireNames.EnvelopeContentEncoding] = m.ContentEncoding,
            [WireNames.EnvelopeContentType] = m.ContentType,
            [WireNames.EnvelopeHeaders] = headers,
            [WireNames.EnvelopeProperties] = props,
        };
    }

    /// <summary>Decodes an envelope. The body is base64-decoded when <c>body_encoding</c> says so; otherwise used as text.</summary>
    /// <exception cref="MessageDecodeException">Not JSON, not an object, or a body that is not valid base64.</exception>
    public static KombuEnvelope Decode(ReadOnlySpan<byte> utf8)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8);
        }
        catch (JsonException ex)
        {
            throw new MessageDecodeException($"envelope is not valid JSON: {ex.Message}", ex);
        }

        if (node is not JsonObject env)
        {
            throw new MessageDecodeException("envelope must be a JSON object");
        }

        var headers = env[WireNames.EnvelopeHeaders] as JsonObject ?? [];
        env.Remove(WireNames.EnvelopeHeaders);
        var props = env[WireNames.EnvelopeProperties] as JsonObject ?? [];
        var bodyEncoding = TaskMessageCodec.TryString(props, WireNames.BodyEncoding);
        var bodyText = env[WireNames.EnvelopeBody] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            null => string.Empty,
            var other => other.ToJsonString(),
        };
        byte[] body;
        if (string.Equals(bodyEncoding, WireNames.Base64, StringComparison.Ordinal))
        {
            try
            {
                body = Convert.FromBase64String(bodyText);
            }
            catch (FormatException ex)
            {
                throw new MessageDecodeException("envelope body is not valid base64", ex) { TaskId = TaskMessageCodec.TryString(headers, WireNames.Id) };
            }
        }
        else
        {
            body = Encoding.UTF8.GetBytes(bodyText);
        }

        var info = props[WireNames.DeliveryInfo] as JsonObject;
        var extra = new JsonObject();
        foreach (var (k, v) in props)
        {
            if (k is not (WireNames.CorrelationId or WireNames.ReplyTo or WireNames.DeliveryMode or WireNames.Priority
                or WireNames.Expiration or WireNames.DeliveryInfo or WireNames.BodyEncoding or WireNames.DeliveryTag))
            {
                extra[k] = v?.DeepClone();
            }
        }

        var properties = new MessageProperties
        {
            CorrelationId = TaskMessageCodec.TryString(props, WireNames.CorrelationId),
            ReplyTo = TaskMessageCodec.TryString(props, WireNames.ReplyTo),
            DeliveryMode = props[WireNames.DeliveryMode] is JsonValue dm && dm.TryGetValue<int>(out var mode) ? mode : null,
            Priority = props[WireNames.Priority] is JsonValue pr && pr.TryGetValue<int>(out var prio) ? prio : null,
            Expiration = props[WireNames.Expiration]?.ToString(),
            Extra = extra.Count > 0 ? extra : null,
        };
        var message = new TransportMessage
        {
            Body = body,
            ContentType = TaskMessageCodec.TryString(env, WireNames.EnvelopeContentType) ?? string.Empty,
            ContentEncoding = TaskMessageCodec.TryString(env, WireNames.EnvelopeContentEncoding) ?? ContentTypes.Utf8Encoding,
            Headers = headers,
            Properties = properties,
        };
        var redelivered = (info?[WireNames.Redelivered] is JsonValue r && r.GetValueKind() == JsonValueKind.True)
            || (headers[WireNames.Redelivered] is JsonValue hr && hr.GetValueKind() == JsonValueKind.True);
        return new KombuEnvelope(
            message,
            info is null ? string.Empty : TaskMessageCodec.TryString(info, WireNames.Exchange) ?? string.Empty,
            info is null ? string.Empty : TaskMessageCodec.TryString(info, WireNames.RoutingKey) ?? string.Empty,
            TaskMessageCodec.TryString(props, WireNames.DeliveryTag) ?? string.Empty,
            redelivered);
    }
}
