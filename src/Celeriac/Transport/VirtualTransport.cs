using System.Collections.Concurrent;
using Celeriac.Protocol;
using Microsoft.Extensions.Logging;

namespace Celeriac.Transport;

/// <summary>
/// kombu's virtual transport: exchange routing, prefetch and redelivery built once on a handful of storage
/// primitives (put, get-with-lease, ack, requeue, renew, wait, bindings, purge, size, and for queue arguments
/// declare, touch and delete-expired), so that a new broker is a small class.
/// Source: kombu/transport/virtual/base.py (Channel), virtual/exchange.py.
/// </summary>
/// <remarks>
/// Queue arguments <c>x-message-ttl</c> and <c>x-expires</c> (<see cref="QueueDeclaration.MessageTtl"/>,
/// <see cref="QueueDeclaration.Expires"/>) behave as on RabbitMQ, which event receiver and pidbox queues rely on
/// (a receiver that crashed must not leave a queue behind that collects every broadcast forever):
/// a message expires <c>MessageTtl</c> after it was put, unless it is leased at that moment; a queue with
/// <c>Expires</c> is deleted (with its bindings and messages) once it has had no consumer and no declaration for
/// that long. Expired messages are never delivered nor counted; expired messages and queues are deleted by
/// <see cref="DeleteExpiredAsync"/>, which runs at most every <see cref="ExpiryCheckInterval"/> on a publish, a
/// declaration, or a consumer's keep-alive tick, in whichever process uses the broker.
/// </remarks>
public abstract partial class VirtualTransport : ITransport
{
    private readonly ConcurrentDictionary<string, ExchangeType> _exchangeTypes = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    // UTC ticks before which DeleteExpiredIfDueAsync does nothing: it rate-limits the clean-up per transport.
    private long _nextExpiryCheck;

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

    /// <summary>
    /// The least time between two runs of <see cref="DeleteExpiredAsync"/> by this transport. Publishing, declaring
    /// and consuming trigger it, so a crashed receiver's queue goes away even if only publishers are left.
    /// </summary>
    internal static TimeSpan ExpiryCheckInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a consumer tells the broker its queues are still in use (<see cref="TouchQueuesAsync"/> with 0).
    /// Shorter than any sensible <c>x-expires</c>: Celery's shortest is the pidbox's 10 s.
    /// </summary>
    internal static TimeSpan QueueTouchInterval { get; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public abstract TransportCapabilities Capabilities { get; }

    /// <inheritdoc />
    public ValueTask DeclareExchangeAsync(ExchangeDeclaration exchange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        _exchangeTypes[exchange.Name] = exchange.Type;
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Declares a queue: records its <c>x-message-ttl</c> and <c>x-expires</c> and restarts its expiry clock.
    /// Redeclaring with the same arguments changes nothing else. Unlike RabbitMQ, which refuses a redeclaration
    /// with other arguments (406 PRECONDITION_FAILED), the last declaration wins; messages already queued keep
    /// the expiry they were put with.
    /// </summary>
    public async ValueTask DeclareQueueAsync(QueueDeclaration queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        await DeclareQueueCoreAsync(queue, cancellationToken).ConfigureAwait(false);
        await DeleteExpiredIfDueAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask BindQueueAsync(string queue, string exchange, string routingKey, CancellationToken cancellationToken = default) =>
        AddBindingAsync(new QueueBinding(exchange, routingKey, queue), cancellationToken);

    /// <inheritdoc />
    public async ValueTask PublishAsync(TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);

        // Before routing, so that a publish never lands in a queue whose x-expires ran out since the last check.
        await DeleteExpiredIfDueAsync(cancellationToken).ConfigureAwait(false);
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
    public async ValueTask<ITransportConsumer> ConsumeAsync(IReadOnlyList<string> queues, int prefetchCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        if (queues.Count == 0)
        {
            throw new ArgumentException("consume at least one queue", nameof(queues));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(prefetchCount);

        // Registered before the consumer exists, so no clean-up between here and its first fetch can expire its queues.
        var distinct = queues.Distinct(StringComparer.Ordinal).ToList();
        await TouchQueuesAsync(distinct, 1, cancellationToken).ConfigureAwait(false);
        return new VirtualConsumer(this, distinct, prefetchCount, _logger);
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

    /// <summary>
    /// Records a queue declaration (last declaration wins) and marks the queue used now. Messages put into the
    /// queue afterwards expire <see cref="QueueDeclaration.MessageTtl"/> after their put; the queue itself is
    /// deleted by <see cref="DeleteExpiredAsync"/> once unused for <see cref="QueueDeclaration.Expires"/>.
    /// </summary>
    protected abstract ValueTask DeclareQueueCoreAsync(QueueDeclaration queue, CancellationToken cancellationToken);

    /// <summary>
    /// Marks <paramref name="queues"/> used now, postponing their <c>x-expires</c>. <paramref name="consumers"/> is
    /// +1 when a consumer starts, -1 when it stops, and 0 for a live consumer's keep-alive every
    /// <see cref="QueueTouchInterval"/>. A queue with a consumer in this process must never expire; other processes
    /// only see the touches, so a store may skip a keep-alive write while the last one is recent enough.
    /// </summary>
    protected internal abstract ValueTask TouchQueuesAsync(IReadOnlyList<string> queues, int consumers, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes expired messages (<c>x-message-ttl</c>; leased ones are left alone) and expired queues
    /// (<c>x-expires</c>: no consumer and no declaration for that long) with their bindings and messages.
    /// </summary>
    protected internal abstract ValueTask DeleteExpiredAsync(CancellationToken cancellationToken);

    /// <summary>Runs <see cref="DeleteExpiredAsync"/> unless this transport ran it less than <see cref="ExpiryCheckInterval"/> ago.</summary>
    internal ValueTask DeleteExpiredIfDueAsync(CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow().UtcTicks;
        var next = Interlocked.Read(ref _nextExpiryCheck);
        if (now < next || Interlocked.CompareExchange(ref _nextExpiryCheck, now + ExpiryCheckInterval.Ticks, next) != next)
        {
            return ValueTask.CompletedTask;
        }

        return DeleteExpiredLoggingFailureAsync(cancellationToken);
    }

    /// <summary>Stores a binding (idempotent).</summary>
    protected abstract ValueTask AddBindingAsync(QueueBinding binding, CancellationToken cancellationToken);

    /// <summary>The bindings of <paramref name="exchange"/>.</summary>
    protected abstract ValueTask<IReadOnlyList<QueueBinding>> GetBindingsAsync(string exchange, CancellationToken cancellationToken);

    // The clean-up is housekeeping: a failure must not fail the publish or declaration that happened to trigger it.
    private async ValueTask DeleteExpiredLoggingFailureAsync(CancellationToken cancellationToken)
    {
        try
        {
            await DeleteExpiredAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            LogCleanupFailed(ex);
        }
    }

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Could not delete expired messages and queues (x-message-ttl, x-expires); will try again")]
    private partial void LogCleanupFailed(Exception ex);

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
