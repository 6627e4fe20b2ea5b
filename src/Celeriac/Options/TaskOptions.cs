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
}
