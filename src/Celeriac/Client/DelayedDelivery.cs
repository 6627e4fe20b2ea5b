using System.Collections.Concurrent;
using Celeriac.Routing;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Client;

/// <summary>
/// When and how an app's ETA and countdown tasks take RabbitMQ's native delayed delivery (Celery 5.5): on a transport
/// that has it, with quorum task queues (Celery's <c>detect_quorum_queues</c>) and topic task exchanges, a task due a
/// second or more ahead is published to <c>celery_delayed_27</c> and waits on the broker, not in a worker.
/// Unlike Celery's client, which counts on a worker having declared the levels, this declares them (once) and binds
/// the target queue before the first such publish, so that a task sent while no worker runs still arrives.
/// Source: celery/app/base.py (send_task), celery/worker/consumer/delayed_delivery.py, celery/utils/quorum_queues.py.
/// </summary>
internal sealed partial class DelayedDelivery
{
    private readonly CeleriacApp _app;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _bound = new(StringComparer.Ordinal);
    private readonly object _levelsLock = new();
    private readonly ILogger _logger;
    private Task? _levels;
    private int _warnedDirect;

    public DelayedDelivery(CeleriacApp app)
    {
        _app = app;
        _logger = app.LoggerFactory.CreateLogger<DelayedDelivery>();
    }

    /// <summary>The transport's delayed delivery when this app's task queues use it (quorum), else null.</summary>
    public IDelayedDeliveryTransport? Transport =>
        _app.Options.Task.DefaultQueueType == TaskOptions.QuorumQueueType && _app.Transport is IDelayedDeliveryTransport transport ? transport : null;

    /// <summary>Whether task queues are bound to the delivery exchange: quorum on such a transport, and topic exchanges.</summary>
    public bool Enabled => Transport is not null && _app.Options.Task.TaskExchangeType != ExchangeType.Direct;

    /// <summary>
    /// Where a task for <paramref name="target"/> due at <paramref name="eta"/> is published: the delay levels when
    /// they apply, else <paramref name="target"/>'s own exchange and routing key.
    /// </summary>
    public async ValueTask<(string Exchange, string RoutingKey)> RouteAsync(PublishTarget target, DateTimeOffset? eta, CancellationToken cancellationToken)
    {
        if (eta is not { } due || Transport is null || !NativeDelayedDelivery.Applies(due - _app.TimeProvider.GetUtcNow()))
        {
            return (target.Exchange, target.RoutingKey);
        }

        if (!Enabled || target.Exchange.Length == 0)
        {
            if (Interlocked.Exchange(ref _warnedDirect, 1) == 0)
            {
                LogDirectExchange(target.Queue);
            }

            return (target.Exchange, target.RoutingKey);
        }

        // A retry of a task that came through the levels is sent for its routing key by the delivery exchange,
        // already bound to its queue (it was delivered that way).
        if (!NativeDelayedDelivery.IsLevelOrDelivery(target.Exchange))
        {
            await PrepareAsync(target.Queue, target.Exchange, target.RoutingKey, cancellationToken).ConfigureAwait(false);
        }

        // Measured after the first send's declarations, which may take a while, so that they do not make it late.
        var delay = due - _app.TimeProvider.GetUtcNow();
        if (!NativeDelayedDelivery.Applies(delay))
        {
            return (target.Exchange, target.RoutingKey);
        }

        return (NativeDelayedDelivery.EntryExchange, NativeDelayedDelivery.RoutingKey(NativeDelayedDelivery.Seconds(delay), target.RoutingKey));
    }

    /// <summary>
    /// A worker's part (Celery's <c>DelayedDelivery</c> bootstep): when the app's queues are quorum queues on a
    /// transport with delayed delivery, declares the levels and binds <paramref name="queue"/> to the delivery
    /// exchange through its <paramref name="exchange"/>; a direct exchange cannot be bound that way, which is logged.
    /// </summary>
    public Task PrepareQueueAsync(string queue, string exchange, ExchangeType exchangeType, string routingKey, CancellationToken cancellationToken)
    {
        if (Transport is null)
        {
            return Task.CompletedTask;
        }

        if (exchangeType != ExchangeType.Topic || exchange.Length == 0)
        {
            LogDirectExchange(queue);
            return Task.CompletedTask;
        }

        return PrepareAsync(queue, exchange, routingKey, cancellationToken);
    }

    /// <summary>
    /// Declares the levels (once per app) and routes due messages for the queue on to it (once per binding). The
    /// shared work runs to its end whatever the caller's token; the caller's token only ends its own wait.
    /// </summary>
    public Task PrepareAsync(string queue, string exchange, string routingKey, CancellationToken cancellationToken)
    {
        var transport = Transport ?? throw new InvalidOperationException("native delayed delivery needs RabbitMQ and quorum task queues");
        var key = queue + "\u0000" + exchange + "\u0000" + routingKey;
        Lazy<Task> Fresh(string _) => new(() => BindAsync(transport, queue, exchange, routingKey));
        var entry = _bound.GetOrAdd(key, Fresh);
        if (entry.Value.IsFaulted || entry.Value.IsCanceled)
        {
            // An earlier attempt failed: try again now (removing only that entry, not a newer one).
            _bound.TryRemove(new KeyValuePair<string, Lazy<Task>>(key, entry));
            entry = _bound.GetOrAdd(key, Fresh);
        }

        return entry.Value.WaitAsync(cancellationToken);
    }

    private async Task BindAsync(IDelayedDeliveryTransport transport, string queue, string exchange, string routingKey)
    {
        await LevelsAsync(transport).ConfigureAwait(false);
        await transport.BindDelayedDeliveryAsync(queue, exchange, routingKey, CancellationToken.None).ConfigureAwait(false);
    }

    private Task LevelsAsync(IDelayedDeliveryTransport transport)
    {
        lock (_levelsLock)
        {
            if (_levels is null || _levels.IsFaulted || _levels.IsCanceled)
            {
                _levels = transport.DeclareDelayedDeliveryAsync(_app.Options.Broker.NativeDelayedDeliveryQueueType, CancellationToken.None).AsTask();
            }

            return _levels;
        }
    }

    [LoggerMessage(EventId = 1180, Level = LogLevel.Warning, Message = "Queue {Queue} is a quorum queue on a direct exchange, and native delayed delivery does not support direct exchanges: ETA tasks wait in the worker until due. Set task_default_exchange_type = topic for RabbitMQ to hold them")]
    private partial void LogDirectExchange(string queue);
}
