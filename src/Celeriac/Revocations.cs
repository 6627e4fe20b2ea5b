using System.Collections.Concurrent;

namespace Celeriac;

/// <summary>
/// Revoked task ids known to this process, with Celery's limits (50,000 ids, each kept 3 hours). Workers check
/// it when a task arrives, when its ETA comes, and before it runs; <see cref="Revoked"/> lets a worker cancel a
/// running task when <c>terminate</c> is asked. Source: celery/worker/state.py (revoked LimitedSet).
/// </summary>
public sealed class Revocations
{
    /// <summary>Celery's <c>REVOKES_MAX</c>.</summary>
    public const int MaxEntries = 50_000;

    /// <summary>Celery's <c>REVOKE_EXPIRES</c>.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromHours(3);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _ids = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the set.</summary>
    public Revocations(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <summary>Raised after ids are revoked, with whether running ones should be terminated.</summary>
    public event EventHandler<RevokedEventArgs>? Revoked;

    /// <summary>The revoked ids still remembered.</summary>
    public IReadOnlyCollection<string> Ids
    {
        get
        {
            Purge();
            return [.. _ids.Keys];
        }
    }

    /// <summary>The revoked ids with the time each was revoked.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Snapshot()
    {
        Purge();
        return new Dictionary<string, DateTimeOffset>(_ids, StringComparer.Ordinal);
    }

    /// <summary>Whether <paramref name="taskId"/> is revoked.</summary>
    public bool Contains(string taskId) =>
        _ids.TryGetValue(taskId, out var at) && _timeProvider.GetUtcNow() - at < Expiry;

    /// <summary>Revokes ids; <paramref name="terminate"/> asks workers to cancel them if running.</summary>
    public void Revoke(IReadOnlyCollection<string> taskIds, bool terminate)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        var now = _timeProvider.GetUtcNow();
        foreach (var id in taskIds)
        {
            _ids[id] = now;
        }

        if (_ids.Count > MaxEntries)
        {
            foreach (var old in _ids.OrderBy(p => p.Value).Take(_ids.Count - MaxEntries).ToList())
            {
                _ids.TryRemove(old);
            }
        }

        Revoked?.Invoke(this, new RevokedEventArgs(taskIds, terminate));
    }

    /// <summary>Adds ids learned elsewhere (a state file, another worker) without raising <see cref="Revoked"/>.</summary>
    public void Merge(IReadOnlyDictionary<string, DateTimeOffset> revoked)
    {
        ArgumentNullException.ThrowIfNull(revoked);
        foreach (var (id, at) in revoked)
        {
            _ids.AddOrUpdate(id, at, (_, existing) => existing > at ? existing : at);
        }
    }

    private void Purge()
    {
        var cutoff = _timeProvider.GetUtcNow() - Expiry;
        foreach (var p in _ids)
        {
            if (p.Value < cutoff)
            {
                _ids.TryRemove(p);
            }
        }
    }
}
