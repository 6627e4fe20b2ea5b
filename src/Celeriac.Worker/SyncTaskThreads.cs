using System.Collections.Concurrent;

namespace Celeriac.Worker;

/// <summary>
/// Dedicated threads for blocking task bodies, one per execution slot, so a blocking body never holds a
/// thread-pool thread that async tasks and I/O completions need. A body abandoned after a hard time limit keeps
/// its thread; a replacement thread keeps the capacity, and the surplus thread ends when the body returns.
/// </summary>
internal sealed class SyncTaskThreads : IDisposable
{
    private readonly BlockingCollection<WorkItem> _queue = new(new ConcurrentQueue<WorkItem>());
    private int _surplus;
    private int _started;

    public SyncTaskThreads(int threads)
    {
        for (var i = 0; i < threads; i++)
        {
            StartThread();
        }
    }

    /// <summary>Runs <paramref name="body"/> on a task thread.</summary>
    public Task<object?> RunAsync(Func<object?> body)
    {
        var item = new WorkItem(body, new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously));
        _queue.Add(item);
        return item.Completion.Task;
    }

    /// <summary>Adds threads (pool grow) or marks some for retirement (pool shrink).</summary>
    public void Resize(int delta)
    {
        if (delta > 0)
        {
            for (var i = 0; i < delta; i++)
            {
                StartThread();
            }
        }
        else if (delta < 0)
        {
            Interlocked.Add(ref _surplus, -delta);
        }
    }

    /// <summary>A body was abandoned on its thread: start a replacement and retire one thread later.</summary>
    public void ReplaceAbandoned() => Resize(1);

    public void RetireOne() => Interlocked.Increment(ref _surplus);

    public void Dispose()
    {
        _queue.CompleteAdding();
        _queue.Dispose();
    }

    private void StartThread()
    {
        var n = Interlocked.Increment(ref _started);
        var thread = new Thread(Loop) { IsBackground = true, Name = "celeriac-task-" + n };
        thread.Start();
    }

    private void Loop()
    {
        try
        {
            foreach (var item in _queue.GetConsumingEnumerable())
            {
                try
                {
                    item.Completion.TrySetResult(item.Body());
                }
                catch (Exception ex)
                {
                    item.Completion.TrySetException(ex);
                }

                // Retire this thread if the pool shrank or a replacement took over an abandoned slot.
                if (Interlocked.Decrement(ref _surplus) >= 0)
                {
                    return;
                }

                Interlocked.Increment(ref _surplus);
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private sealed record WorkItem(Func<object?> Body, TaskCompletionSource<object?> Completion);
}
