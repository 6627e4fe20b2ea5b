using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// The AMQP-style basic properties of a message (Celery §2.1). On Redis they travel in the envelope's
/// <c>properties</c> object; on AMQP in the basic properties.
/// </summary>
public sealed record MessageProperties
{
    /// <summary>The task id for task messages; used by the rpc backend to tag results.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The sender's reply queue (its oid); Celery always sets it.</summary>
    public string? ReplyTo { get; init; }

    /// <summary>2 = persistent (tasks), 1 = transient (events, pidbox replies).</summary>
    public int? DeliveryMode { get; init; }

    /// <summary>Message priority 0..255; Celery writes 0 when unset.</summary>
    public int? Priority { get; init; }

    /// <summary>Per-message TTL in milliseconds as text (AMQP <c>expiration</c>), set from <c>expires</c>.</summary>
    public string? Expiration { get; init; }

    /// <summary>
    /// Property keys this model does not name (Python 5.2 leaks apply_async options such as
    /// <c>replaced_task_nesting</c> here). Kept so that a message can be forwarded unchanged.
    /// </summary>
    public JsonObject? Extra { get; init; }
}
