using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Tasks;

/// <summary>
/// The request a task runs for: its message and where it came from (Celery's <c>task.request</c>).
/// </summary>
public sealed class TaskRequest
{
    /// <summary>Creates a request.</summary>
    public TaskRequest(TaskMessage message, string queue, string exchange, string routingKey, bool redelivered, string hostname)
    {
        Message = message ?? throw new ArgumentNullException(nameof(message));
        Queue = queue;
        Exchange = exchange;
        RoutingKey = routingKey;
        Redelivered = redelivered;
        Hostname = hostname;
    }

    /// <summary>The decoded message.</summary>
    public TaskMessage Message { get; }

    /// <summary>The task id.</summary>
    public string Id => Message.Headers.Id;

    /// <summary>The task name.</summary>
    public string TaskName => Message.Headers.Task;

    /// <summary>The name shown in logs and events (<c>shadow</c> or the task name).</summary>
    public string DisplayName => Message.Headers.Shadow ?? Message.Headers.Task;

    /// <summary>Positional arguments.</summary>
    public JsonArray Args => Message.Args;

    /// <summary>Keyword arguments.</summary>
    public JsonObject Kwargs => Message.Kwargs;

    /// <summary>Retries done so far.</summary>
    public int Retries => Message.Headers.Retries;

    /// <summary>The ETA, if any.</summary>
    public DateTimeOffset? Eta => Message.Headers.Eta;

    /// <summary>The expiry, if any.</summary>
    public DateTimeOffset? Expires => Message.Headers.Expires;

    /// <summary>The parent task id.</summary>
    public string? ParentId => Message.Headers.ParentId;

    /// <summary>The root task id.</summary>
    public string RootId => Message.Headers.RootId ?? Message.Headers.Id;

    /// <summary>The group id.</summary>
    public string? GroupId => Message.Headers.Group;

    /// <summary>The queue it was consumed from.</summary>
    public string Queue { get; }

    /// <summary>The exchange it was published to.</summary>
    public string Exchange { get; }

    /// <summary>The routing key it was published with.</summary>
    public string RoutingKey { get; }

    /// <summary>Whether the broker delivered it before.</summary>
    public bool Redelivered { get; }

    /// <summary>The node name of the worker running it.</summary>
    public string Hostname { get; }

    /// <summary>The delivery priority.</summary>
    public int? Priority => Message.Properties.Priority;
}
