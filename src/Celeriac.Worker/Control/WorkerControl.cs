using Celeriac.Transport;

namespace Celeriac.Worker.Control;

/// <summary>What remote-control handlers may see and change of their worker.</summary>
internal interface IWorkerControl
{
    CeleriacApp App { get; }

    string Hostname { get; }

    WorkerState State { get; }

    WorkerEvents Events { get; }

    WorkerOptions Options { get; }

    int Concurrency { get; }

    int PrefetchCount { get; }

    /// <summary>The queues consumed now, with their bindings (changed by add_consumer / cancel_consumer).</summary>
    WorkerQueues ConsumedQueues { get; }

    /// <summary>The task consumer (add_consumer / cancel_consumer change its queues).</summary>
    ITransportConsumer Consumer { get; }

    DateTimeOffset StartedAt { get; }

    /// <summary>Grows (positive) or shrinks (negative) the pool by <paramref name="delta"/> slots.</summary>
    void ResizePool(int delta);

    /// <summary>Starts a warm shutdown without waiting for it.</summary>
    void BeginShutdown();

    RateLimiter RateLimits { get; }

    /// <summary>The broker URL, for <c>stats</c>.</summary>
    BrokerUrl Broker { get; }
}
