using System.Collections.Concurrent;
using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Memory;

/// <summary>
/// <c>memory://[name]</c>: an in-process broker for tests and single-process use. Every transport opened on
/// the same name shares one broker; nothing survives the process.
/// </summary>
public sealed class MemoryTransport : VirtualTransport
{
    private static readonly ConcurrentDictionary<string, MemoryBroker> Brokers = new(StringComparer.Ordinal);
    private readonly MemoryBroker _broker;

    private MemoryTransport(TransportContext context, MemoryBroker broker)
        : base(context)
    {
        _broker = broker;
    }

    /// <inheritdoc />
    public override TransportCapabilities Capabilities { get; } = new("memory", SurvivesProcessCrash: false, CrossProcess: false, SupportsPriority: true);

    /// <summary>Opens the in-process broker named by the URL's host (<c>memory://</c> alone is the default one).</summary>
    public static MemoryTransport Get(TransportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.Url.Host.Length == 0 ? "default" : context.Url.Host;
        return new MemoryTransport(context, Brokers.GetOrAdd(name, _ => new MemoryBroker()));
    }

    /// <inheritdoc />
    public override ValueTask<long> PurgeAsync(string queue, CancellationToken cancellationToken = default) => ValueTask.FromResult(_broker.Purge(queue, TimeProvider.GetUtcNow()));

    /// <inheritdoc />
    public override ValueTask DeleteQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        _broker.Delete(queue);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask<long> GetQueueLengthAsync(string queue, CancellationToken cancellationToken = default) => ValueTask.FromResult(_broker.Size(queue, TimeProvider.GetUtcNow()));

    /// <inheritdoc />
    protected internal override ValueTask PutAsync(string queue, TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken)
    {
        _broker.Put(queue, message, exchange, routingKey, TimeProvider.GetUtcNow());
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected internal override ValueTask<LeasedMessage?> TryGetAsync(string queue, string consumerId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_broker.TryGet(queue, consumerId, TimeProvider.GetUtcNow(), VisibilityTimeout));

    /// <inheritdoc />
    protected internal override ValueTask AckAsync(LeasedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        _broker.Ack(message.Tag);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected internal override ValueTask RequeueAsync(LeasedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        _broker.Requeue(message.Tag);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected internal override ValueTask RenewLeasesAsync(string consumerId, CancellationToken cancellationToken)
    {
        _broker.Renew(consumerId, TimeProvider.GetUtcNow() + VisibilityTimeout);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected internal override Task WaitForMessagesAsync(IReadOnlyList<string> queues, TimeSpan maxWait, CancellationToken cancellationToken) =>
        _broker.Arrived.WaitAsync(maxWait, TimeProvider, cancellationToken);

    /// <inheritdoc />
    protected internal override Task? ObserveArrivals() => _broker.Arrived.NextPulse;

    /// <inheritdoc />
    protected override ValueTask DeclareQueueCoreAsync(QueueDeclaration queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _broker.Declare(queue, TimeProvider.GetUtcNow());
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected internal override ValueTask TouchQueuesAsync(IReadOnlyList<string> queues, int consumers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        _broker.Touch(queues, consumers, TimeProvider.GetUtcNow());
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected internal override ValueTask DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        _broker.DeleteExpired(TimeProvider.GetUtcNow());
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask AddBindingAsync(QueueBinding binding, CancellationToken cancellationToken)
    {
        _broker.Bind(binding);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask<IReadOnlyList<QueueBinding>> GetBindingsAsync(string exchange, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_broker.Bindings(exchange));
}
