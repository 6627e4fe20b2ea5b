using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Events;

/// <summary>
/// What the cluster looks like from its events: workers (alive by heartbeat window) and tasks (state by Celery's
/// precedence, fields merged, every event kept on a timeline). Thread-safe; feed it with <see cref="Apply"/>.
/// Source: celery/events/state.py (State, Worker, Task: event merge rules).
/// </summary>
public sealed class ClusterState
{
    private readonly ConcurrentDictionary<string, WorkerInfo> _workers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskInfo> _tasks = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly int _maxTasks;
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Creates a state that remembers at most <paramref name="maxTasks"/> tasks (oldest dropped first).</summary>
    public ClusterState(TimeProvider timeProvider, int maxTasks = 10_000)
    {
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _maxTasks = maxTasks;
    }

    /// <summary>Every worker seen.</summary>
    public IReadOnlyCollection<WorkerInfo> Workers => [.. _workers.Values.OrderBy(w => w.Hostname, StringComparer.Ordinal)];

    /// <summary>Workers alive now.</summary>
    public IReadOnlyCollection<WorkerInfo> AliveWorkers
    {
        get
        {
            var now = _time.GetUtcNow();
            return [.. Workers.Where(w => w.IsAlive(now))];
        }
    }

    /// <summary>Every task remembered.</summary>
    public IReadOnlyCollection<TaskInfo> Tasks => [.. _tasks.Values];

    /// <summary>A task by id.</summary>
    public TaskInfo? Task(string id) => _tasks.TryGetValue(id, out var t) ? t : null;

    /// <summary>A worker by node name.</summary>
    public WorkerInfo? Worker(string hostname) => _workers.TryGetValue(hostname, out var w) ? w : null;

    /// <summary>Applies one event (a single event dict; flatten <c>task.multi</c> lists first).</summary>
    public void Apply(JsonObject e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var type = Str(e, "type") ?? string.Empty;
        if (type.StartsWith("worker-", StringComparison.Ordinal))
        {
            ApplyWorker(type, e);
        }
        else if (type.StartsWith("task-", StringComparison.Ordinal) && Str(e, "uuid") is { } id)
        {
            ApplyTask(type, id, e);
        }
    }

    private static string? Str(JsonObject e, string key) => e[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static double? Num(JsonObject e, string key) => JsonNumbers.TryGetDouble(e[key], out var d) ? d : null;

    private void ApplyWorker(string type, JsonObject e)
    {
        var host = Str(e, "hostname") ?? "?";
        var now = _time.GetUtcNow();
        _workers.AddOrUpdate(
            host,
            _ => Worker(new WorkerInfo { Hostname = host }, type, e, now),
            (_, old) => Worker(old, type, e, now));
    }

    private static WorkerInfo Worker(WorkerInfo w, string type, JsonObject e, DateTimeOffset now) => w with
    {
        Freq = Num(e, "freq") ?? w.Freq,
        Active = (int?)Num(e, "active") ?? w.Active,
        Processed = (long?)Num(e, "processed") ?? w.Processed,
        LoadAverage = e["loadavg"] is JsonArray l ? [.. l.Select(n => JsonNumbers.TryGetDouble(n, out var d) ? d : 0)] : w.LoadAverage,
        Software = Str(e, "sw_ident") is { } ident ? $"{ident} {Str(e, "sw_ver")} ({Str(e, "sw_sys")})" : w.Software,
        LastHeartbeat = type == EventNames.WorkerOffline ? w.LastHeartbeat : now,
        Offline = type == EventNames.WorkerOffline,
        LastEvent = (JsonObject)e.DeepClone(),
    };

    private void ApplyTask(string type, string id, JsonObject e)
    {
        var added = false;
        _tasks.AddOrUpdate(
            id,
            _ =>
            {
                added = true;
                return Merge(new TaskInfo { Id = id }, type, e);
            },
            (_, old) => Merge(old, type, e));
        if (added)
        {
            _order.Enqueue(id);
            while (_tasks.Count > _maxTasks && _order.TryDequeue(out var oldest))
            {
                _tasks.TryRemove(oldest, out _);
            }
        }
    }

    private static TaskInfo Merge(TaskInfo t, string type, JsonObject e)
    {
        var state = TaskEventRules.StateOf(type);
        var timeline = t.Timeline.Append((JsonObject)e.DeepClone()).ToList();

        var wins = TaskEventRules.Supersedes(state, t.State);
        if (!wins && type == EventNames.TaskReceived)
        {
            return t with
            {
                Name = t.Name ?? Str(e, "name"),
                Args = t.Args ?? Str(e, "args"),
                Kwargs = t.Kwargs ?? Str(e, "kwargs"),
                ParentId = t.ParentId ?? Str(e, "parent_id"),
                RootId = t.RootId ?? Str(e, "root_id"),
                Eta = t.Eta ?? Str(e, "eta"),
                Expires = t.Expires ?? Str(e, "expires"),
                Received = t.Received ?? Num(e, "timestamp"),
                Timeline = timeline,
            };
        }

        var ts = Num(e, "timestamp");
        return t with
        {
            State = wins ? state : t.State,
            Name = Str(e, "name") ?? t.Name,
            Args = Str(e, "args") ?? t.Args,
            Kwargs = Str(e, "kwargs") ?? t.Kwargs,
            Result = Str(e, "result") ?? t.Result,
            Exception = Str(e, "exception") ?? t.Exception,
            Traceback = Str(e, "traceback") ?? t.Traceback,
            Worker = type is EventNames.TaskSent ? t.Worker : Str(e, "hostname") ?? t.Worker,
            Runtime = Num(e, "runtime") ?? t.Runtime,
            Retries = (int?)Num(e, "retries") ?? t.Retries,
            RootId = Str(e, "root_id") ?? t.RootId,
            ParentId = Str(e, "parent_id") ?? t.ParentId,
            Eta = Str(e, "eta") ?? t.Eta,
            Expires = Str(e, "expires") ?? t.Expires,
            Received = type == EventNames.TaskReceived ? ts : t.Received,
            Started = type == EventNames.TaskStarted ? ts : t.Started,
            Finished = type is EventNames.TaskSucceeded or EventNames.TaskFailed or EventNames.TaskRevoked ? ts : t.Finished,
            Timeline = timeline,
        };
    }
}
