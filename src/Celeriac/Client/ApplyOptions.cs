namespace Celeriac.Client;

/// <summary>
/// Options of one call, as Celery's <c>apply_async</c> takes them. Source: celery/app/task.py (apply_async).
/// </summary>
public sealed record ApplyOptions
{
    /// <summary>Run no sooner than this long from now (sets <c>eta</c>).</summary>
    public TimeSpan? Countdown { get; init; }

    /// <summary>Run no sooner than this time.</summary>
    public DateTimeOffset? Eta { get; init; }

    /// <summary>Revoke instead of running after this time.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Revoke instead of running after this long from now.</summary>
    public TimeSpan? ExpiresIn { get; init; }

    /// <summary>The queue; otherwise the route or <c>task_default_queue</c>.</summary>
    public string? Queue { get; init; }

    /// <summary>An explicit exchange.</summary>
    public string? Exchange { get; init; }

    /// <summary>An explicit routing key.</summary>
    public string? RoutingKey { get; init; }

    /// <summary>Message priority (0–9; on Redis and SQLite 0 is served first, on RabbitMQ 9).</summary>
    public int? Priority { get; init; }

    /// <summary>The task id; a new UUID when null.</summary>
    public string? TaskId { get; init; }

    /// <summary>Extra message headers.</summary>
    public IReadOnlyDictionary<string, object?>? Headers { get; init; }

    /// <summary>Store no result for a success.</summary>
    public bool? IgnoreResult { get; init; }

    /// <summary>Hard time limit for this call.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Soft time limit for this call.</summary>
    public TimeSpan? SoftTimeLimit { get; init; }

    /// <summary>The <c>retries</c> header (retries already done).</summary>
    public int? Retries { get; init; }

    /// <summary>Display name for logs and monitors.</summary>
    public string? Shadow { get; init; }

    /// <summary>The parent task id (set for subtasks).</summary>
    public string? ParentId { get; init; }

    /// <summary>The root task id of the workflow.</summary>
    public string? RootId { get; init; }

    /// <summary>The group id.</summary>
    public string? GroupId { get; init; }

    /// <summary>The position in the group.</summary>
    public int? GroupIndex { get; init; }

    /// <summary>
    /// The <c>reply_to</c> property: the client whose reply queue gets the result on the rpc backend. Defaults to this
    /// app's oid; a workflow's later tasks carry their first sender's, as Celery's frozen signatures do.
    /// </summary>
    public string? ReplyTo { get; init; }

    /// <summary>Callbacks applied with the result when the task succeeds (Celery's <c>link</c>).</summary>
    public IReadOnlyList<Canvas.Signature>? Link { get; init; }

    /// <summary>Errbacks applied when the task fails (Celery's <c>link_error</c>; see <see cref="Canvas.Signature.LinkError"/>).</summary>
    public IReadOnlyList<Canvas.Signature>? LinkError { get; init; }
}
