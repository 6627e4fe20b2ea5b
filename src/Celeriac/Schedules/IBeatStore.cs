namespace Celeriac.Schedules;

/// <summary>
/// Where beat keeps its state and its leadership: one lease holder at a time sends, and every write is fenced by the
/// holder's lease so a beat that lost the lease (paused, partitioned) cannot record or send a run. Implementations:
/// <see cref="FileBeatStore"/> (default), <see cref="MemoryBeatStore"/> (tests), and Redis (Celeriac.Redis) when the
/// broker is Redis.
/// </summary>
public interface IBeatStore : IAsyncDisposable
{
    /// <summary>Where the state lives, for banners and logs (no password).</summary>
    string Description { get; }

    /// <summary>Takes the lease for <paramref name="leaseTime"/> unless another holder has it.</summary>
    /// <returns>The lease, or null when it is held by someone else.</returns>
    ValueTask<BeatLease?> TryAcquireAsync(string owner, TimeSpan leaseTime, CancellationToken cancellationToken = default);

    /// <summary>Extends a held lease by <paramref name="leaseTime"/> from now.</summary>
    /// <returns>False when the lease was lost (expired and taken, or released).</returns>
    ValueTask<bool> RenewAsync(BeatLease lease, TimeSpan leaseTime, CancellationToken cancellationToken = default);

    /// <summary>Gives the lease up, if it is still held by <paramref name="lease"/>.</summary>
    ValueTask ReleaseAsync(BeatLease lease, CancellationToken cancellationToken = default);

    /// <summary>Reads the state and the current leader.</summary>
    ValueTask<BeatStoreState> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces the whole state (zone and entries), only while <paramref name="lease"/> holds.</summary>
    /// <returns>False when the lease is no longer held; nothing was written.</returns>
    ValueTask<bool> SaveAsync(BeatLease lease, string timeZone, IReadOnlyDictionary<string, BeatEntryState> entries, CancellationToken cancellationToken = default);

    /// <summary>Records one entry's state, only while <paramref name="lease"/> holds.</summary>
    /// <returns>False when the lease is no longer held; nothing was written.</returns>
    ValueTask<bool> SaveEntryAsync(BeatLease lease, string name, BeatEntryState state, CancellationToken cancellationToken = default);
}
