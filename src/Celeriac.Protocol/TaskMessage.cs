using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// A decoded task message: headers, positional and keyword arguments, the canvas embed and the properties.
/// </summary>
public sealed record TaskMessage
{
    /// <summary>The v2 headers (synthesised from the body for v1 messages).</summary>
    public required TaskHeaders Headers { get; init; }

    /// <summary>Positional arguments.</summary>
    public JsonArray Args { get; init; } = [];

    /// <summary>Keyword arguments.</summary>
    public JsonObject Kwargs { get; init; } = [];

    /// <summary>Callbacks, errbacks, chain and chord.</summary>
    public TaskEmbed Embed { get; init; } = TaskEmbed.Empty;

    /// <summary>Basic properties (correlation id, reply_to, priority, ...).</summary>
    public MessageProperties Properties { get; init; } = new();

    /// <summary>The protocol version the message was read from: 2, or 1 for legacy messages.</summary>
    public int ProtocolVersion { get; init; } = 2;
}
