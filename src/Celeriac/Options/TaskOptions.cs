using Celeriac.Routing;

namespace Celeriac;

/// <summary>Task defaults; each task may override them.</summary>
public sealed record TaskOptions
{
    /// <summary><c>task_default_queue</c>.</summary>
    public string DefaultQueue { get; init; } = "celery";

    /// <summary><c>task_routes</c>: task name or glob → route. First match wins.</summary>
    public IReadOnlyList<TaskRoute> Routes { get; init; } = [];

    /// <summary><c>task_serializer</c>; only <c>json</c>.</summary>
    public string Serializer { get; init; } = "json";

    /// <summary><c>accept_content</c>; only JSON is ever accepted.</summary>
    public IReadOnlyList<string> AcceptContent { get; init; } = ["json"];

    /// <summary><c>task_acks_late</c>: ack after the task finished instead of when it starts.</summary>
    public bool AcksLate { get; init; }

    /// <summary><c>task_reject_on_worker_lost</c>: with acks_late, requeue when execution is lost.</summary>
    public bool RejectOnWorkerLost { get; init; }

    /// <summary><c>task_track_started</c>: store STARTED when a task starts.</summary>
    public bool TrackStarted { get; init; }

    /// <summary><c>task_ignore_result</c>: store no results by default.</summary>
    public bool IgnoreResult { get; init; }

    /// <summary><c>task_default_retry_delay</c>: countdown of a retry without one (180 s).</summary>
    public TimeSpan DefaultRetryDelay { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Default <c>max_retries</c> (3); null retries forever.</summary>
    public int? MaxRetries { get; init; } = 3;

    /// <summary><c>task_time_limit</c>: the hard limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary><c>task_soft_time_limit</c>: the soft limit.</summary>
    public TimeSpan? SoftTimeLimit { get; init; }

    /// <summary><c>task_default_priority</c>.</summary>
    public int? DefaultPriority { get; init; }

    /// <summary><c>task_send_sent_event</c>: every publish also sends a <c>task-sent</c> event (for monitors' PENDING).</summary>
    public bool SendSentEvent { get; init; }
    /// <summary>
    /// <c>task_queue_max_priority</c>: task queues are declared with <c>x-max-priority</c> (AMQP), so that priorities
    /// reorder them. Must match what Python declares for the same queue, or RabbitMQ refuses the declaration.
    /// </summary>
    public int? QueueMaxPriority { get; init; }

    /// <summary>
    /// <c>task_default_queue_type</c> (Celery 5.5): <c>classic</c>, or <c>quorum</c> for replicated quorum queues on
    /// RabbitMQ, whose consumers then get a per-consumer prefetch (quorum queues refuse a global QoS).
    /// </summary>
    public string DefaultQueueType { get; init; } = ClassicQueueType;

    /// <summary>
    /// <c>task_default_exchange_type</c>: the type of each task queue's exchange (named as the queue, bound with the
    /// queue's name): <c>direct</c> (Celery's default; tasks are then published to the default exchange with routing
    /// key = queue) or <c>topic</c> (published to the queue's exchange). On RabbitMQ with quorum task queues,
    /// <c>topic</c> turns on Celery 5.5's native delayed delivery for ETA, countdown and retry tasks. Celeriac applies
    /// it to every task queue it declares, as Celery 5.6's <c>task_create_missing_queue_exchange_type</c> does for
    /// queues other than the default one.
    /// </summary>
    public string DefaultExchangeType { get; init; } = DirectExchangeType;

    /// <summary>The value of <see cref="DefaultExchangeType"/> for Celery's default direct exchanges.</summary>
    public const string DirectExchangeType = "direct";

    /// <summary>The value of <see cref="DefaultExchangeType"/> for topic task exchanges.</summary>
    public const string TopicExchangeType = "topic";

    /// <summary>The value of <see cref="DefaultQueueType"/> for RabbitMQ's default queues.</summary>
    public const string ClassicQueueType = "classic";

    /// <summary>The value of <see cref="DefaultQueueType"/> for quorum queues.</summary>
    public const string QuorumQueueType = "quorum";

    /// <summary><see cref="DefaultExchangeType"/> as an exchange type.</summary>
    /// <exception cref="CeleriacConfigurationException">The name is not <c>direct</c> or <c>topic</c>.</exception>
    public Transport.ExchangeType TaskExchangeType => DefaultExchangeType switch
    {
        DirectExchangeType => Transport.ExchangeType.Direct,
        TopicExchangeType => Transport.ExchangeType.Topic,
        _ => throw new CeleriacConfigurationException("task_default_exchange_type", $"'{DefaultExchangeType}' is not a task exchange type; use 'direct' or 'topic'"),
    };
}
