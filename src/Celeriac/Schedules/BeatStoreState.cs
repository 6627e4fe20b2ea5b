namespace Celeriac.Schedules;

/// <summary>Everything a beat store holds: the zone the state was written in, each entry's state, and the current leader.</summary>
/// <param name="TimeZone">The <c>timezone</c> the state was written with; beat resets the state when it changed, as Celery does.</param>
/// <param name="Entries">State by entry name.</param>
/// <param name="Leader">The lease holder, when one holds it now.</param>
/// <param name="LeaseRemaining">How long the holder's lease lasts unless renewed, when the store knows (a standby tries again then).</param>
public sealed record BeatStoreState(string? TimeZone, IReadOnlyDictionary<string, BeatEntryState> Entries, BeatLease? Leader = null, TimeSpan? LeaseRemaining = null)
{
    /// <summary>A store that has never been written.</summary>
    public static BeatStoreState Empty { get; } = new(null, new Dictionary<string, BeatEntryState>());
}
