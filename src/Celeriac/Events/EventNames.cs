namespace Celeriac.Events;

/// <summary>
/// Event exchange, types and header names. Source: celery/events/dispatcher.py, celery/events/event.py,
/// celery/worker/heartbeat.py, celery/app/defaults.py (event_exchange, event_queue_ttl, event_queue_expires).
/// </summary>
public static class EventNames
{
    /// <summary>The event exchange (topic on AMQP; fanout on Redis).</summary>
    public const string Exchange = "celeryev";

    /// <summary>Prefix of receiver queues: <c>celeryev.&lt;uuid&gt;</c>.</summary>
    public const string QueuePrefix = "celeryev.";

    /// <summary>The message header naming the sender.</summary>
    public const string HostnameHeader = "hostname";

    /// <summary>Routing key of batched task events (a JSON list body).</summary>
    public const string MultiRoutingKey = "task.multi";

    /// <summary>Receiver queues drop events older than this (<c>event_queue_ttl</c>).</summary>
    public static readonly TimeSpan QueueTtl = TimeSpan.FromSeconds(5);

    /// <summary>Receiver queues unused this long are deleted (<c>event_queue_expires</c>).</summary>
    public static readonly TimeSpan QueueExpires = TimeSpan.FromSeconds(60);

    /// <summary>The default heartbeat interval (<c>freq</c>).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

#pragma warning disable CS1591 // Each constant is the Celery event type of the same name.
    public const string WorkerOnline = "worker-online";
    public const string WorkerHeartbeat = "worker-heartbeat";
    public const string WorkerOffline = "worker-offline";
    public const string TaskSent = "task-sent";
    public const string TaskReceived = "task-received";
    public const string TaskStarted = "task-started";
    public const string TaskSucceeded = "task-succeeded";
    public const string TaskFailed = "task-failed";
    public const string TaskRetried = "task-retried";
    public const string TaskRevoked = "task-revoked";
    public const string TaskRejected = "task-rejected";
#pragma warning restore CS1591

    /// <summary>
    /// The type of the event exchange on a transport: topic, except on Redis where Celery forces fanout (PUB/SUB).
    /// Source: celery/events/event.py (get_exchange).
    /// </summary>
    public static Transport.ExchangeType ExchangeTypeFor(Transport.ITransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return transport.Capabilities.Name == "redis" ? Transport.ExchangeType.Fanout : Transport.ExchangeType.Topic;
    }

    /// <summary>The routing key of an event type: <c>task-succeeded</c> → <c>task.succeeded</c>.</summary>
    public static string RoutingKey(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.Replace('-', '.');
    }
}
