using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Canvas;
using Celeriac.Protocol;
using Celeriac.Schedules;
using Microsoft.Extensions.Logging;

namespace Celeriac.Beat;

/// <summary>
/// Celery beat for a <see cref="CeleriacApp"/>: sends each entry of <c>app.Beat</c> when its schedule is due, as an
/// ordinary task message (what Python beat sends, so Python workers run it too). Several beats may run: only the one
/// holding the store's lease sends; the others stand by and take over when its lease lapses, within
/// <c>beat_leader_lease</c> of its death. Every run is recorded, fenced by the lease, before its message is sent, so a run is never sent twice
/// (Celery's order: a crash between the two loses that one run rather than doubling it). Source: celery/beat.py
/// (Scheduler.tick, apply_entry, PersistentScheduler), celery/apps/beat.py.
/// </summary>
public sealed partial class BeatService : IAsyncDisposable
{
    // A standby that knows when the lease lapses tries just after: store clocks may differ by a few milliseconds.
    private static readonly TimeSpan LeaseSlack = TimeSpan.FromMilliseconds(20);
    private readonly CeleriacApp _app;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _ownsStore;
    private readonly Lock _stateLock = new();
    private Dictionary<string, BeatEntryState> _state = new(StringComparer.Ordinal);
    private DateTimeOffset _renewAt;
    private DateTimeOffset _nextAcquire;
    private bool _announcedStandby;

    /// <summary>Creates a beat for <paramref name="app"/>.</summary>
    /// <param name="app">The app whose <c>Beat</c> entries are sent.</param>
    /// <param name="store">Where state and leadership live; <c>app.Beat.OpenStore()</c> (owned by this service) when null.</param>
    /// <param name="owner">This beat's name in the lease; unique per process by default.</param>
    /// <param name="options">Beat settings; the app's <c>beat_*</c> settings when null.</param>
    public BeatService(CeleriacApp app, IBeatStore? store = null, string? owner = null, BeatOptions? options = null)
    {
        _app = app ?? throw new ArgumentNullException(nameof(app));
        _time = app.TimeProvider;
        _logger = app.LoggerFactory.CreateLogger("celeriac.beat");
        Options = options ?? app.Options.Beat;
        _ownsStore = store is null;
        Store = store ?? app.Beat.OpenStore(Options.ScheduleFilename);
        Owner = owner ?? $"beat.{Guid.NewGuid().ToString("N")[..8]}@{CeleriacApp.HostName}:{Environment.ProcessId}";
    }

    /// <summary>This beat's name in the lease.</summary>
    public string Owner { get; }

    /// <summary>The store.</summary>
    public IBeatStore Store { get; }

    /// <summary>The settings.</summary>
    public BeatOptions Options { get; }

    /// <summary>The lease while this beat is the leader, else null.</summary>
    public BeatLease? Lease { get; private set; }

    /// <summary>Raised after each entry's message is sent (on the beat's loop: keep handlers short).</summary>
    public event EventHandler<BeatSentEventArgs>? Sent;

    /// <summary>Whether this beat is the one sending.</summary>
    public bool IsLeader => Lease is not null;

    /// <summary>How often a standby beat tries to take the lease: a sixth of it.</summary>
    public TimeSpan StandbyPoll => Options.LeaderLease / 6;

    /// <summary>The entries with the state this beat holds (last run, count, next run); no state while standing by.</summary>
    public IReadOnlyList<ScheduleEntry> Entries
    {
        get
        {
            lock (_stateLock)
            {
                return [.. _app.Beat.Entries.Select(e => _app.Beat.Status(e, _state.GetValueOrDefault(e.Name)))];
            }
        }
    }

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled: takes the lease (or stands by), sends due entries,
    /// sleeps until the next is due (at most <c>beat_max_loop_interval</c>), renews the lease; gives the lease up on the way out.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _logger.Starting();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TimeSpan delay;
                try
                {
                    delay = await TickAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The store is unreachable: nothing can be recorded, so nothing is sent; a lease that lapses meanwhile
                    // is found lost at the next renewal.
                    delay = StandbyPoll;
                    _logger.StoreError(ex.Message, delay.TotalSeconds, ex);
                }

                if (delay > TimeSpan.Zero)
                {
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        _logger.WakingUp(Humanize(delay));
                    }

                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _logger.ShuttingDown();
            if (Lease is { } lease)
            {
                Lease = null;
                try
                {
                    await Store.ReleaseAsync(lease, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // The lease lapses by itself; a standby takes over a little later.
                    _logger.StoreError(ex.Message, 0, ex);
                }
            }
        }
    }

    /// <summary>
    /// One pass of the scheduler (Celery's <c>tick</c>): take or renew the lease, send every due entry, and return how
    /// long to wait before the next pass.
    /// </summary>
    public async ValueTask<TimeSpan> TickAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        if (Lease is null)
        {
            if (now < _nextAcquire)
            {
                return _nextAcquire - now;
            }

            if (await TryLeadAsync(now, cancellationToken).ConfigureAwait(false) is { } retry)
            {
                _nextAcquire = now + retry;
                return retry;
            }
        }
        else if (now >= _renewAt)
        {
            if (!await Store.RenewAsync(Lease, Options.LeaderLease, cancellationToken).ConfigureAwait(false))
            {
                LoseLease();
                return TimeSpan.Zero;
            }

            _renewAt = now + (Options.LeaderLease / 3);
        }

        if (!await SyncDefinitionsAsync(now, cancellationToken).ConfigureAwait(false))
        {
            return TimeSpan.Zero;
        }

        // Next look: the soonest next run, the renewal, or beat_max_loop_interval; as instants, because sending takes time.
        var wake = now + Options.MaxLoopInterval;
        foreach (var (entry, fireAt) in DueEntries(now, ref wake))
        {
            var lease = Lease;
            if (lease is null)
            {
                break;
            }

            var nextRun = await RunEntryAsync(lease, entry, fireAt, now, cancellationToken).ConfigureAwait(false);
            if (nextRun is null)
            {
                return TimeSpan.Zero;
            }

            wake = Min(wake, nextRun.Value);
        }

        var delay = Min(wake, _renewAt) - _time.GetUtcNow();
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsStore)
        {
            await Store.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Tries to take the lease and load the schedule; returns null when leading, else when to try again.</summary>
    private async ValueTask<TimeSpan?> TryLeadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lease = await Store.TryAcquireAsync(Owner, Options.LeaderLease, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            var held = await Store.LoadAsync(cancellationToken).ConfigureAwait(false);
            if (!_announcedStandby)
            {
                _announcedStandby = true;
                _logger.StandingBy(held.Leader?.Owner ?? "another beat");
            }

            // Try again when the holder's lease would lapse, so a dead leader is replaced within its lease, not a poll later.
            return held.LeaseRemaining is { } remaining && remaining + LeaseSlack < StandbyPoll ? remaining + LeaseSlack : StandbyPoll;
        }

        _announcedStandby = false;
        var stored = await Store.LoadAsync(cancellationToken).ConfigureAwait(false);
        var entries = new Dictionary<string, BeatEntryState>(stored.Entries, StringComparer.Ordinal);
        if (stored.TimeZone is { } tz && tz != _app.Options.Timezone)
        {
            // Celery resets the whole schedule when the zone changed: stored wall-clock reasoning no longer holds.
            _logger.TimezoneReset(tz, _app.Options.Timezone);
            entries.Clear();
        }

        // Celery's merge_inplace: entries no longer defined are dropped, kept ones keep their last run, new ones start now.
        var merged = new Dictionary<string, BeatEntryState>(StringComparer.Ordinal);
        foreach (var def in _app.Beat.Entries)
        {
            merged[def.Name] = entries.TryGetValue(def.Name, out var s)
                ? s with { Task = def.Task }
                : new BeatEntryState(def.Task, _app.ToAppTime(now), 0);
        }

        if (!await Store.SaveAsync(lease, _app.Options.Timezone, merged, cancellationToken).ConfigureAwait(false))
        {
            return StandbyPoll;
        }

        lock (_stateLock)
        {
            _state = merged;
        }

        Lease = lease;
        _renewAt = now + (Options.LeaderLease / 3);
        _logger.Acquired(Owner, lease.FencingToken, Store.Description);
        return null;
    }

    private async ValueTask<bool> SyncDefinitionsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Entries added to or removed from app.Beat while running (Celery re-reads its schedule at every tick).
        var defs = _app.Beat.Entries;
        Dictionary<string, BeatEntryState> snapshot;
        lock (_stateLock)
        {
            if (defs.Count == _state.Count && defs.All(d => _state.ContainsKey(d.Name)))
            {
                return true;
            }

            snapshot = new Dictionary<string, BeatEntryState>(StringComparer.Ordinal);
            foreach (var def in defs)
            {
                snapshot[def.Name] = _state.TryGetValue(def.Name, out var s) ? s : new BeatEntryState(def.Task, _app.ToAppTime(now), 0);
            }
        }

        if (Lease is not { } lease || !await Store.SaveAsync(lease, _app.Options.Timezone, snapshot, cancellationToken).ConfigureAwait(false))
        {
            LoseLease();
            return false;
        }

        lock (_stateLock)
        {
            _state = snapshot;
        }

        return true;
    }

    private List<(BeatEntry Entry, DateTimeOffset FireAt)> DueEntries(DateTimeOffset now, ref DateTimeOffset wake)
    {
        var due = new List<(BeatEntry, DateTimeOffset)>();
        lock (_stateLock)
        {
            foreach (var entry in _app.Beat.Entries)
            {
                if (!_state.TryGetValue(entry.Name, out var s))
                {
                    continue;
                }

                var zone = _app.Beat.ZoneOf(entry);
                var state = entry.Schedule.IsDue(s.LastRunAt, now, zone);
                if (state.IsDue)
                {
                    due.Add((entry, entry.Schedule.NextRunAfter(s.LastRunAt, zone)));
                }
                else
                {
                    wake = Min(wake, now + state.NextCheck);
                }
            }
        }

        // Oldest fire time first, as Celery's heap orders them.
        due.Sort((a, b) => a.Item2.CompareTo(b.Item2));
        return due;
    }

    /// <summary>Records and sends one due entry; returns its next run, or null when the lease was lost.</summary>
    private async ValueTask<DateTimeOffset?> RunEntryAsync(BeatLease lease, BeatEntry entry, DateTimeOffset fireAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        BeatEntryState previous;
        lock (_stateLock)
        {
            previous = _state[entry.Name];
        }

        var missed = now - fireAt > Options.MissedRunGrace;
        var skip = missed && (entry.MissedRunPolicy ?? Options.MissedRunPolicy) == MissedRunPolicy.Skip;
        var recorded = new BeatEntryState(entry.Task, _app.ToAppTime(now), previous.TotalRunCount + (skip ? 0 : 1));

        // Fenced: a beat whose lease was taken over records nothing and so sends nothing.
        if (!await Store.SaveEntryAsync(lease, entry.Name, recorded, cancellationToken).ConfigureAwait(false))
        {
            LoseLease();
            return null;
        }

        lock (_stateLock)
        {
            _state[entry.Name] = recorded;
        }

        var due = TimeZoneInfo.ConvertTime(fireAt, _app.Beat.ZoneOf(entry)).ToString("yyyy-MM-dd HH:mm:sszzz", CultureInfo.InvariantCulture);
        if (skip)
        {
            _logger.SkippingMissed(entry.Name, entry.Task, due);
        }
        else
        {
            if (missed)
            {
                _logger.SendingMissed(entry.Name, entry.Task, due);
            }

            _logger.Sending(entry.Name, entry.Task);
            try
            {
                var result = await AsPythonBeatSends(entry.Signature).ApplyAsync(_app, cancellationToken: cancellationToken).ConfigureAwait(false);
                _logger.Sent(entry.Task, result.Id);
                Sent?.Invoke(this, new BeatSentEventArgs(entry.Name, entry.Task, result.Id, recorded.LastRunAt));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Celery logs and carries on: the run stays recorded, so it is not sent twice.
                _logger.MessageError(entry.Name, ex.Message, ex);
            }
        }

        var zone = _app.Beat.ZoneOf(entry);
        return entry.Schedule.NextRunAfter(recorded.LastRunAt, zone);
    }

    /// <summary>
    /// Python beat hands apply_async its args as a list (celery/beat.py, _evaluate_entry_args), so its messages carry
    /// <c>argsrepr</c> "[2, 3]" where a client's carry "(2, 3)": keep the wire identical.
    /// </summary>
    private static Signature AsPythonBeatSends(Signature signature)
    {
        var headers = signature.Options["headers"] as JsonObject is { } h ? (JsonObject)h.DeepClone() : [];
        headers["argsrepr"] ??= PythonRepr.Of(signature.Args);
        return signature.WithOptions(new JsonObject { ["headers"] = headers });
    }

    private void LoseLease()
    {
        if (Lease is { } lease)
        {
            _logger.Lost(lease.FencingToken);
        }

        Lease = null;
        _nextAcquire = _time.GetUtcNow() + StandbyPoll;
        lock (_stateLock)
        {
            _state = new Dictionary<string, BeatEntryState>(StringComparer.Ordinal);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static string Humanize(TimeSpan t) =>
        t.TotalMinutes >= 1 ? t.TotalMinutes.ToString("0.00", CultureInfo.InvariantCulture) + " minutes" : t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " seconds";
}
