namespace Celeriac.Tasks;

/// <summary>
/// Per-task settings; a null value falls back to the app's <see cref="TaskOptions"/>.
/// Names follow Celery's Task attributes. Source: celery/app/task.py.
/// </summary>
public sealed record TaskSettings
{
    /// <summary><c>acks_late</c>.</summary>
    public bool? AcksLate { get; init; }

    /// <summary><c>reject_on_worker_lost</c>.</summary>
    public bool? RejectOnWorkerLost { get; init; }

    /// <summary><c>ignore_result</c>.</summary>
    public bool? IgnoreResult { get; init; }

    /// <summary><c>track_started</c>.</summary>
    public bool? TrackStarted { get; init; }

    /// <summary><c>max_retries</c>; use <see cref="RetryForever"/> for no limit.</summary>
    public int? MaxRetries { get; init; }

    /// <summary>Retry without limit (Celery's <c>max_retries=None</c>).</summary>
    public bool RetryForever { get; init; }

    /// <summary><c>default_retry_delay</c>.</summary>
    public TimeSpan? DefaultRetryDelay { get; init; }

    /// <summary><c>autoretry_for</c>: exception types that make the task retry by itself.</summary>
    public IReadOnlyList<Type> AutoretryFor { get; init; } = [];

    /// <summary><c>retry_backoff</c>: the backoff factor; countdown = factor × 2^retries. Null = no backoff.</summary>
    public TimeSpan? RetryBackoff { get; init; }

    /// <summary><c>retry_backoff_max</c> (600 s).</summary>
    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary><c>retry_jitter</c>: randomise the backoff countdown in [0, countdown].</summary>
    public bool RetryJitter { get; init; } = true;

    /// <summary><c>time_limit</c>: the hard limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary><c>soft_time_limit</c>.</summary>
    public TimeSpan? SoftTimeLimit { get; init; }

    /// <summary><c>rate_limit</c>: <c>"10/s"</c>, <c>"100/m"</c>, <c>"1000/h"</c>; per worker, no bursts.</summary>
    public string? RateLimit { get; init; }

    /// <summary>The default queue of this task.</summary>
    public string? Queue { get; init; }

    /// <summary>The default priority of this task.</summary>
    public int? Priority { get; init; }
}
