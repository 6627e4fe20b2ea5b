using System.Collections.Concurrent;

namespace Celeriac.Schedules;

/// <summary>
/// An in-process beat store with a real lease (it expires on the store's clock, so a fake clock drives hand-overs in
/// tests). <c>memory://name</c> brokers share one store per name, as they share one broker.
/// </summary>
public sealed class MemoryBeatStore : IBeatStore
{
    private static readonly ConcurrentDictionary<string, MemoryBeatStore> Stores = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private Dictionary<string, BeatEntryState> _entries = new(StringComparer.Ordinal);
    private string? _timeZone;
    private BeatLease? _holder;
    private DateTimeOffset _expires;
    private long _token;

    /// <summary>Creates a store whose leases expire on <paramref name="timeProvider"/>'s clock.</summary>
    public MemoryBeatStore(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Description => "memory";

    /// <summary>The store shared by every app on the <c>memory://</c> broker named by the context's URL.</summary>
    public static MemoryBeatStore Get(BeatStoreContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = (context.Url.Host.Length == 0 ? "default" : context.Url.Host) + "/" + context.AppName;
        return Stores.GetOrAdd(name, _ => new MemoryBeatStore(context.TimeProvider));
    }

    /// <inheritdoc />
    public ValueTask<BeatLease?> TryAcquireAsync(string owner, TimeSpan leaseTime, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_holder is not null && now < _expires)
            {
                return ValueTask.FromResult<BeatLease?>(null);
            }

            _holder = new BeatLease(owner, ++_token);
            _expires = now + leaseTime;
            return ValueTask.FromResult<BeatLease?>(_holder);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RenewAsync(BeatLease lease, TimeSpan leaseTime, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!Holds(lease))
            {
                return ValueTask.FromResult(false);
            }

            _expires = _time.GetUtcNow() + leaseTime;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(BeatLease lease, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (Holds(lease))
            {
                _holder = null;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<BeatStoreState> LoadAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var leader = _holder is not null && now < _expires ? _holder : null;
            return ValueTask.FromResult(new BeatStoreState(_timeZone, new Dictionary<string, BeatEntryState>(_entries, StringComparer.Ordinal), leader, leader is null ? null : _expires - now));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> SaveAsync(BeatLease lease, string timeZone, IReadOnlyDictionary<string, BeatEntryState> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        lock (_lock)
        {
            if (!Holds(lease))
            {
                return ValueTask.FromResult(false);
            }

            _timeZone = timeZone;
            _entries = new Dictionary<string, BeatEntryState>(entries, StringComparer.Ordinal);
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> SaveEntryAsync(BeatLease lease, string name, BeatEntryState state, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!Holds(lease))
            {
                return ValueTask.FromResult(false);
            }

            _entries[name] = state;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // A lease holds while it is the latest one granted and has not expired: an expired holder is fenced off even
    // before anyone else takes the lease.
    private bool Holds(BeatLease lease) =>
        _holder is not null && _holder.FencingToken == lease.FencingToken && _time.GetUtcNow() < _expires;
}
