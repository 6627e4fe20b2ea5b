using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Celeriac.Dashboard.History;
using Celeriac.Events;
using Celeriac.Protocol;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>
/// Every worker known: live ones through <see cref="ClusterState"/> (fed with worker events), earlier ones from the
/// history file (shown offline until they speak again), and what each last answered to inspect.
/// </summary>
internal sealed class WorkerDirectory
{
    private readonly ClusterState _state;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, StoredWorker> _stored = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _info = new(StringComparer.Ordinal);

    public WorkerDirectory(TimeProvider timeProvider)
    {
        _time = timeProvider;
        _state = new ClusterState(timeProvider, maxTasks: 1);
    }

    /// <summary>Loads the workers the history file remembers.</summary>
    public void Load(IEnumerable<StoredWorker> workers)
    {
        foreach (var w in workers)
        {
            _stored[w.Hostname] = w;
            if (w.Info is not null)
            {
                _info[w.Hostname] = w.Info;
            }
        }
    }

    /// <summary>Applies a <c>worker-*</c> event.</summary>
    public WorkerView Apply(JsonObject e)
    {
        _state.Apply(e);
        var host = TaskEventMerge.Str(e, "hostname") ?? "?";
        return Get(host)!;
    }

    /// <summary>Records a worker's reply to an inspect command (<c>stats</c>, <c>active_queues</c>, ...).</summary>
    public void SetInfo(string hostname, string command, JsonNode? reply)
    {
        _info.AddOrUpdate(
            hostname,
            _ => new JsonObject { [command] = reply?.DeepClone() },
            (_, old) =>
            {
                var copy = (JsonObject)old.DeepClone();
                copy[command] = reply?.DeepClone();
                return copy;
            });
    }

    /// <summary>The inspect replies recorded for a worker.</summary>
    public JsonObject? InfoOf(string hostname) => _info.TryGetValue(hostname, out var i) ? i : null;

    /// <summary>The live ClusterState worker (for its last event), or null.</summary>
    public WorkerInfo? Live(string hostname) => _state.Worker(hostname);

    /// <summary>Names of the workers online now.</summary>
    public IReadOnlyList<string> OnlineNames => [.. _state.AliveWorkers.Select(w => w.Hostname)];

    /// <summary>Whether a worker by that name was ever seen.</summary>
    public bool Knows(string hostname) => _state.Worker(hostname) is not null || _stored.ContainsKey(hostname);

    /// <summary>Every worker, by name.</summary>
    public IReadOnlyList<WorkerView> All()
    {
        var names = new SortedSet<string>(_stored.Keys, StringComparer.Ordinal);
        foreach (var w in _state.Workers)
        {
            names.Add(w.Hostname);
        }

        return [.. names.Select(n => Get(n)!)];
    }

    /// <summary>One worker, or null.</summary>
    public WorkerView? Get(string hostname)
    {
        var info = InfoOf(hostname);
        var now = _time.GetUtcNow();
        if (_state.Worker(hostname) is { } live)
        {
            return new WorkerView
            {
                Hostname = hostname,
                Online = live.IsAlive(now),
                LastHeartbeat = live.LastHeartbeat is { } lh ? WireTime.ToUnixSeconds(lh) : null,
                Freq = live.Freq,
                Active = live.Active,
                Processed = live.Processed,
                LoadAverage = live.LoadAverage,
                Software = live.Software,
                Pid = live.LastEvent is { } e && JsonNumbers.TryGetDouble(e["pid"], out var pid) ? (long)pid : null,
                PoolSize = PoolSize(info),
                Queues = Queues(info),
                Info = info,
            };
        }

        if (_stored.TryGetValue(hostname, out var stored))
        {
            var e = stored.LastEvent;
            return new WorkerView
            {
                Hostname = hostname,
                Online = false,
                LastHeartbeat = stored.LastSeen,
                Freq = e is not null && JsonNumbers.TryGetDouble(e["freq"], out var f) ? f : 2.0,
                Active = 0,
                Processed = e is not null && JsonNumbers.TryGetDouble(e["processed"], out var p) ? (long)p : 0,
                LoadAverage = e?["loadavg"] is JsonArray l ? [.. l.Select(n => JsonNumbers.TryGetDouble(n, out var d) ? d : 0)] : [],
                Software = e is not null && TaskEventMerge.Str(e, "sw_ident") is { } ident ? $"{ident} {TaskEventMerge.Str(e, "sw_ver")} ({TaskEventMerge.Str(e, "sw_sys")})" : null,
                Pid = e is not null && JsonNumbers.TryGetDouble(e["pid"], out var pid) ? (long)pid : null,
                PoolSize = PoolSize(info),
                Queues = Queues(info),
                Info = info,
            };
        }

        return null;
    }

    private static int? PoolSize(JsonObject? info) =>
        info?["stats"]?["pool"]?["max-concurrency"] is { } n && JsonNumbers.TryGetInt32(n, out var size) ? size : null;

    private static IReadOnlyList<string> Queues(JsonObject? info) =>
        info?["active_queues"] is JsonArray queues
            ? [.. queues.OfType<JsonObject>().Select(q => TaskEventMerge.Str(q, "name")).OfType<string>()]
            : [];
}
