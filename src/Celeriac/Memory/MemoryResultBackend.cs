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
    protected override ValueTask<long> IncrementAsync(string key, TimeSpan? expires, CancellationToken cancellationToken)
    {
        long value;
        lock (_store)
        {
            value = 1;
            if (_store.Values.TryGetValue(key, out var entry) && (entry.Expires is null || entry.Expires > TimeProvider.GetUtcNow()))
            {
                value = long.Parse(System.Text.Encoding.ASCII.GetString(entry.Value), System.Globalization.CultureInfo.InvariantCulture) + 1;
            }

            _store.Values[key] = new Entry(System.Text.Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture)), expires is { } e ? TimeProvider.GetUtcNow() + e : null);
        }

        return ValueTask.FromResult(value);
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

    private sealed class Store
    {
        public ConcurrentDictionary<string, Entry> Values { get; } = new(StringComparer.Ordinal);

        public AsyncPulse Changed { get; } = new();
    }
}
