using System.Text.Json.Nodes;
using Celeriac.Schedules;

namespace Celeriac.Dashboard.Beat;

/// <summary>
/// The Beat page on the app's own beat store, the one <c>celeriac beat</c> writes (<see cref="BeatSchedule.OpenStore"/>:
/// the Redis store on a Redis broker, else the JSON file <c>beat_schedule_filename</c>): the app's entries (from
/// <c>beat_schedule</c> and code) with their last run, run count and next run, entries the store knows that this app
/// does not define (by name and task only), and the leader. The store is opened on the first read and kept.
/// </summary>
public sealed class AppBeatScheduleSource : IBeatScheduleSource, IAsyncDisposable
{
    private readonly CeleriacApp _app;
    private readonly string? _scheduleFilename;
    private readonly SemaphoreSlim _open = new(1, 1);
    private IBeatStore? _store;
    private string? _description;

    /// <summary>Reads <paramref name="app"/>'s beat store.</summary>
    /// <param name="app">The app whose <c>app.Beat</c> entries and store are shown.</param>
    /// <param name="scheduleFilename">The state file when the broker keeps no beat state (<c>beat -s</c>); <c>beat_schedule_filename</c> when null.</param>
    public AppBeatScheduleSource(CeleriacApp app, string? scheduleFilename = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        _app = app;
        _scheduleFilename = scheduleFilename;
    }

    /// <inheritdoc />
    public string Description => _description ?? "beat store (not read yet)";

    /// <inheritdoc />
    public async Task<BeatScheduleSnapshot> ReadAsync(CancellationToken cancellationToken = default)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var state = await store.LoadAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<BeatEntryView>();
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in _app.Beat.Entries)
        {
            defined.Add(entry.Name);
            var status = _app.Beat.Status(entry, state.Entries.GetValueOrDefault(entry.Name));
            entries.Add(new BeatEntryView
            {
                Name = entry.Name,
                Task = entry.Task,
                Schedule = entry.Schedule.ToString() ?? entry.Schedule.GetType().Name,
                Args = entry.Signature.Args,
                Kwargs = entry.Signature.Kwargs,
                Queue = QueueOf(entry.Signature.Options["queue"]),
                LastRunAt = status.LastRunAt,
                NextRunAt = status.NextRunAt,
                TotalRunCount = status.TotalRunCount,
            });
        }

        // Runs recorded by a beat whose schedule has entries this app lacks (added in its code, or since removed).
        foreach (var (name, recorded) in state.Entries.Where(e => !defined.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            entries.Add(new BeatEntryView
            {
                Name = name,
                Task = recorded.Task,
                Schedule = "not in this app's schedule",
                LastRunAt = recorded.LastRunAt,
                TotalRunCount = recorded.TotalRunCount,
                Enabled = false,
            });
        }

        // An entry never sent carries the time beat first saw it (Celery's rule), not a send.
        var sent = state.Entries.Values.Where(e => e.TotalRunCount > 0).ToList();
        var lastRun = sent.Count > 0 ? sent.Max(e => e.LastRunAt) : (DateTimeOffset?)null;

        // A lease with a time to live is held now (Redis); the file store records the last leader, whose lock may be gone.
        return new BeatScheduleSnapshot(entries, state.Leader?.Owner, lastRun) { LeaderIsCurrent = state.LeaseRemaining is not null };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
            _store = null;
        }

        _open.Dispose();
    }

    // A queue option is a name, or kombu's Queue as a dict with one.
    private static string? QueueOf(JsonNode? queue) => (queue is JsonObject q ? q["name"] : queue) is JsonValue v && v.TryGetValue<string>(out var name) ? name : null;

    private async ValueTask<IBeatStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _store) is { } open)
        {
            return open;
        }

        await _open.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_store is null)
            {
                var store = _app.Beat.OpenStore(_scheduleFilename);
                _description = store.Description;
                Volatile.Write(ref _store, store);
            }

            return _store;
        }
        finally
        {
            _open.Release();
        }
    }
}
