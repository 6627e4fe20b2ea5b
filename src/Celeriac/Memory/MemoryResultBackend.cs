using System.Collections.Concurrent;
using Celeriac.Backends;
using Celeriac.Transport;

namespace Celeriac.Memory;

/// <summary><c>memory://[name]</c> result backend: in-process, shared by name, with change notification.</summary>
public sealed class MemoryResultBackend : KeyValueResultBackend
{
    private static readonly ConcurrentDictionary<string, Store> Stores = new(StringComparer.Ordinal);
    private readonly Store _store;

    private MemoryResultBackend(ResultBackendContext context, Store store)
        : base(context.ResultExpires, context.TimeProvider)
    {
        _store = store;
    }

    /// <inheritdoc />
    public override ResultBackendCapabilities Capabilities { get; } = new("memory", Persistent: false, PushesUpdates: true);

    /// <summary>Opens the in-process store named by the URL's host.</summary>
    public static MemoryResultBackend Get(ResultBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.Url.Host.Length == 0 ? "default" : context.Url.Host;
        return new MemoryResultBackend(context, Stores.GetOrAdd(name, _ => new Store()));
    }

    /// <inheritdoc />
    protected override ValueTask<byte[]?> GetValueAsync(string key, CancellationToken cancellationToken)
    {
        if (_store.Values.TryGetValue(key, out var entry))
        {
            if (entry.Expires is null || entry.Expires > TimeProvider.GetUtcNow())
            {
                return ValueTask.FromResult<byte[]?>(entry.Value);
            }

            _store.Values.TryRemove(KeyValuePair.Create(key, entry));
        }

        return ValueTask.FromResult<byte[]?>(null);
    }

    /// <inheritdoc />
    protected override ValueTask SetValueAsync(string key, byte[] value, TimeSpan? expires, CancellationToken cancellationToken)
    {
        _store.Values[key] = new Entry(value, expires is { } e ? TimeProvider.GetUtcNow() + e : null);
        _store.Changed.Pulse();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask<(long Count, bool Added)> AddChordPartAsync(string groupId, string taskId, byte[] part, TimeSpan? expires, CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow();
        lock (_store.Joins)
        {
            if (!_store.Joins.TryGetValue(groupId, out var join) || join.Expires <= now)
            {
                join = new Join();
                _store.Joins[groupId] = join;
            }

            var added = join.Parts.TryAdd(taskId, part);
            join.Expires = expires is { } e ? now + e : null;
            if (_store.Values.TryGetValue(GroupKey(groupId), out var group))
            {
                _store.Values[GroupKey(groupId)] = group with { Expires = join.Expires };
            }
            return ValueTask.FromResult(((long)join.Parts.Count, added));
        }
    }

    /// <inheritdoc />
    protected override ValueTask<IReadOnlyList<byte[]>> ReadChordPartsAsync(string groupId, CancellationToken cancellationToken)
    {
        lock (_store.Joins)
        {
            IReadOnlyList<byte[]> parts = _store.Joins.TryGetValue(groupId, out var join) && !(join.Expires <= TimeProvider.GetUtcNow()) ? [.. join.Parts.Values] : [];
            return ValueTask.FromResult(parts);
        }
    }

    /// <inheritdoc />
    protected override ValueTask DeleteChordPartsAsync(string groupId, CancellationToken cancellationToken)
    {
        lock (_store.Joins)
        {
            _store.Joins.Remove(groupId);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask CleanupAsync(CancellationToken cancellationToken = default)
    {
        var now = TimeProvider.GetUtcNow();
        foreach (var (key, entry) in _store.Values)
        {
            if (entry.Expires <= now)
            {
                _store.Values.TryRemove(KeyValuePair.Create(key, entry));
            }
        }

        lock (_store.Joins)
        {
            foreach (var (groupId, join) in _store.Joins.Where(j => j.Value.Expires <= now).ToList())
            {
                _store.Joins.Remove(groupId);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask DeleteValueAsync(string key, CancellationToken cancellationToken)
    {
        _store.Values.TryRemove(key, out _);
        _store.Changed.Pulse();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task WatchAsync(string key, CancellationToken cancellationToken) => _store.Changed.NextPulse;

    private sealed record Entry(byte[] Value, DateTimeOffset? Expires);

    /// <summary>A chord's join: one part per header task id.</summary>
    private sealed class Join
    {
        public Dictionary<string, byte[]> Parts { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset? Expires { get; set; }
    }

    private sealed class Store
    {
        public ConcurrentDictionary<string, Entry> Values { get; } = new(StringComparer.Ordinal);

        /// <summary>Chord joins by group id; guarded by locking the dictionary itself.</summary>
        public Dictionary<string, Join> Joins { get; } = new(StringComparer.Ordinal);

        public AsyncPulse Changed { get; } = new();
    }
}
