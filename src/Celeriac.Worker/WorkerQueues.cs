namespace Celeriac.Worker;

/// <summary>
/// The queues a worker consumes now: those it started with, plus <c>add_consumer</c>, minus <c>cancel_consumer</c>.
/// Thread-safe; readers get a snapshot. Source: celery/app/amqp.py (Queues.select_add, deselect).
/// </summary>
internal sealed class WorkerQueues
{
    private readonly Lock _gate = new();
    private ConsumedQueue[] _queues;

    public WorkerQueues(IEnumerable<string> names)
    {
        _queues = [.. names.Distinct(StringComparer.Ordinal).Select(ConsumedQueue.Default)];
    }

    public IReadOnlyList<ConsumedQueue> All => Volatile.Read(ref _queues);

    public IReadOnlyList<string> Names => [.. All.Select(q => q.Name)];

    public bool Contains(string name) => All.Any(q => string.Equals(q.Name, name, StringComparison.Ordinal));

    /// <summary>Adds a queue; false when one of that name is already consumed.</summary>
    public bool TryAdd(ConsumedQueue queue)
    {
        lock (_gate)
        {
            if (Contains(queue.Name))
            {
                return false;
            }

            _queues = [.. _queues, queue];
            return true;
        }
    }

    /// <summary>Removes a queue; false when it was not consumed.</summary>
    public bool Remove(string name)
    {
        lock (_gate)
        {
            var left = _queues.Where(q => !string.Equals(q.Name, name, StringComparison.Ordinal)).ToArray();
            if (left.Length == _queues.Length)
            {
                return false;
            }

            _queues = left;
            return true;
        }
    }
}
