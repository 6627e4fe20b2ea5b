using Celeriac.Worker;
using Microsoft.Extensions.Hosting;

namespace Celeriac.Hosting;

/// <summary>A <see cref="WorkerHost"/> as a hosted service: started with the host, shut down warm with it.</summary>
public sealed class WorkerService : IHostedService, IAsyncDisposable
{
    /// <summary>Wraps <paramref name="worker"/>.</summary>
    public WorkerService(WorkerHost worker)
    {
        Worker = worker ?? throw new ArgumentNullException(nameof(worker));
    }

    /// <summary>The worker.</summary>
    public WorkerHost Worker { get; }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Worker.StartAsync(cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Worker.StopAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Worker.DisposeAsync();
}
