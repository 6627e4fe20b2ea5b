using Celeriac.Protocol;
using RabbitMQ.Client;

namespace Celeriac.RabbitMQ;

/// <summary>
/// <see cref="TransportMessage"/> ⇄ AMQP basic properties, headers and body (Celery §6.2): the body travels raw (no
/// base64), headers as the <c>headers</c> table, the standard properties as themselves. AMQP carries only the 14
/// standard properties, so property keys beyond them (<see cref="MessageProperties.Extra"/>) are dropped, as py-amqp does.
/// </summary>
internal static class AmqpMessages
{
    public static BasicProperties ToProperties(TransportMessage message)
    {
        var p = message.Properties;
        var properties = new BasicProperties
        {
            ContentType = message.ContentType,
            ContentEncoding = message.ContentEncoding,
            Headers = AmqpHeaders.ToTable(message.Headers),
        };
        if (p.DeliveryMode is { } mode)
        {
            properties.DeliveryMode = mode == 2 ? DeliveryModes.Persistent : DeliveryModes.Transient;
        }

        if (p.Priority is { } priority)
        {
            properties.Priority = (byte)Math.Clamp(priority, 0, 255);
        }

        if (p.CorrelationId is { } correlationId)
        {
            properties.CorrelationId = correlationId;
        }

        if (p.ReplyTo is { } replyTo)
        {
            properties.ReplyTo = replyTo;
        }

        if (p.Expiration is { } expiration)
        {
            properties.Expiration = expiration;
        }

        return properties;
    }

    public static TransportMessage FromDelivery(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body) => new()
    {
        // The delivery's body buffer is the client's and is reused after the handler returns: copy it.
        Body = body.ToArray(),
        ContentType = properties.IsContentTypePresent() ? properties.ContentType! : ContentTypes.Json,
        ContentEncoding = properties.IsContentEncodingPresent() ? properties.ContentEncoding! : ContentTypes.Utf8Encoding,
        Headers = AmqpHeaders.FromTable(properties.IsHeadersPresent() ? properties.Headers : null),
        Properties = new MessageProperties
        {
            CorrelationId = properties.IsCorrelationIdPresent() ? properties.CorrelationId : null,
            ReplyTo = properties.IsReplyToPresent() ? properties.ReplyTo : null,
            DeliveryMode = properties.IsDeliveryModePresent() ? (int)properties.DeliveryMode : null,
            Priority = properties.IsPriorityPresent() ? properties.Priority : null,
            Expiration = properties.IsExpirationPresent() ? properties.Expiration : null,
        },
    };
}
