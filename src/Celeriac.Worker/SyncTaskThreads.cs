namespace Celeriac.Worker;

/// <summary>
/// Dedicated threads for blocking task bodies, one per execution slot, so a blocking body never holds a
/// thread-pool thread that async tasks and I/O completions need. A body abandoned after a hard time limit keeps
/// its thread; a replacement thread keeps the capacity, and the surplus thread ends when the body returns.
/// </summary>
internal sealed class SyncTaskThreads : IDisposable
{
    // A plain queue under a monitor: an idle task thread sleeps in Monitor.Wait without spinning (BlockingCollection's
    // semaphore spins and yields first, which cost several context switches per task on a busy machine).
    private readonly Queue<WorkItem> _queue = new();
    private bool _closed;
    private int _surplus;
    private int _started;

    public SyncTaskThreads(int threads)
    {
        for (var i = 0; i < threads; i++)
        {
            StartThread();
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a task thread. The awaiting runner's continuation (storing the result, issuing
    /// the writes) runs on that thread, inline, up to its first wait on I/O: it is short and never blocks, and
    /// resuming it on the thread pool instead cost a thread hop per task.
    /// </summary>
    public Task<object?> RunAsync(Func<object?> body)
    {
        var item = new WorkItem(body, new TaskCompletionSource<object?>(TaskCreationOptions.None));
        lock (_queue)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _queue.Enqueue(item);
            Monitor.Pulse(_queue);
        }

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
        lock (_queue)
        {
            _closed = true;
            Monitor.PulseAll(_queue);
        }
    }

    private void StartThread()
    {
        var n = Interlocked.Increment(ref _started);
        var thread = new Thread(Loop) { IsBackground = true, Name = "celeriac-task-" + n };
        thread.Start();
    }

    private void Loop()
    {
        while (Take() is { } item)
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

    /// <summary>The next body to run, or null once disposed.</summary>
    private WorkItem? Take()
    {
        lock (_queue)
        {
            while (_queue.Count == 0)
            {
                if (_closed)
                {
                    return null;
                }

                Monitor.Wait(_queue);
            }

            return _queue.Dequeue();
        }
    }

    private sealed record WorkItem(Func<object?> Body, TaskCompletionSource<object?> Completion);
}
