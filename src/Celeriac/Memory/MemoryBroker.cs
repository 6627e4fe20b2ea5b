using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Memory;

/// <summary>
/// The state of one in-process broker: queues ordered by (priority, sequence), leases, bindings, queue
/// declarations (x-message-ttl, x-expires) and live consumers per queue.
/// Shared by every <see cref="MemoryTransport"/> opened on the same <c>memory://name</c>.
/// </summary>
internal sealed class MemoryBroker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedSet<Entry>> _queues = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Entry> _leased = [];
    private readonly HashSet<QueueBinding> _bindings = [];
    private readonly Dictionary<string, Declared> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
    private long _sequence;

    public AsyncPulse Arrived { get; } = new();

    public void Put(string queue, TransportMessage message, string exchange, string routingKey, DateTimeOffset now)
    {
        lock (_gate)
        {
            // Round-trip through kombu's envelope so that in-memory delivery sees exactly what a wire carries.
            var wire = new KombuEnvelope(message, exchange, routingKey, Guid.NewGuid().ToString()).Encode();
            var entry = new Entry(++_sequence, message.Properties.Priority ?? 0, KombuEnvelope.Decode(wire).Message, queue, exchange, routingKey)
            {
                ExpiresAt = _declared.TryGetValue(queue, out var declared) && declared.Queue.MessageTtl is { } ttl ? now + ttl : null,
            };
            Queue(queue).Add(entry);
        }

        Arrived.Pulse();
    }

    public LeasedMessage? TryGet(string queue, string consumerId, DateTimeOffset now, TimeSpan visibility)
    {
        lock (_gate)
        {
            RestoreExpired(now);
            DropExpired(queue, now);
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

    public long Purge(string queue, DateTimeOffset now)
    {
        lock (_gate)
        {
            DropExpired(queue, now);
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
            DeleteLocked(queue);
        }
    }

    public long Size(string queue, DateTimeOffset now)
    {
        lock (_gate)
        {
            DropExpired(queue, now);
            return Queue(queue).Count;
        }
    }

    /// <summary>Records a declaration (the last one wins) and restarts the queue's expiry clock.</summary>
    public void Declare(QueueDeclaration queue, DateTimeOffset now)
    {
        lock (_gate)
        {
            _declared[queue.Name] = new Declared(queue) { LastUsed = now };
        }
    }

    /// <summary>Marks queues used now; <paramref name="consumers"/> counts a consumer in (+1) or out (-1).</summary>
    public void Touch(IReadOnlyList<string> queues, int consumers, DateTimeOffset now)
    {
        lock (_gate)
        {
            foreach (var queue in queues)
            {
                var count = _consumers.GetValueOrDefault(queue) + consumers;
                if (count > 0)
                {
                    _consumers[queue] = count;
                }
                else
                {
                    _consumers.Remove(queue);
                }

                if (_declared.TryGetValue(queue, out var declared))
                {
                    declared.LastUsed = now;
                }
            }
        }
    }

    /// <summary>Deletes expired messages of every queue and every queue unused for its x-expires.</summary>
    public void DeleteExpired(DateTimeOffset now)
    {
        lock (_gate)
        {
            var expired = _declared.Values
                .Where(d => d.Queue.Expires is { } expires && !_consumers.ContainsKey(d.Queue.Name) && d.LastUsed + expires <= now)
                .Select(d => d.Queue.Name)
                .ToList();
            foreach (var queue in expired)
            {
                DeleteLocked(queue);
            }

            foreach (var queue in _declared.Values.Where(d => d.Queue.MessageTtl is not null).Select(d => d.Queue.Name))
            {
                DropExpired(queue, now);
            }
        }
    }

    private void DeleteLocked(string queue)
    {
        _queues.Remove(queue);
        _bindings.RemoveWhere(b => b.Queue == queue);
        _declared.Remove(queue);

        // As on SQLite and RabbitMQ, a deleted queue takes its unacked messages with it: a late ack or requeue finds nothing.
        foreach (var tag in _leased.Where(p => p.Value.Queue == queue).Select(p => p.Key).ToList())
        {
            _leased.Remove(tag);
        }
    }

    // x-message-ttl: only ready messages expire; a leased one is out of the queue and is not looked at.
    private void DropExpired(string queue, DateTimeOffset now)
    {
        if (_queues.TryGetValue(queue, out var q) && q.Count > 0)
        {
            q.RemoveWhere(e => e.ExpiresAt <= now);
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

        /// <summary>When x-message-ttl runs out; kept when the message is requeued, as RabbitMQ keeps it.</summary>
        public DateTimeOffset? ExpiresAt { get; init; }
    }

    private sealed class Declared(QueueDeclaration queue)
    {
        public QueueDeclaration Queue { get; } = queue;

        public DateTimeOffset LastUsed { get; set; }
    }

    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        // Lower priority numbers first, as on kombu's Redis transport, then FIFO.
        public int Compare(Entry? x, Entry? y) => x!.Priority != y!.Priority ? x.Priority.CompareTo(y.Priority) : x.Sequence.CompareTo(y.Sequence);
    }
}
