using System.Threading.Channels;

namespace Celeriac.Redis;

/// <summary>
/// Group commit for small writes: items queued while the previous batch is on the wire go out together in the next
/// one (one round trip, and fewer commands: an LPUSH or HDEL of many values). Nothing waits to fill a batch, so a lone
/// write costs what it did before. Each caller's task completes when its batch is written, or fails with its error.
/// </summary>
internal sealed class WriteBatcher<T> : IAsyncDisposable
{
    private readonly Channel<(T Item, TaskCompletionSource Done)> _queue = Channel.CreateUnbounded<(T, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<T>, Task> _write;
    private readonly int _maxBatch;
    private readonly Lock _start = new();
    private Task? _loop;

    public WriteBatcher(Func<IReadOnlyList<T>, Task> write, int maxBatch)
    {
        _write = write;
        _maxBatch = maxBatch;
    }

    public Task WriteAsync(T item)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((item, done)))
        {
            done.SetException(new ObjectDisposedException(nameof(RedisTransport)));
            return done.Task;
        }

        if (Volatile.Read(ref _loop) is null)
        {
            lock (_start)
            {
                _loop ??= Task.Run(LoopAsync);
            }
        }

        return done.Task;
    }

    /// <summary>Writes what is queued, then stops taking items.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (Volatile.Read(ref _loop) is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    private async Task LoopAsync()
    {
        var batch = new List<(T Item, TaskCompletionSource Done)>(_maxBatch);
        var items = new List<T>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
                items.Add(entry.Item);
            }

            try
            {
                await _write(items).ConfigureAwait(false);
                foreach (var entry in batch)
                {
                    entry.Done.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                foreach (var entry in batch)
                {
                    entry.Done.TrySetException(ex);
                }
            }

            batch.Clear();
            items.Clear();
        }
    }
}
