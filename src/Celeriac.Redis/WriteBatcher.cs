namespace Celeriac.Redis;

/// <summary>
/// Group commit for small writes: items queued while the previous batch is on the wire go out together in the next
/// one (one round trip, and fewer commands: an LPUSH or HDEL of many values). Nothing waits to fill a batch, so a lone
/// write costs what it did before. Each caller's task completes when its batch is written, or fails with its error.
/// </summary>
/// <remarks>
/// No writer loop: a write finding nothing on the wire is issued on its caller's thread, and the thread that sees a
/// batch come back issues the next one. A loop woken through a channel cost a thread hop per batch. The next batch is
/// issued before the finished one's callers are told, so a slow continuation never holds the pipeline.
/// </remarks>
internal sealed class WriteBatcher<T> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<T>, Task> _write;
    private readonly int _maxBatch;
    private readonly TaskCreationOptions _completion;
    private readonly Lock _gate = new();
    private readonly Queue<(T Item, TaskCompletionSource Done)> _pending = new();
    private bool _writing;
    private bool _closed;
    private TaskCompletionSource? _drained;

    /// <param name="write">Writes one batch.</param>
    /// <param name="maxBatch">The most items in one batch.</param>
    /// <param name="inlineCompletions">
    /// Run callers' continuations on the thread that saw their batch written (a thread-pool thread: replies are read
    /// there), one after the other, instead of each being queued to the thread pool. For acks and results, whose
    /// awaiters are short; a publish's awaiter is the application's code, so its continuations are queued.
    /// </param>
    public WriteBatcher(Func<IReadOnlyList<T>, Task> write, int maxBatch, bool inlineCompletions = false)
    {
        _write = write;
        _maxBatch = maxBatch;
        _completion = inlineCompletions ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously;
    }

    public Task WriteAsync(T item)
    {
        var done = new TaskCompletionSource(_completion);
        List<(T, TaskCompletionSource)>? batch;
        lock (_gate)
        {
            if (_closed)
            {
                done.SetException(new ObjectDisposedException("Redis connection", "the connection is closed: nothing more can be written"));
                return done.Task;
            }

            _pending.Enqueue((item, done));
            if (_writing)
            {
                return done.Task;
            }

            _writing = true;
            batch = TakeBatch();
        }

        _ = WriteBatchAsync(batch);
        return done.Task;
    }

    /// <summary>Writes what is queued, then stops taking items.</summary>
    public async ValueTask DisposeAsync()
    {
        Task drained;
        lock (_gate)
        {
            _closed = true;
            if (!_writing)
            {
                return;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained.Task;
        }

        await drained.ConfigureAwait(false);
    }

    private List<(T, TaskCompletionSource)> TakeBatch()
    {
        var batch = new List<(T, TaskCompletionSource)>(Math.Min(_pending.Count, _maxBatch));
        while (batch.Count < _maxBatch && _pending.TryDequeue(out var entry))
        {
            batch.Add(entry);
        }

        return batch;
    }

    private async Task WriteBatchAsync(List<(T Item, TaskCompletionSource Done)> batch)
    {
        Exception? error = null;
        try
        {
            var items = new T[batch.Count];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = batch[i].Item;
            }

            await _write(items).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error = ex;
        }

        List<(T, TaskCompletionSource)>? next = null;
        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            if (_pending.Count > 0)
            {
                next = TakeBatch();
            }
            else
            {
                _writing = false;
                (drained, _drained) = (_drained, null);
            }
        }

        if (next is not null)
        {
            _ = WriteBatchAsync(next);
        }

        foreach (var (_, done) in batch)
        {
            if (error is null)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(error);
            }
        }

        drained?.TrySetResult();
    }
}
