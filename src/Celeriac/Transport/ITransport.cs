using Celeriac.Protocol;

namespace Celeriac.Transport;

/// <summary>
/// A message broker connection: declare entities, publish opaque messages, consume queues with a prefetch limit.
/// A transport knows nothing of tasks, arguments or results. Implementations: memory://, sqlite://, redis://, amqp://.
/// </summary>
public interface ITransport : IAsyncDisposable
{
    /// <summary>What this transport can do natively.</summary>
    TransportCapabilities Capabilities { get; }

    /// <summary>Declares an exchange (idempotent).</summary>
    ValueTask DeclareExchangeAsync(ExchangeDeclaration exchange, CancellationToken cancellationToken = default);

    /// <summary>Declares a queue (idempotent).</summary>
    ValueTask DeclareQueueAsync(QueueDeclaration queue, CancellationToken cancellationToken = default);

    /// <summary>Binds <paramref name="queue"/> to <paramref name="exchange"/> with <paramref name="routingKey"/>.</summary>
    ValueTask BindQueueAsync(string queue, string exchange, string routingKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes to <paramref name="exchange"/> (<c>""</c> is the default exchange: routing key = queue name).
    /// Returns when the broker has the message.
    /// </summary>
    ValueTask PublishAsync(TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts consuming <paramref name="queues"/>. At most <paramref name="prefetchCount"/> deliveries are
    /// outstanding (not acked or rejected) at once; 0 means no limit.
    /// </summary>
    ValueTask<ITransportConsumer> ConsumeAsync(IReadOnlyList<string> queues, int prefetchCount, CancellationToken cancellationToken = default);

    /// <summary>Removes every ready message of <paramref name="queue"/>; returns how many.</summary>
    ValueTask<long> PurgeAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>Deletes <paramref name="queue"/>: its bindings and its ready messages.</summary>
    ValueTask DeleteQueueAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>The number of ready messages in <paramref name="queue"/>.</summary>
    ValueTask<long> GetQueueLengthAsync(string queue, CancellationToken cancellationToken = default);
}
