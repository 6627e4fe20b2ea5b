using System.Collections;
using Celeriac.Canvas;

namespace Celeriac.Schedules;

/// <summary>
/// The app's periodic tasks (<c>app.Beat</c>, Celery's <c>beat_schedule</c>): entries from configuration plus those added
/// in code, <c>app.Beat.Add("add-every-10s", add.Signature(10, 20), new IntervalSchedule(TimeSpan.FromSeconds(10)))</c>.
/// A running beat picks up entries added or removed later at its next tick. <see cref="GetStatusAsync"/> reads the
/// persisted state (last run, run count, next run) for dashboards and tools.
/// </summary>
public sealed class BeatSchedule : IEnumerable<BeatEntry>
{
    private readonly CeleriacApp _app;
    private readonly Lock _lock = new();
    private readonly List<BeatEntry> _entries = [];

    internal BeatSchedule(CeleriacApp app, IEnumerable<BeatEntry> entries)
    {
        _app = app;
        foreach (var e in entries)
        {
            Add(e);
        }
    }

    /// <summary>The entries, in the order they were added.</summary>
    public IReadOnlyList<BeatEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Adds (or replaces, by name) an entry.</summary>
    public BeatEntry Add(BeatEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            var i = _entries.FindIndex(e => e.Name == entry.Name);
            if (i >= 0)
            {
                _entries[i] = entry;
            }
            else
            {
                _entries.Add(entry);
            }
        }

        return entry;
    }

    /// <summary>Adds (or replaces) an entry that sends <paramref name="signature"/> on <paramref name="schedule"/>.</summary>
    public BeatEntry Add(string name, Signature signature, ISchedule schedule, MissedRunPolicy? missedRunPolicy = null, TimeZoneInfo? timeZone = null) =>
        Add(new BeatEntry(name, signature, schedule) { MissedRunPolicy = missedRunPolicy, TimeZone = timeZone });

    /// <summary>Adds an entry that runs every <paramref name="every"/>.</summary>
    public BeatEntry Add(string name, Signature signature, TimeSpan every) => Add(name, signature, new IntervalSchedule(every));

    /// <summary>Removes the entry named <paramref name="name"/>.</summary>
    /// <returns>Whether there was one.</returns>
    public bool Remove(string name)
    {
        lock (_lock)
        {
            return _entries.RemoveAll(e => e.Name == name) > 0;
        }
    }

    /// <summary>The entry named <paramref name="name"/>, or null.</summary>
    public BeatEntry? Find(string name)
    {
        lock (_lock)
        {
            return _entries.Find(e => e.Name == name);
        }
    }

    /// <summary>
    /// Opens the store beat uses for this app: the broker's (Redis) when one is registered for its scheme, else the local
    /// file <c>beat_schedule_filename</c> (or <paramref name="scheduleFilename"/>). The caller disposes it.
    /// </summary>
    public IBeatStore OpenStore(string? scheduleFilename = null)
    {
        var context = new BeatStoreContext(_app.BrokerOptionsUrl, _app.Options.Broker.TransportOptions, _app.Options.Name, _app.TimeProvider, _app.LoggerFactory);
        return _app.Services.BeatStores.TryCreate(context) ?? new FileBeatStore(scheduleFilename ?? _app.Options.Beat.ScheduleFilename);
    }

    /// <summary>
    /// Every entry with its persisted state: when it last ran, how often, and when it runs next (null when beat has
    /// not seen the entry yet). Reads the store that <see cref="OpenStore"/> opens; works while beat runs elsewhere.
    /// </summary>
    public async Task<IReadOnlyList<ScheduleEntry>> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var store = OpenStore();
        await using (store.ConfigureAwait(false))
        {
            var state = await store.LoadAsync(cancellationToken).ConfigureAwait(false);
            return [.. Entries.Select(e => Status(e, state.Entries.GetValueOrDefault(e.Name)))];
        }
    }

    /// <summary>The leader holding the schedule now (or, for the file store, the last one recorded), or null.</summary>
    public async Task<BeatLease?> GetLeaderAsync(CancellationToken cancellationToken = default)
    {
        var store = OpenStore();
        await using (store.ConfigureAwait(false))
        {
            return (await store.LoadAsync(cancellationToken).ConfigureAwait(false)).Leader;
        }
    }

    /// <summary>The zone <paramref name="entry"/> is read in.</summary>
    public TimeZoneInfo ZoneOf(BeatEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.TimeZone ?? _app.TimeZone;
    }

    /// <summary><paramref name="entry"/> with <paramref name="state"/> and its next run.</summary>
    public ScheduleEntry Status(BeatEntry entry, BeatEntryState? state)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (state is null)
        {
            return new ScheduleEntry(entry, null, 0, null);
        }

        var zone = ZoneOf(entry);
        var next = TimeZoneInfo.ConvertTime(entry.Schedule.NextRunAfter(state.LastRunAt, zone), zone);
        return new ScheduleEntry(entry, state.LastRunAt, state.TotalRunCount, next);
    }

    /// <inheritdoc />
    public IEnumerator<BeatEntry> GetEnumerator() => Entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
