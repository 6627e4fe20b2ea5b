using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// A remote-control request on the <c>celery.pidbox</c> fanout exchange (Celery §8.2).
/// Source: kombu/pidbox.py (Mailbox._broadcast, Node.handle_message).
/// </summary>
public sealed record PidboxRequest
{
    /// <summary>The command, e.g. <c>ping</c>.</summary>
    public required string Method { get; init; }

    /// <summary>Keyword arguments of the command.</summary>
    public JsonObject Arguments { get; init; } = [];

    /// <summary>Node names that should act; null means all.</summary>
    public IReadOnlyList<string>? Destination { get; init; }

    /// <summary>A node-name pattern (with <see cref="Matcher"/>), instead of a destination list.</summary>
    public string? Pattern { get; init; }

    /// <summary><c>glob</c> (default) or <c>pcre</c>.</summary>
    public string? Matcher { get; init; }

    /// <summary>The reply correlation id; null for fire-and-forget (cast).</summary>
    public string? Ticket { get; init; }

    /// <summary>Where replies go: exchange and routing key; null for cast.</summary>
    public (string Exchange, string RoutingKey)? ReplyTo { get; init; }

    /// <summary>Encodes the body as kombu writes it.</summary>
    public byte[] Encode()
    {
        var body = new JsonObject
        {
            ["method"] = Method,
            ["arguments"] = Arguments.DeepClone(),
            ["destination"] = Destination is null ? null : new JsonArray([.. Destination.Select(d => (JsonNode?)JsonValue.Create(d))]),
            ["pattern"] = Pattern,
            ["matcher"] = Matcher,
        };
        if (Ticket is not null && ReplyTo is { } replyTo)
        {
            body["ticket"] = Ticket;
            body["reply_to"] = new JsonObject { ["exchange"] = replyTo.Exchange, ["routing_key"] = replyTo.RoutingKey };
        }

        return KombuJson.Serialize(body);
    }

    /// <summary>Decodes a request body.</summary>
    /// <exception cref="MessageDecodeException">Not a control request.</exception>
    public static PidboxRequest Decode(ReadOnlySpan<byte> utf8)
    {
        if (KombuJson.Parse(utf8) is not JsonObject body || TaskMessageCodec.TryString(body, "method") is not { } method)
        {
            throw new MessageDecodeException("control request must be an object with a 'method'");
        }

        (string, string)? replyTo = body["reply_to"] is JsonObject r
            ? (TaskMessageCodec.TryString(r, "exchange") ?? string.Empty, TaskMessageCodec.TryString(r, "routing_key") ?? string.Empty)
            : null;
        return new PidboxRequest
        {
            Method = method,
            Arguments = body["arguments"] as JsonObject is { } a ? (JsonObject)a.DeepClone() : [],
            Destination = body["destination"] is JsonArray d ? [.. d.Select(n => n?.ToString() ?? string.Empty)] : null,
            Pattern = TaskMessageCodec.TryString(body, "pattern"),
            Matcher = TaskMessageCodec.TryString(body, "matcher"),
            Ticket = TaskMessageCodec.TryString(body, "ticket"),
            ReplyTo = replyTo,
        };
    }
}
