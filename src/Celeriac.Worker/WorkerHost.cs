using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker;

/// <summary>
/// The worker, whole: Consumer (prefetch = concurrency × multiplier) → Admission (decode, unknown task, ETA hold)
/// → ExecutionPool (bounded) → TaskRunner (revoke/expiry, limits, result, retry) → ack. Shutdown is warm
/// (stop consuming, finish running tasks within <see cref="WorkerOptions.ShutdownTimeout"/>), then cold (cancel
/// what still runs); every unacked message goes back to the broker.
/// </summary>
public sealed class WorkerHost : IAsyncDisposable, Control.IWorkerControl
{
    private readonly CeleriacApp _app;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopConsuming = new();
    private readonly CancellationTokenSource _stopDispatching = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly WorkerQueues _queues;
    private SyncTaskThreads? _syncThreads;
    private ExecutionPool? _pool;
    private ITransportConsumer? _consumer;
    private Control.Mailbox? _mailbox;
    private WorkerEvents? _events;
    private Admission? _admission;
    private StateDb? _stateDb;
    private int _concurrency;
    private DateTimeOffset _startedAt;
    private Task _consumeLoop = Task.CompletedTask;
    private Task _dispatchLoop = Task.CompletedTask;
    private bool _started;
    private bool _stopped;

    /// <summary>Creates a worker for <paramref name="app"/>; <paramref name="options"/> default to the app's worker options.</summary>
    public WorkerHost(CeleriacApp app, WorkerOptions? options = null)
    {
        _app = app ?? throw new ArgumentNullException(nameof(app));
        Options = options ?? app.Options.Worker;
        if (Options.Concurrency < 1)
        {
            throw new CeleriacConfigurationException("worker_concurrency", $"must be at least 1, got {Options.Concurrency}");
        }

        if (Options.PrefetchMultiplier < 0)
        {
            throw new CeleriacConfigurationException("worker_prefetch_multiplier", $"must be 0 (no limit) or more, got {Options.PrefetchMultiplier}");
        }

        _concurrency = Options.Concurrency;
        Hostname = NodeNames.Resolve(Options.Hostname, CeleriacApp.HostName);
        _queues = new WorkerQueues(Options.Queues.Count > 0 ? Options.Queues : [app.Options.Task.DefaultQueue]);
        _logger = app.LoggerFactory.CreateLogger("celeriac.worker");
    }

    /// <summary>The worker's options.</summary>
    public WorkerOptions Options { get; }

    /// <summary>The node name, <c>celery@host</c> by default.</summary>
    public string Hostname { get; }

    /// <summary>The queues consumed now (the <c>add_consumer</c> / <c>cancel_consumer</c> commands change them).</summary>
    public IReadOnlyList<string> Queues => _queues.Names;

    /// <summary>What the worker holds and has done.</summary>
    public WorkerState State { get; } = new();

    /// <summary>The prefetch limit in force (0 = none), including the ETA allowance.</summary>
    public int PrefetchCount => _consumer?.PrefetchCount ?? BasePrefetch;

    /// <summary>Completes when the worker has stopped (after a shutdown, or when its consumer fails).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Tasks run at once now (changed at runtime by pool_grow / pool_shrink).</summary>
    public int Concurrency => Volatile.Read(ref _concurrency);

    CeleriacApp Control.IWorkerControl.App => _app;

    WorkerEvents Control.IWorkerControl.Events => _events ?? throw new InvalidOperationException("the worker is not started");

    DateTimeOffset Control.IWorkerControl.StartedAt => _startedAt;

    /// <summary>Runtime rate limits (the <c>rate_limit</c> control command).</summary>
    internal RateLimiter? RateLimits { get; private set; }

    RateLimiter Control.IWorkerControl.RateLimits => RateLimits ?? throw new InvalidOperationException("the worker is not started");

    BrokerUrl Control.IWorkerControl.Broker => _app.BrokerOptionsUrl;

    WorkerQueues Control.IWorkerControl.ConsumedQueues => _queues;

    ITransportConsumer Control.IWorkerControl.Consumer => _consumer ?? throw new InvalidOperationException("the worker is not started");

    private int BasePrefetch => Options.PrefetchMultiplier == 0 ? 0 : Concurrency * Options.PrefetchMultiplier;

    /// <summary>Declares the queues and starts consuming.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_started)
            {
                return;
            }

            if (Options.StateDb is { } stateFile)
            {
                _stateDb = new StateDb(_app, stateFile, _logger);
                _stateDb.Load();
            }

            if (Options.Mingle && Control.Mingle.AppliesTo(_app))
            {
                await Control.Mingle.SyncAsync(_app, Hostname, _logger, cancellationToken).ConfigureAwait(false);
            }

            var transport = _app.Transport;
            var exchangeType = _app.Options.Task.TaskExchangeType;
            foreach (var queue in Queues)
            {
                await transport.DeclareExchangeAsync(new ExchangeDeclaration(queue, exchangeType), cancellationToken).ConfigureAwait(false);
                await transport.DeclareQueueAsync(QueueDeclaration.ForTasks(queue, _app.Options.Task), cancellationToken).ConfigureAwait(false);
                await transport.BindQueueAsync(queue, queue, queue, cancellationToken).ConfigureAwait(false);
                await _app.Producer.Delayed.PrepareQueueAsync(queue, queue, exchangeType, queue, cancellationToken).ConfigureAwait(false);
            }

            var results = new ResultWriter(_app, Hostname, _logger);
            Builtins.BuiltinTasks.Register(_app, results.Canvas);
            _events = new WorkerEvents(_app, Hostname, State, Options.SendTaskEvents);
            _syncThreads = new SyncTaskThreads(Options.Concurrency);
            var runner = new TaskRunner(_app, Options, results, _syncThreads, State, _events, _logger, Hostname);
            _pool = new ExecutionPool(Options.Concurrency, runner);
            _consumer = await transport.ConsumeAsync(Queues, BasePrefetch, cancellationToken).ConfigureAwait(false);
            var pool = _pool;
            RateLimits = new RateLimiter(_app.TimeProvider, pool.Enqueue, _shutdown.Token);
            var admission = new Admission(_app, _pool, results, State, _events, _logger, Hostname, () => BasePrefetch, RateLimits, Options.DisableRateLimits);
            _admission = admission;
            _startedAt = _app.TimeProvider.GetUtcNow();
            _app.Revocations.Revoked += OnRevoked;

            _mailbox = new Control.Mailbox(_app, Hostname, new Control.ControlHandlers(this, _logger), _logger);
            await _mailbox.StartAsync(cancellationToken).ConfigureAwait(false);
            _dispatchLoop = _pool.DispatchAsync(_stopDispatching.Token);
            await _events.StartAsync().ConfigureAwait(false);
            _consumeLoop = ConsumeAsync(_consumer, admission);
            _started = true;
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.Ready(Hostname, string.Join(", ", Queues), _app.BrokerOptionsUrl.Redacted, Options.Concurrency, BasePrefetch);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Warm shutdown: stop consuming, let running tasks finish within <see cref="WorkerOptions.ShutdownTimeout"/>,
    /// then cancel the rest (cold); return every unacked message to the broker.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            if (!_started)
            {
                _completion.TrySetResult();
                return;
            }

            // Warm: first no new task starts, then no new message is fetched; reserved ones stay unacked.
            await _stopDispatching.CancelAsync().ConfigureAwait(false);
            _logger.WarmShutdown();
            _app.Revocations.Revoked -= OnRevoked;
            await _stopConsuming.CancelAsync().ConfigureAwait(false);
            if (_consumer is not null)
            {
                await _consumer.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await AwaitQuietly(_consumeLoop).ConfigureAwait(false);
            await AwaitQuietly(_dispatchLoop).ConfigureAwait(false);

            using var warm = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            warm.CancelAfter(Options.ShutdownTimeout);
            if (!await WaitIdleAsync(warm.Token).ConfigureAwait(false))
            {
                await ColdAsync().ConfigureAwait(false);
            }

            await _shutdown.CancelAsync().ConfigureAwait(false);
            if (_mailbox is not null)
            {
                await _mailbox.DisposeAsync().ConfigureAwait(false);
            }

            if (_events is not null)
            {
                await _events.DisposeAsync().ConfigureAwait(false);
            }

            if (_consumer is not null)
            {
                await _consumer.DisposeAsync().ConfigureAwait(false);
            }

            _stateDb?.Save();
            _syncThreads?.Dispose();
            _pool?.Dispose();
            _completion.TrySetResult();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Starts, runs until <paramref name="cancellationToken"/> fires or the worker fails, then shuts down warm.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        await Completion.ConfigureAwait(false);
    }

    /// <summary>Cold shutdown now: cancel running tasks' tokens; the stop in progress (or next) finishes quickly.</summary>
    public void RequestColdShutdown()
    {
        _logger.ColdShutdown();
        foreach (var r in State.Active.Values)
        {
            TaskRunner.Cancel(r, CancelReason.Shutdown);
        }
    }

    void Control.IWorkerControl.ResizePool(int delta)
    {
        if (delta == 0 || _pool is null || _syncThreads is null || Concurrency + delta < 1)
        {
            return;
        }

        Interlocked.Add(ref _concurrency, delta);
        _pool.Resize(delta);
        _syncThreads.Resize(delta);
        if (_consumer is not null)
        {
            _admission?.UpdatePrefetch(_consumer, _admission.EtaHeld);
        }
    }

    void Control.IWorkerControl.BeginShutdown() => _ = Task.Run(() => StopAsync(CancellationToken.None));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopConsuming.Dispose();
        _stopDispatching.Dispose();
        _shutdown.Dispose();
        _lifecycle.Dispose();
    }

    private async Task ConsumeAsync(ITransportConsumer consumer, Admission admission)
    {
        try
        {
            await foreach (var delivery in consumer.ReadAllAsync(_stopConsuming.Token).ConfigureAwait(false))
            {
                await admission.AdmitAsync(delivery, consumer, _shutdown.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopConsuming.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.ConsumerCrashed(ex);
            _ = Task.Run(() => StopAsync(CancellationToken.None));
        }
    }

    private async Task<bool> WaitIdleAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _pool!.WhenIdleAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ColdAsync()
    {
        RequestColdShutdown();
        using var grace = new CancellationTokenSource(Options.AbandonGracePeriod);
        if (!await WaitIdleAsync(grace.Token).ConfigureAwait(false))
        {
            foreach (var r in State.Active.Values)
            {
                _logger.Abandoned(r.Request.DisplayName, r.Id, Options.AbandonGracePeriod.TotalSeconds);
            }
        }
    }

    private void OnRevoked(object? sender, RevokedEventArgs e)
    {
        _stateDb?.Save();
        if (!e.Terminate)
        {
            return;
        }

        foreach (var id in e.TaskIds)
        {
            if (State.Active.TryGetValue(id, out var running))
            {
                TaskRunner.Cancel(running, CancelReason.Terminated);
            }
        }
    }

    private static async Task AwaitQuietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
