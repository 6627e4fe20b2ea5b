using System.Text.Json.Nodes;
using System.Threading.Channels;
using Celeriac.Dashboard.Api;
using Celeriac.Dashboard.History;
using Celeriac.Events;
using Microsoft.Extensions.Logging;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>
/// Receives the cluster's events (its own <c>celeryev.&lt;uuid&gt;</c> queue, as Flower does) and turns them into
/// history, metrics and live updates. Task events are written in batches by one writer (bounded buffer: when the file
/// falls behind, reading waits, and the broker holds the events); worker events update the directory at once. A lost
/// broker connection is retried every two seconds.
/// </summary>
internal sealed partial class EventCollector
{
    public const int BufferSize = 50_000;
    private const int BatchSize = 1_000;
    private static readonly TimeSpan WorkerSaveInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly DashboardContext _context;
    private readonly ILogger _logger;
    private readonly Channel<JsonObject> _taskEvents = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(BufferSize)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
        SingleWriter = true,
    });

    private readonly Dictionary<string, DateTimeOffset> _workerSaved = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EventCollector(DashboardContext context)
    {
        _context = context;
        _logger = context.App.LoggerFactory.CreateLogger("celeriac.dashboard.events");
    }

    /// <summary>Completes once the event queue is bound: events sent from then on are seen.</summary>
    public Task Listening => _listening.Task;

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Task.Run(() => ReceiveAsync(cancellationToken), cancellationToken), Task.Run(() => WriteAsync(cancellationToken), cancellationToken));

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var app = _context.App;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var receiver = new EventReceiver(app);
                await using var disposeReceiver = receiver.ConfigureAwait(false);
                await receiver.StartAsync(cancellationToken).ConfigureAwait(false);
                _listening.TrySetResult();
                LogListening(app.BrokerOptionsUrl.Redacted, receiver.Queue);

                // Workers answer with a heartbeat at once, so the workers page fills without waiting for the next one.
                await _context.Control.CastAsync("heartbeat", cancellationToken: cancellationToken).ConfigureAwait(false);
                await foreach (var e in receiver.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    var type = TaskEventMerge.Str(e, "type") ?? string.Empty;
                    if (type.StartsWith("worker-", StringComparison.Ordinal))
                    {
                        await OnWorkerEventAsync(type, e, cancellationToken).ConfigureAwait(false);
                    }
                    else if (type.StartsWith("task-", StringComparison.Ordinal))
                    {
                        await _taskEvents.Writer.WriteAsync(e, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogReceiveFailed(ex, app.BrokerOptionsUrl.Redacted);
                try
                {
                    await Task.Delay(RetryDelay, app.TimeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        _taskEvents.Writer.TryComplete();
    }

    private async Task OnWorkerEventAsync(string type, JsonObject e, CancellationToken cancellationToken)
    {
        var view = _context.Workers.Apply(e);
        _context.Metrics.Observe(e, null);
        _context.Feed.Publish("worker", DashboardJson.Worker(view).ToJsonString());
        var now = _context.Time.GetUtcNow();
        var known = _workerSaved.TryGetValue(view.Hostname, out var saved);
        if (!known || type != EventNames.WorkerHeartbeat || now - saved >= WorkerSaveInterval)
        {
            _workerSaved[view.Hostname] = now;
            try
            {
                await _context.Store.SaveWorkerAsync(view.Hostname, Protocol.WireTime.ToUnixSeconds(now), type == EventNames.WorkerOffline, e, null, cancellationToken).ConfigureAwait(false);
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex)
            {
                LogWriteFailed(ex, 1);
            }
        }

        if (!known || type == EventNames.WorkerOnline)
        {
            // A worker we have not inspected yet: ask for its pool and queues now rather than at the next round.
            _context.Inspector.Poke();
        }
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        var reader = _taskEvents.Reader;
        var batch = new List<JsonObject>(BatchSize);
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < BatchSize && reader.TryRead(out var e))
                {
                    batch.Add(e);
                }

                IReadOnlyList<TaskRecord> changed;
                try
                {
                    changed = await _context.Store.WriteEventsAsync(batch, cancellationToken).ConfigureAwait(false);
                }
                catch (Microsoft.Data.Sqlite.SqliteException ex)
                {
                    LogWriteFailed(ex, batch.Count);
                    continue;
                }

                var byId = changed.ToDictionary(t => t.Id, StringComparer.Ordinal);
                foreach (var e in batch)
                {
                    _context.Metrics.Observe(e, TaskEventMerge.Str(e, "uuid") is { } id && byId.TryGetValue(id, out var t) ? t : null);
                }

                foreach (var t in changed)
                {
                    _context.Feed.Publish("task", DashboardJson.TaskRow(t).ToJsonString());
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Dashboard receiving events from {Broker} on {Queue}")]
    private partial void LogListening(string broker, string queue);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Dashboard lost the event stream from {Broker}; retrying in 2 s")]
    private partial void LogReceiveFailed(Exception ex, string broker);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "Dashboard could not write {Count} events to the history file")]
    private partial void LogWriteFailed(Exception ex, int count);
}
