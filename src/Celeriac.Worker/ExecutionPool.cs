using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Celeriac.Worker;

/// <summary>
/// Runs admitted requests, at most <c>concurrency</c> at once, in arrival order. Waiting requests stay unacked
/// (reserved), so a shutdown returns them to the broker.
/// </summary>
internal sealed class ExecutionPool : IDisposable
{
    // Synchronous continuations: Enqueue runs the dispatch loop on the caller's thread (it only starts the run, which
    // yields at once), instead of waking another thread per request.
    private readonly Channel<WorkerRequest> _ready = Channel.CreateUnbounded<WorkerRequest>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly SemaphoreSlim _slots;
    private readonly TaskRunner _runner;
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private int _concurrency;

    public ExecutionPool(int concurrency, TaskRunner runner)
    {
        _concurrency = concurrency;
        _slots = new SemaphoreSlim(concurrency);
        _runner = runner;
    }

    public int Concurrency => Volatile.Read(ref _concurrency);

    /// <summary>Adds slots at once; removes them as running tasks end (a shrink never interrupts a task).</summary>
    public void Resize(int delta)
    {
        Interlocked.Add(ref _concurrency, delta);
        if (delta > 0)
        {
            _slots.Release(delta);
        }
        else
        {
            for (var i = 0; i < -delta; i++)
            {
                _ = _slots.WaitAsync();
            }
        }
    }

    public int Running => _running.Count;

    public void Enqueue(WorkerRequest request) => _ready.Writer.TryWrite(request);

    /// <summary>Dispatches until <paramref name="stopDispatching"/> fires; running tasks go on.</summary>
    public async Task DispatchAsync(CancellationToken stopDispatching)
    {
        try
        {
            while (await _ready.Reader.WaitToReadAsync(stopDispatching).ConfigureAwait(false))
            {
                await _slots.WaitAsync(stopDispatching).ConfigureAwait(false);
                if (stopDispatching.IsCancellationRequested || !_ready.Reader.TryRead(out var request))
                {
                    _slots.Release();
                    continue;
                }

                var run = RunOneAsync(request);
                _running.TryAdd(run, 0);
                _ = run.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stopDispatching.IsCancellationRequested)
        {
        }
    }

    /// <summary>Completes when every running task has ended.</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Keys);

    public void Dispose() => _slots.Dispose();

    private async Task RunOneAsync(WorkerRequest request)
    {
        try
        {
            await Task.Yield();
            await _runner.RunAsync(request).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }
}
