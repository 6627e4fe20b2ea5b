namespace Celeriac.Dashboard.History;

/// <summary>
/// A task as the dashboard knows it from its events (the fields of Celery's <c>events.state.Task</c>, which Flower's API
/// returns), plus what only the dashboard knows: when it first saw the task and which task it re-ran.
/// Times are the senders' UNIX seconds.
/// </summary>
internal sealed record TaskRecord
{
    public required string Id { get; init; }

    public string State { get; init; } = Protocol.TaskStates.Pending;

    public string? Name { get; init; }

    public string? Worker { get; init; }

    /// <summary>The node that sent the task (the <c>hostname</c> of <c>task-sent</c>).</summary>
    public string? Client { get; init; }

    public string? Args { get; init; }

    public string? Kwargs { get; init; }

    public string? Result { get; init; }

    public string? Exception { get; init; }

    public string? Traceback { get; init; }

    public double? Sent { get; init; }

    public double? Received { get; init; }

    public double? Started { get; init; }

    public double? Succeeded { get; init; }

    public double? Failed { get; init; }

    public double? Retried { get; init; }

    public double? Revoked { get; init; }

    public double? Rejected { get; init; }

    /// <summary>The time of the event that set the current state.</summary>
    public double? Timestamp { get; init; }

    /// <summary>The time of the first event seen (the list's default order and its time filter).</summary>
    public required double FirstSeen { get; init; }

    public double? Runtime { get; init; }

    public int? Retries { get; init; }

    public string? Eta { get; init; }

    public string? Expires { get; init; }

    public string? ParentId { get; init; }

    public string? RootId { get; init; }

    public string? Exchange { get; init; }

    public string? RoutingKey { get; init; }

    public long? Clock { get; init; }

    /// <summary>The task this one re-runs (sent by the dashboard's retry action).</summary>
    public string? RetryOf { get; init; }

    /// <summary>How many events were merged into this record.</summary>
    public int EventCount { get; init; }

    /// <summary>When the task finished (succeeded, failed or revoked), if it did.</summary>
    public double? Finished => Succeeded ?? Failed ?? Revoked ?? Rejected;
}
