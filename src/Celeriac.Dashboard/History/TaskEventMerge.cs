using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Events;
using Celeriac.Protocol;

namespace Celeriac.Dashboard.History;

/// <summary>
/// Merges one task event into a task record with Celery's rules: an event whose state logically happens before the
/// current one (e.g. <c>task-received</c> arriving after <c>task-succeeded</c>) keeps the current state and, for
/// RECEIVED, only fills in the request fields; RETRY on either side always applies; every event stamps its own time
/// field (<c>succeeded</c>, <c>failed</c>...). Source: celery/events/state.py (Task.event, merge_rules).
/// </summary>
internal static class TaskEventMerge
{
    public static TaskRecord Apply(TaskRecord? current, string id, JsonObject e)
    {
        var type = Str(e, "type") ?? string.Empty;
        var ts = Num(e, "timestamp");
        var t = current ?? new TaskRecord { Id = id, FirstSeen = ts ?? 0 };
        t = t with
        {
            EventCount = t.EventCount + 1,
            FirstSeen = ts is { } first && (current is null || first < t.FirstSeen) ? first : t.FirstSeen,
        };

        var state = TaskEventRules.StateOf(type);

        // The event's own time field is always set, whatever the precedence.
        t = type switch
        {
            EventNames.TaskSent => t with { Sent = ts },
            EventNames.TaskReceived => t with { Received = ts },
            EventNames.TaskStarted => t with { Started = ts },
            EventNames.TaskSucceeded => t with { Succeeded = ts },
            EventNames.TaskFailed => t with { Failed = ts },
            EventNames.TaskRetried => t with { Retried = ts },
            EventNames.TaskRevoked => t with { Revoked = ts },
            EventNames.TaskRejected => t with { Rejected = ts },
            _ => t,
        };

        var wins = TaskEventRules.Supersedes(state, t.State);
        if (!wins && state == TaskStates.Received)
        {
            return t with
            {
                Name = Str(e, "name") ?? t.Name,
                Args = Str(e, "args") ?? t.Args,
                Kwargs = Str(e, "kwargs") ?? t.Kwargs,
                ParentId = Str(e, "parent_id") ?? t.ParentId,
                RootId = Str(e, "root_id") ?? t.RootId,
                Retries = Int(e, "retries") ?? t.Retries,
                Eta = Str(e, "eta") ?? t.Eta,
                Expires = Str(e, "expires") ?? t.Expires,
            };
        }

        var host = Str(e, "hostname");
        return t with
        {
            State = wins ? state : t.State,
            Timestamp = wins ? ts : t.Timestamp,
            Name = Str(e, "name") ?? t.Name,
            Args = Str(e, "args") ?? t.Args,
            Kwargs = Str(e, "kwargs") ?? t.Kwargs,
            Result = Str(e, "result") ?? t.Result,
            Exception = Str(e, "exception") ?? t.Exception,
            Traceback = Str(e, "traceback") ?? t.Traceback,
            Worker = type == EventNames.TaskSent ? t.Worker : host ?? t.Worker,
            Client = type == EventNames.TaskSent ? host ?? t.Client : t.Client,
            Runtime = Num(e, "runtime") ?? t.Runtime,
            Retries = Int(e, "retries") ?? t.Retries,
            RootId = Str(e, "root_id") ?? t.RootId,
            ParentId = Str(e, "parent_id") ?? t.ParentId,
            Eta = Str(e, "eta") ?? t.Eta,
            Expires = Str(e, "expires") ?? t.Expires,
            Exchange = Str(e, "exchange") ?? t.Exchange,
            RoutingKey = Str(e, "routing_key") ?? t.RoutingKey,
            Clock = (long?)Num(e, "clock") ?? t.Clock,
        };
    }

    public static string? Str(JsonObject e, string key) => e[key] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        var other => other.ToJsonString(),
    };

    public static double? Num(JsonObject e, string key) => JsonNumbers.TryGetDouble(e[key], out var d) ? d : null;

    private static int? Int(JsonObject e, string key) => Num(e, key) is { } d ? (int)d : null;
}
