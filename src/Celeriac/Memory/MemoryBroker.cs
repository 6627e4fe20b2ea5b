using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Memory;

/// <summary>
/// The state of one in-process broker: queues ordered by (priority, sequence), leases, bindings.
/// Shared by every <see cref="MemoryTransport"/> opened on the same <c>memory://name</c>.
/// </summary>
internal sealed class MemoryBroker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedSet<Entry>> _queues = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Entry> _leased = [];
    private readonly HashSet<QueueBinding> _bindings = [];
    private long _sequence;

    public AsyncPulse Arrived { get; } = new();

    public void Put(string queue, TransportMessage message, string exchange, string routingKey)
    {
        lock (_gate)
        {
            // Round-trip through kombu's envelope so that in-memory delivery sees exactly what a wire carries.
            var wire = new KombuEnvelope(message, exchange, routingKey, Guid.NewGuid().ToString()).Encode();
            var entry = new Entry(++_sequence, message.Properties.Priority ?? 0, KombuEnvelope.Decode(wire).Message, queue, exchange, routingKey);
            Queue(queue).Add(entry);
        }

        Arrived.Pulse();
    }

    public LeasedMessage? TryGet(string queue, string consumerId, DateTimeOffset now, TimeSpan visibility)
    {
        lock (_gate)
        {
            RestoreExpired(now);
            var q = Queue(queue);
            if (q.Count == 0)
            {
                return null;
            }

            var entry = q.Min!;
            q.Remove(entry);
            entry.Owner = consumerId;
            entry.LeaseUntil = now + visibility;
            _leased[entry.Sequence] = entry;
            var redelivered = entry.Deliveries++ > 0;
            return new LeasedMessage(entry.Sequence, entry.Message, entry.Queue, entry.Exchange, entry.RoutingKey, redelivered);
        }
    }

    public void Ack(long tag)
    {
        lock (_gate)
        {
            _leased.Remove(tag);
        }
    }

    public void Requeue(long tag)
    {
        lock (_gate)
        {
            if (_leased.Remove(tag, out var entry))
            {
                entry.Owner = null;
                Queue(entry.Queue).Add(entry);
            }
        }

        Arrived.Pulse();
    }

    public void Renew(string consumerId, DateTimeOffset until)
    {
        lock (_gate)
        {
            foreach (var entry in _leased.Values)
            {
                if (entry.Owner == consumerId)
                {
                    entry.LeaseUntil = until;
                }
            }
        }
    }

    public void Bind(QueueBinding binding)
    {
        lock (_gate)
        {
            _bindings.Add(binding);
        }
    }

    public IReadOnlyList<QueueBinding> Bindings(string exchange)
    {
        lock (_gate)
        {
            return [.. _bindings.Where(b => b.Exchange == exchange)];
        }
    }

    public long Purge(string queue)
    {
        lock (_gate)
        {
            var q = Queue(queue);
            var n = q.Count;
            q.Clear();
            return n;
        }
    }

    public void Delete(string queue)
    {
        lock (_gate)
        {
            _queues.Remove(queue);
            _bindings.RemoveWhere(b => b.Queue == queue);
        }
    }

    public long Size(string queue)
    {
        lock (_gate)
        {
            return Queue(queue).Count;
        }
    }

    private void RestoreExpired(DateTimeOffset now)
    {
        if (_leased.Count == 0)
        {
            return;
        }

        foreach (var entry in _leased.Values.Where(e => e.LeaseUntil < now).ToList())
        {
            _leased.Remove(entry.Sequence);
            entry.Owner = null;
            Queue(entry.Queue).Add(entry);
        }
    }

    private SortedSet<Entry> Queue(string name)
    {
        if (!_queues.TryGetValue(name, out var q))
        {
            q = new SortedSet<Entry>(EntryOrder.Instance);
            _queues[name] = q;
        }

        return q;
    }

    private sealed class Entry(long sequence, int priority, TransportMessage message, string queue, string exchange, string routingKey)
    {
        public long Sequence { get; } = sequence;

        public int Priority { get; } = priority;

        public TransportMessage Message { get; } = message;

        public string Queue { get; } = queue;

        public string Exchange { get; } = exchange;

        public string RoutingKey { get; } = routingKey;

        public string? Owner { get; set; }

        public DateTimeOffset LeaseUntil { get; set; }

        public int Deliveries { get; set; }
    }

    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        // Lower priority numbers first, as on kombu's Redis transport, then FIFO.
        public int Compare(Entry? x, Entry? y) => x!.Priority != y!.Priority ? x.Priority.CompareTo(y.Priority) : x.Sequence.CompareTo(y.Sequence);
    }
}
