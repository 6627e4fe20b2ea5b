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

    IReadOnlyList<string> Queues { get; }

    DateTimeOffset StartedAt { get; }

    /// <summary>Grows (positive) or shrinks (negative) the pool by <paramref name="delta"/> slots.</summary>
    void ResizePool(int delta);

    /// <summary>Starts a warm shutdown without waiting for it.</summary>
    void BeginShutdown();

    RateLimiter RateLimits { get; }

    /// <summary>The broker URL, for <c>stats</c>.</summary>
    BrokerUrl Broker { get; }
}
