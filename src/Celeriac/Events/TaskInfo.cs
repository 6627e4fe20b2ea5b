using System.Text.Json.Nodes;

namespace Celeriac.Events;

/// <summary>A task as monitors see it through its events.</summary>
public sealed record TaskInfo
{
    /// <summary>The task id.</summary>
    public required string Id { get; init; }

    /// <summary>The state derived from its events (see <see cref="Protocol.TaskStates"/>).</summary>
    public string State { get; init; } = Protocol.TaskStates.Pending;

    /// <summary>The task name.</summary>
    public string? Name { get; init; }

    /// <summary>Args repr.</summary>
    public string? Args { get; init; }

    /// <summary>Kwargs repr.</summary>
    public string? Kwargs { get; init; }

    /// <summary>Result repr (succeeded).</summary>
    public string? Result { get; init; }

    /// <summary>Exception repr (failed, retried).</summary>
    public string? Exception { get; init; }

    /// <summary>Traceback text.</summary>
    public string? Traceback { get; init; }

    /// <summary>The worker that ran it.</summary>
    public string? Worker { get; init; }

    /// <summary>Runtime in seconds (succeeded).</summary>
    public double? Runtime { get; init; }

    /// <summary>Retries at the last event.</summary>
    public int? Retries { get; init; }

    /// <summary>Root and parent ids.</summary>
    public string? RootId { get; init; }

    /// <summary>The parent id.</summary>
    public string? ParentId { get; init; }

    /// <summary>ETA and expiry as sent.</summary>
    public string? Eta { get; init; }

    /// <summary>The expiry as sent.</summary>
    public string? Expires { get; init; }

    /// <summary>When the first and last events happened (sender time, UNIX seconds).</summary>
    public double? Received { get; init; }

    /// <summary>Start time (UNIX seconds).</summary>
    public double? Started { get; init; }

    /// <summary>End time (UNIX seconds): succeeded, failed or revoked.</summary>
    public double? Finished { get; init; }

    /// <summary>Every event of the task, in arrival order.</summary>
    public IReadOnlyList<JsonObject> Timeline { get; init; } = [];
}
