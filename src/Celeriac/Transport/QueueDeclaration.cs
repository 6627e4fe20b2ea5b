namespace Celeriac.Transport;

/// <summary>A queue to declare, with kombu's queue options.</summary>
/// <param name="Name">The queue name.</param>
/// <param name="Durable">Survives a broker restart.</param>
/// <param name="AutoDelete">Deleted when its last consumer goes.</param>
/// <param name="Exclusive">Only the declaring connection may use it.</param>
public sealed record QueueDeclaration(string Name, bool Durable = true, bool AutoDelete = false, bool Exclusive = false)
{
    /// <summary><c>x-max-priority</c>, when priorities are configured.</summary>
    public int? MaxPriority { get; init; }

    /// <summary><c>x-message-ttl</c>: messages older than this are dropped.</summary>
    public TimeSpan? MessageTtl { get; init; }

    /// <summary><c>x-expires</c>: the queue is deleted after this long unused.</summary>
    public TimeSpan? Expires { get; init; }

    /// <summary>
    /// <c>x-queue-type</c> on AMQP: <c>quorum</c> for a replicated quorum queue (Celery 5.5's
    /// <c>task_default_queue_type</c>); null is the broker's default (classic). Other transports ignore it.
    /// </summary>
    public string? QueueType { get; init; }

    /// <summary>
    /// The declaration of a task queue as Celery's app declares it: durable, with <c>task_queue_max_priority</c> and
    /// <c>task_default_queue_type</c> applied (a quorum queue takes no <c>x-max-priority</c> before RabbitMQ 4).
    /// </summary>
    public static QueueDeclaration ForTasks(string name, TaskOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var quorum = string.Equals(options.DefaultQueueType, TaskOptions.QuorumQueueType, StringComparison.Ordinal);
        return new QueueDeclaration(name)
        {
            MaxPriority = quorum ? null : options.QueueMaxPriority,
            QueueType = quorum ? TaskOptions.QuorumQueueType : null,
        };
    }
}
