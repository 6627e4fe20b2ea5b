namespace Celeriac;

/// <summary>Broker settings.</summary>
public sealed record BrokerOptions
{
    /// <summary><c>broker_transport_options</c>, by kombu's names (<c>visibility_timeout</c>, <c>polling_interval</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> TransportOptions { get; init; } = new Dictionary<string, string>();

    /// <summary><c>broker_connection_timeout</c>.</summary>
    public TimeSpan ConnectionTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// <c>broker_native_delayed_delivery_queue_type</c> (Celery 5.5): the type of the 28 delay queues of RabbitMQ's
    /// native delayed delivery, <c>quorum</c> (the default) or <c>classic</c>.
    /// </summary>
    public string NativeDelayedDeliveryQueueType { get; init; } = TaskOptions.QuorumQueueType;
}
