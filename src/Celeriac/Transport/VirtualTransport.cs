using System.Collections.Concurrent;
using Celeriac.Protocol;
using Microsoft.Extensions.Logging;

namespace Celeriac.Transport;

/// <summary>
/// kombu's virtual transport: exchange routing, prefetch and redelivery built once on a handful of storage
/// primitives (put, get-with-lease, ack, requeue, renew, wait, bindings, purge, size), so that a new broker
/// is a small class. Source: kombu/transport/virtual/base.py (Channel), virtual/exchange.py.
/// </summary>
public abstract partial class VirtualTransport : ITransport
{
    private readonly ConcurrentDictionary<string, ExchangeType> _exchangeTypes = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    /// <summary>Creates the transport.</summary>
    protected VirtualTransport(TransportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
        TimeProvider = context.TimeProvider;
        _logger = context.LoggerFactory.CreateLogger(GetType());
        VisibilityTimeout = context.GetSeconds("visibility_timeout", TimeSpan.FromHours(1));
        PollInterval = context.GetSeconds("polling_interval", TimeSpan.FromSeconds(1));
    }

    /// <summary>The factory context (URL, options, clock, logging).</summary>
    protected TransportContext Context { get; }

    /// <summary>The clock.</summary>
    protected TimeProvider TimeProvider { get; }

    /// <summary>The clock, for this assembly's consumers.</summary>
    internal TimeProvider Clock => TimeProvider;

    /// <summary>
    /// How long a delivered, unacked message stays invisible before another consumer may take it
    /// (Celery's <c>visibility_timeout</c>). Consumers renew the leases they hold, so a long task or a
    /// far ETA is not redelivered while its worker lives.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; }

    /// <summary>The longest an idle consumer waits before checking again when no wake-up arrives.</summary>
    public TimeSpan PollInterval { get; }

    /// <inheritdoc />
    public abstract TransportCapabilities Capabilities { get; }

    /// <inheritdoc />
    public ValueTask DeclareExchangeAsync(ExchangeDeclaration exchange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        _exchangeTypes[exchange.Name] = exchange.Type;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public virtual ValueTask DeclareQueueAsync(QueueDeclaration queue, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask BindQueueAsync(string queue, string exchange, string routingKey, CancellationToken cancellationToken = default) =>
        AddBindingAsync(new QueueBinding(exchange, routingKey, queue), cancellationToken);

    /// <inheritdoc />
    public async ValueTask PublishAsync(TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);
        if (exchange.Length == 0)
        {
            await PutAsync(routingKey, message, exchange, routingKey, cancellationToken).ConfigureAwait(false);
            return;
        }

        var type = _exchangeTypes.TryGetValue(exchange, out var t) ? t : ExchangeType.Direct;
        var bindings = await GetBindingsAsync(exchange, cancellationToken).ConfigureAwait(false);
        var delivered = 0;
        foreach (var queue in Route(type, bindings, routingKey).Distinct(StringComparer.Ordinal))
        {
            await PutAsync(queue, message, exchange, routingKey, cancellationToken).ConfigureAwait(false);
            delivered++;
        }

        if (delivered == 0)
        {
            // kombu drops such messages without a word. A task sent to a direct exchange nobody bound is a mistake
            // worth a warning; an event or broadcast nobody listens to is normal.
            if (type == ExchangeType.Direct)
            {
                LogUnroutable(exchange, routingKey);
            }
            else
            {
                LogUnheard(exchange, routingKey);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<ITransportConsumer> ConsumeAsync(IReadOnlyList<string> queues, int prefetchCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        if (queues.Count == 0)
        {
            throw new ArgumentException("consume at least one queue", nameof(queues));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(prefetchCount);
        return ValueTask.FromResult<ITransportConsumer>(new VirtualConsumer(this, queues, prefetchCount, _logger));
    }

    /// <inheritdoc />
    public abstract ValueTask<long> PurgeAsync(string queue, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract ValueTask DeleteQueueAsync(string queue, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract ValueTask<long> GetQueueLengthAsync(string queue, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the storage.</summary>
    protected virtual ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;

    /// <summary>Appends <paramref name="message"/> to <paramref name="queue"/>.</summary>
    protected internal abstract ValueTask PutAsync(string queue, TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the next visible message of <paramref name="queue"/> (lowest priority number first, then oldest)
    /// and leases it to <paramref name="consumerId"/> for <see cref="VisibilityTimeout"/>; null when none.
    /// </summary>
    protected internal abstract ValueTask<LeasedMessage?> TryGetAsync(string queue, string consumerId, CancellationToken cancellationToken);

    /// <summary>Deletes a leased message (ack, or reject without requeue).</summary>
    protected internal abstract ValueTask AckAsync(LeasedMessage message, CancellationToken cancellationToken);

    /// <summary>Makes a leased message visible again at its original position, flagged redelivered.</summary>
    protected internal abstract ValueTask RequeueAsync(LeasedMessage message, CancellationToken cancellationToken);

    /// <summary>Extends every lease <paramref name="consumerId"/> holds by <see cref="VisibilityTimeout"/>.</summary>
    protected internal abstract ValueTask RenewLeasesAsync(string consumerId, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until a message may have arrived in one of <paramref name="queues"/>, at most <paramref name="maxWait"/>.
    /// Spurious returns are fine; the caller checks again.
    /// </summary>
    protected internal abstract Task WaitForMessagesAsync(IReadOnlyList<string> queues, TimeSpan maxWait, CancellationToken cancellationToken);

    /// <summary>
    /// A task that completes at the next arrival this process can observe (an in-process publish or requeue),
    /// taken before looking at the queues so that an arrival between "empty" and "wait" is not missed.
    /// Null when the transport can only be polled.
    /// </summary>
    protected internal virtual Task? ObserveArrivals() => null;

    /// <summary>Stores a binding (idempotent).</summary>
    protected abstract ValueTask AddBindingAsync(QueueBinding binding, CancellationToken cancellationToken);

    /// <summary>The bindings of <paramref name="exchange"/>.</summary>
    protected abstract ValueTask<IReadOnlyList<QueueBinding>> GetBindingsAsync(string exchange, CancellationToken cancellationToken);

    private static IEnumerable<string> Route(ExchangeType type, IReadOnlyList<QueueBinding> bindings, string routingKey) => type switch
    {
        ExchangeType.Fanout => bindings.Select(b => b.Queue),
        ExchangeType.Topic => bindings.Where(b => TopicMatcher.IsMatch(b.RoutingKey, routingKey)).Select(b => b.Queue),
        _ => bindings.Where(b => string.Equals(b.RoutingKey, routingKey, StringComparison.Ordinal)).Select(b => b.Queue),
    };

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Message to exchange '{Exchange}' with routing key '{RoutingKey}' matched no bound queue and was dropped")]
    private partial void LogUnroutable(string exchange, string routingKey);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Message to {Exchange} exchange with routing key '{RoutingKey}' had no listener")]
    private partial void LogUnheard(string exchange, string routingKey);
}
