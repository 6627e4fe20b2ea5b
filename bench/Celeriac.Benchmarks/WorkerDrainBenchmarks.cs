using BenchmarkDotNet.Attributes;
using Celeriac.Client;
using Celeriac.Worker;

namespace Celeriac.Benchmarks;

/// <summary>
/// The worker's pipeline in process, without a network: a batch of no-op tasks published to an in-memory broker and
/// drained by a running worker (<c>-c 4</c>) with every result stored in the in-memory backend. What is measured per
/// task is the worker's own cost (admission, execution pool, task thread hand-off, result, ack) plus the client's
/// publish; the end-to-end bench adds Redis round trips to it.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class WorkerDrainBenchmarks : IAsyncDisposable
{
    private const int Tasks = 2_000;

    private CeleriacApp _app = null!;
    private WorkerHost _worker = null!;
    private CeleriacTask<int> _noop = null!;

    /// <summary><c>sync</c>: a blocking body (runs on a task thread); <c>async</c>: an async body (thread pool).</summary>
    [Params("sync", "async")]
    public string Body { get; set; } = "sync";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var name = "bench" + Guid.NewGuid().ToString("N");
        _app = new CeleriacApp(new CeleriacOptions
        {
            BrokerUrl = "memory://" + name,
            ResultBackend = "memory://" + name,
            Worker = new WorkerOptions { Concurrency = 4 },
        });
        _noop = Body == "sync"
            ? _app.Task<int>("bench.noop", (int i) => i)
            : _app.Task<int>("bench.noop", async (int i) =>
            {
                await Task.CompletedTask.ConfigureAwait(false);
                return i;
            });
        _worker = await _app.StartWorkerAsync(_app.Options.Worker).ConfigureAwait(false);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await _worker.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Publishes <see cref="Tasks"/> tasks and returns when the worker has stored every result.</summary>
    [Benchmark(OperationsPerInvoke = Tasks)]
    public async Task PublishAndDrain()
    {
        var target = _worker.State.Processed + Tasks;
        var sends = new Task[Tasks];
        for (var i = 0; i < Tasks; i++)
        {
            sends[i] = _noop.DelayAsync(i);
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
        while (_worker.State.Processed < target)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }
}
