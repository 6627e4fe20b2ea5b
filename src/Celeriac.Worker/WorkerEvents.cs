using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Events;

namespace Celeriac.Worker;

/// <summary>
/// The worker's events: <c>worker-online</c>, a <c>worker-heartbeat</c> every 2 s and <c>worker-offline</c> always
/// (as Celery sends the worker group even without <c>-E</c>); task events only while task events are enabled
/// (<c>-E</c> / <c>worker_send_task_events</c>), batched as <c>task.multi</c> lists as Celery 5 sends them; worker
/// events are never batched. Source: celery/worker/heartbeat.py, celery/worker/state.py.
/// </summary>
internal sealed class WorkerEvents : IAsyncDisposable
{
    private readonly CeleriacApp _app;
    private readonly WorkerState _state;
    private readonly EventDispatcher _dispatcher;
    private readonly TaskEventBuffer _taskEvents;
    private readonly CancellationTokenSource _stop = new();
    private Task _heartbeats = Task.CompletedTask;
    private volatile bool _sendTaskEvents;

    public WorkerEvents(CeleriacApp app, string hostname, WorkerState state, bool taskEvents)
    {
        _app = app;
        _state = state;
        _dispatcher = new EventDispatcher(app, hostname);
        _taskEvents = new TaskEventBuffer(_dispatcher);
        _sendTaskEvents = taskEvents;
    }

    /// <summary>Whether task events are sent (changed at runtime by enable_events / disable_events).</summary>
    public bool TaskEventsEnabled
    {
        get => _sendTaskEvents;
        set => _sendTaskEvents = value;
    }

    public async Task StartAsync()
    {
        var start = _app.TimeProvider.GetUtcNow();
        await _dispatcher.SendAsync(EventNames.WorkerOnline, WorkerFields()).ConfigureAwait(false);
        _heartbeats = HeartbeatLoopAsync(start, _stop.Token);
    }

    /// <summary>Sends a heartbeat now (the <c>heartbeat</c> control command, sent by monitors when they start).</summary>
    public ValueTask HeartbeatNowAsync() => _dispatcher.SendAsync(EventNames.WorkerHeartbeat, WorkerFields());

    public async ValueTask TaskAsync(string type, JsonObject fields)
    {
        if (_sendTaskEvents)
        {
            await _taskEvents.AddAsync(type, fields).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _heartbeats.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        // Buffered task events go out before the goodbye, as Celery flushes before worker-offline.
        await _taskEvents.DisposeAsync().ConfigureAwait(false);
        await _dispatcher.SendAsync(EventNames.WorkerOffline, WorkerFields()).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task HeartbeatLoopAsync(DateTimeOffset start, CancellationToken cancellationToken)
    {
        // Beats on a fixed schedule from start, so a slow send does not make the interval drift.
        var next = start + EventNames.HeartbeatInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = next - _app.TimeProvider.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _app.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            await _dispatcher.SendAsync(EventNames.WorkerHeartbeat, WorkerFields(), cancellationToken).ConfigureAwait(false);
            next += EventNames.HeartbeatInterval;
            if (next < _app.TimeProvider.GetUtcNow())
            {
                next = _app.TimeProvider.GetUtcNow() + EventNames.HeartbeatInterval;
            }
        }
    }

    private JsonObject WorkerFields() => new()
    {
        ["freq"] = EventNames.HeartbeatInterval.TotalSeconds,
        ["active"] = _state.Active.Count,
        ["processed"] = _state.Processed,
        ["loadavg"] = LoadAverage(),
        ["sw_ident"] = "celeriac",
        ["sw_ver"] = typeof(WorkerEvents).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        ["sw_sys"] = OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsMacOS() ? "Darwin" : "Windows",
    };

    private static JsonArray LoadAverage()
    {
        // The 1, 5 and 15 minute load, rounded to 2 decimals as Celery reports it; zeros where the OS has none.
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return new JsonArray(
                Math.Round(double.Parse(parts[0], CultureInfo.InvariantCulture), 2),
                Math.Round(double.Parse(parts[1], CultureInfo.InvariantCulture), 2),
                Math.Round(double.Parse(parts[2], CultureInfo.InvariantCulture), 2));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return new JsonArray(0.0, 0.0, 0.0);
        }
    }
}
