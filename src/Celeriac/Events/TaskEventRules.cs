using Celeriac.Protocol;

namespace Celeriac.Events;

/// <summary>
/// Celery's rules for folding a task event into the task's state, shared by every monitor (the CLI's
/// <see cref="ClusterState"/> and the dashboard's history) so they cannot drift apart.
/// Source: celery/events/state.py (Task.event, TASK_EVENT_TO_STATE, merge_rules) and celery/states.py (PRECEDENCE).
/// </summary>
public static class TaskEventRules
{
    /// <summary>
    /// The state a task event type leads to. An unknown <c>task-xyz</c> is the custom state <c>XYZ</c>, as in Celery;
    /// anything else is <see cref="TaskStates.Pending"/>.
    /// </summary>
    /// <param name="eventType">The event's <c>type</c> field, e.g. <c>task-succeeded</c>.</param>
    public static string StateOf(string eventType) => eventType switch
    {
        EventNames.TaskSent => TaskStates.Pending,
        EventNames.TaskReceived => TaskStates.Received,
        EventNames.TaskStarted => TaskStates.Started,
        EventNames.TaskSucceeded => TaskStates.Success,
        EventNames.TaskFailed => TaskStates.Failure,
        EventNames.TaskRetried => TaskStates.Retry,
        EventNames.TaskRevoked => TaskStates.Revoked,
        EventNames.TaskRejected => TaskStates.Rejected,
        _ when eventType.StartsWith("task-", StringComparison.Ordinal) => eventType["task-".Length..].ToUpperInvariant(),
        _ => TaskStates.Pending,
    };

    /// <summary>
    /// Whether an event leading to <paramref name="state"/> replaces <paramref name="current"/>. Events arrive out of
    /// order (a <c>task-received</c> after the <c>task-succeeded</c>): one that logically happened earlier keeps the
    /// current state, and a late RECEIVED then only fills in the request fields. RETRY on either side always applies.
    /// </summary>
    /// <param name="state">The state the new event leads to (<see cref="StateOf"/>).</param>
    /// <param name="current">The task's state so far.</param>
    public static bool Supersedes(string state, string current) =>
        state == TaskStates.Retry || current == TaskStates.Retry || TaskStates.Precedence(state) <= TaskStates.Precedence(current);
}
