namespace Celeriac;

/// <summary>Worker settings.</summary>
public sealed record WorkerOptions
{
    /// <summary><c>worker_concurrency</c>: tasks run at once. Celery's default is the CPU count.</summary>
    public int Concurrency { get; init; } = Environment.ProcessorCount;

    /// <summary><c>worker_prefetch_multiplier</c>: prefetch = concurrency × this; 0 = no limit.</summary>
    public int PrefetchMultiplier { get; init; } = 4;

    /// <summary>The node name (<c>-n</c>); <c>celery@&lt;host&gt;</c> by default. <c>%h</c>, <c>%n</c>, <c>%d</c> expand.</summary>
    public string? Hostname { get; init; }

    /// <summary>Queues to consume (<c>-Q</c>); the default queue when empty.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [];

    /// <summary><c>worker_send_task_events</c> (<c>-E</c>): send task events; worker events are always sent.</summary>
    public bool SendTaskEvents { get; init; }

    /// <summary><c>worker_state_db</c> (<c>--statedb</c>): a file that keeps revoked ids across restarts.</summary>
    public string? StateDb { get; init; }

    /// <summary><c>worker_disable_rate_limits</c>: ignore every task's rate limit.</summary>
    public bool DisableRateLimits { get; init; }

    /// <summary>How long a warm shutdown waits for running tasks before cancelling them.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a task whose token was cancelled (hard time limit, cold shutdown) may take to end before the
    /// worker abandons it and frees its slot.
    /// </summary>
    public TimeSpan AbandonGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Mingle at start: ask the other workers for their revoked ids and clocks before consuming, as Celery does on
    /// Redis and AMQP (other transports never mingle). The worker's <c>--without-mingle</c> sets it to false.
    /// </summary>
    public bool Mingle { get; init; } = true;
}
