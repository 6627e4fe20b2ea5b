namespace Celeriac.Transport;

/// <summary>
/// A running consumption of some queues. Disposing it stops fetching and returns every delivery that was
/// neither acked nor rejected to its queue (warm shutdown).
/// </summary>
public interface ITransportConsumer : IAsyncDisposable
{
    /// <summary>The deliveries, as they arrive; ends when the consumer is stopped or disposed.</summary>
    IAsyncEnumerable<IDelivery> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>The current prefetch limit (0 = none).</summary>
    int PrefetchCount { get; }

    /// <summary>Changes the prefetch limit; Celery raises it by one per ETA task held.</summary>
    void SetPrefetchCount(int prefetchCount);

    /// <summary>The queues being consumed.</summary>
    IReadOnlyList<string> Queues { get; }

    /// <summary>Stops fetching new messages; outstanding deliveries can still be acked.</summary>
    ValueTask StopAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts consuming one more (declared) queue under the same prefetch limit, as Celery's <c>add_consumer</c>
    /// does; a queue already consumed is left as it is. A transport that cannot change a running consumer's queues
    /// throws <see cref="NotSupportedException"/>.
    /// </summary>
    ValueTask AddQueueAsync(string queue, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"this transport's consumer cannot start consuming '{queue}' while it runs");

    /// <summary>
    /// Stops fetching from <paramref name="queue"/> (Celery's <c>cancel_consumer</c>); deliveries already fetched
    /// from it stay outstanding and are settled as usual. Returns false when the queue was not consumed.
    /// </summary>
    ValueTask<bool> RemoveQueueAsync(string queue, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"this transport's consumer cannot stop consuming '{queue}' while it runs");
}
