using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// One message as a transport carries it: opaque body bytes, content type, headers and properties.
/// Transports move these without knowing what a task is.
/// </summary>
public sealed class TransportMessage
{
    /// <summary>The serialized body (for tasks: <c>[args, kwargs, embed]</c> as JSON).</summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The MIME type of <see cref="Body"/>, e.g. <c>application/json</c>.</summary>
    public string ContentType { get; init; } = ContentTypes.Json;

    /// <summary>The text encoding of <see cref="Body"/>: <c>utf-8</c> for JSON, <c>binary</c> otherwise.</summary>
    public string ContentEncoding { get; init; } = ContentTypes.Utf8Encoding;

    /// <summary>Message headers (AMQP application headers). Values are JSON values.</summary>
    public JsonObject Headers { get; init; } = [];

    /// <summary>The basic properties.</summary>
    public MessageProperties Properties { get; init; } = new();
}
