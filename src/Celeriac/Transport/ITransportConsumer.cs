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
}
