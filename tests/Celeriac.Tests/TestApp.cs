using Celeriac.Worker;

namespace Celeriac.Tests;

/// <summary>An app on a private in-memory broker and backend, with helpers to run a worker.</summary>
internal static class TestApp
{
    public static CeleriacApp Create(Func<CeleriacOptions, CeleriacOptions>? configure = null, TimeProvider? time = null)
    {
        var name = "t" + Guid.NewGuid().ToString("N");
        var options = new CeleriacOptions
        {
            BrokerUrl = "memory://" + name,
            ResultBackend = "memory://" + name,
            Worker = new WorkerOptions { Concurrency = 4, ShutdownTimeout = TimeSpan.FromSeconds(5), AbandonGracePeriod = TimeSpan.FromSeconds(1) },
        };
        options = configure?.Invoke(options) ?? options;
        return new CeleriacApp(options, new CeleriacServices { TimeProvider = time ?? TimeProvider.System });
    }

    public static Task<WorkerHost> StartWorkerAsync(this CeleriacApp app, int concurrency = 4) =>
        app.StartWorkerAsync(app.Options.Worker with { Concurrency = concurrency });

    /// <summary>
    /// How long a test waits for something another thread does. Also the reply window of control calls sent to one
    /// node: they return as soon as that node replies, and Celery's 1 s default window is too short on a loaded machine.
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Waits for a condition that another thread makes true, polling briefly; fails after the timeout.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Timeout)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(5);
        }
    }
}
