using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// A task's stored state as Celery's key-value backends write it (Celery §5.2): the same JSON under
/// <c>celery-task-meta-&lt;id&gt;</c> on Redis, in SQLite, and (minus <c>date_done</c>) in rpc replies.
/// </summary>
public sealed record ResultMeta
{
    /// <summary>The task id.</summary>
    public required string TaskId { get; init; }

    /// <summary>The state name (see <see cref="TaskStates"/>).</summary>
    public required string Status { get; init; }

    /// <summary>The return value, an exception dict (RETRY/FAILURE/REVOKED), or <c>{pid, hostname}</c> for STARTED.</summary>
    public JsonNode? Result { get; init; }

    /// <summary>Formatted traceback text, or null.</summary>
    public string? Traceback { get; init; }

    /// <summary>Result tuples of subtasks sent while running.</summary>
    public JsonArray? Children { get; init; } = [];

    /// <summary>When the task became ready (UTC), else null. Written naive as Celery 5.2 does.</summary>
    public DateTime? DateDone { get; init; }

    /// <summary>The group id, when the task ran in a group.</summary>
    public string? GroupId { get; init; }

    /// <summary>The parent task id, when there was one.</summary>
    public string? ParentId { get; init; }

    /// <summary>result_extended: the task name.</summary>
    public string? Name { get; init; }

    /// <summary>result_extended: the positional arguments.</summary>
    public JsonArray? Args { get; init; }

    /// <summary>result_extended: the keyword arguments.</summary>
    public JsonObject? Kwargs { get; init; }

    /// <summary>result_extended: the worker's node name.</summary>
    public string? Worker { get; init; }

    /// <summary>result_extended: retries done.</summary>
    public int? Retries { get; init; }

    /// <summary>result_extended: the queue (delivery routing key).</summary>
    public string? Queue { get; init; }

    /// <summary>
    /// Where an <c>rpc://</c> backend sends this state: the request's <c>reply_to</c> (the client's reply queue).
    /// Not part of the stored meta; other backends ignore it.
    /// </summary>
    public string? ReplyTo { get; init; }

    /// <summary>The request's <c>correlation_id</c> (the task id unless set), which tags an <c>rpc://</c> reply. Not stored.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Fields this record does not name (stamps, future additions), kept on re-encode.</summary>
    public JsonObject? Extra { get; init; }

    /// <summary>The exception when <see cref="Status"/> is an exception state and the result is an exception dict.</summary>
    public ExceptionInfo? Exception => TaskStates.IsException(Status) ? ExceptionInfo.FromJson(Result) : null;
}
