using System.Collections.Concurrent;

namespace Celeriac.Worker;

/// <summary>What the worker holds right now and has done: for inspect, stats and tests.</summary>
public sealed class WorkerState
{
    private readonly ConcurrentDictionary<string, long> _processed = new(StringComparer.Ordinal);
    private long _total;

    internal ConcurrentDictionary<string, WorkerRequest> Active { get; } = new(StringComparer.Ordinal);

    internal ConcurrentDictionary<string, WorkerRequest> Reserved { get; } = new(StringComparer.Ordinal);

    internal ConcurrentDictionary<string, WorkerRequest> Scheduled { get; } = new(StringComparer.Ordinal);

    /// <summary>Time limits set at runtime by the <c>time_limit</c> command, by task name.</summary>
    internal ConcurrentDictionary<string, Protocol.TimeLimit> TimeLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>Tasks finished since start (any outcome), by task name.</summary>
    public IReadOnlyDictionary<string, long> ProcessedByName => new Dictionary<string, long>(_processed, StringComparer.Ordinal);

    /// <summary>Tasks finished since start.</summary>
    public long Processed => Interlocked.Read(ref _total);

    /// <summary>Ids of tasks running now.</summary>
    public IReadOnlyCollection<string> ActiveIds => [.. Active.Keys];

    /// <summary>Ids of tasks received and waiting for a slot.</summary>
    public IReadOnlyCollection<string> ReservedIds => [.. Reserved.Keys];

    /// <summary>Ids of ETA tasks waiting for their time.</summary>
    public IReadOnlyCollection<string> ScheduledIds => [.. Scheduled.Keys];

    internal void Done(string taskName)
    {
        _processed.AddOrUpdate(taskName, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
    }
}
