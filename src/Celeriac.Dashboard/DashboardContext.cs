using Celeriac.Dashboard.Api;
using Celeriac.Dashboard.Beat;
using Celeriac.Dashboard.History;
using Celeriac.Dashboard.Monitoring;

namespace Celeriac.Dashboard;

/// <summary>
/// Everything one dashboard owns, built once: the app it watches through, its history, the live feed, the worker
/// directory, remote control, metrics and the background loops. Reading this constructor shows the whole dashboard.
/// </summary>
internal sealed class DashboardContext : IAsyncDisposable
{
    private readonly AppBeatScheduleSource? _ownedBeat;

    public DashboardContext(CeleriacApp app, DashboardOptions options, IBeatScheduleSource? beat)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        App = app;
        Options = options;
        Time = app.TimeProvider;
        // Without a source of its own the page reads the app's beat store, which `celeriac beat` for this app writes.
        _ownedBeat = beat is null ? new AppBeatScheduleSource(app) : null;
        Beat = beat ?? _ownedBeat!;
        Store = new HistoryStore(options.HistoryPath);
        Feed = new LiveFeed();
        Workers = new WorkerDirectory(Time);
        Control = new ControlGate(app);
        Metrics = new DashboardMetrics();
        Inspector = new WorkerInspector(this);
        Collector = new EventCollector(this);
        Queues = new QueueMonitor(this);
        Pruner = new HistoryPruner(this);
        Actions = new DashboardActions(this);
    }

    public CeleriacApp App { get; }

    public DashboardOptions Options { get; }

    public TimeProvider Time { get; }

    public IBeatScheduleSource Beat { get; }

    public HistoryStore Store { get; }

    public LiveFeed Feed { get; }

    public WorkerDirectory Workers { get; }

    public ControlGate Control { get; }

    public DashboardMetrics Metrics { get; }

    public WorkerInspector Inspector { get; }

    public EventCollector Collector { get; }

    public QueueMonitor Queues { get; }

    public HistoryPruner Pruner { get; }

    public DashboardActions Actions { get; }

    /// <summary>Set once the history file is open and the loops run.</summary>
    public bool Started { get; set; }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync().ConfigureAwait(false);
        Control.Dispose();
        if (_ownedBeat is not null)
        {
            await _ownedBeat.DisposeAsync().ConfigureAwait(false);
        }
    }
}
