namespace Celeriac.Worker;

/// <summary>Starting a worker from an app.</summary>
public static class CeleriacAppWorkerExtensions
{
    /// <summary>Creates and starts a worker in this process; dispose it (or call StopAsync) to shut it down warm.</summary>
    public static async Task<WorkerHost> StartWorkerAsync(this CeleriacApp app, WorkerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var worker = new WorkerHost(app, options);
        await worker.StartAsync(cancellationToken).ConfigureAwait(false);
        return worker;
    }
}
