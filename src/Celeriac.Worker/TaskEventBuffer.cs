using System.Text.Json.Nodes;
using Celeriac.Events;

namespace Celeriac.Worker;

/// <summary>
/// Task events batched as a Celery 5 worker sends them: each event is built (clock, timestamp) when it happens and
/// buffered; the buffer goes out as one <c>task.multi</c> list as soon as the worker is free to send it (Celery's
/// "on the next event-loop iteration") or at once when it holds <see cref="Limit"/> events. Batches go out one at a
/// time, in order. Source: celery/events/dispatcher.py (buffer_group, buffer_limit=24, flush),
/// celery/worker/consumer/events.py, celery/worker/consumer/consumer.py (on_send_event_buffered).
/// </summary>
internal sealed class TaskEventBuffer : IAsyncDisposable
{
    /// <summary>Celery's <c>buffer_limit</c>: a buffer this full is flushed by the sender itself.</summary>
    public const int Limit = 24;

    private readonly EventDispatcher _dispatcher;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _flusher;
    private List<JsonObject> _events = [];

    public TaskEventBuffer(EventDispatcher dispatcher)
    {
        _dispatcher = dispatcher;
        _flusher = Task.Run(FlushLoopAsync);
    }

    /// <summary>Buffers a task event; a full buffer is sent before this returns (back-pressure, as Celery).</summary>
    public async ValueTask AddAsync(string type, JsonObject fields)
    {
        int count;
        lock (_gate)
        {
            _events.Add(_dispatcher.Build(type, fields));
            count = _events.Count;
        }

        if (count >= Limit)
        {
            await FlushAsync().ConfigureAwait(false);
        }
        else if (count == 1)
        {
            WakeFlusher();
        }
    }

    /// <summary>Sends what is buffered now; batches never overtake each other.</summary>
    public async Task FlushAsync()
    {
        await _sending.WaitAsync().ConfigureAwait(false);
        try
        {
            List<JsonObject> batch;
            lock (_gate)
            {
                batch = _events;
                _events = [];
            }

            await _dispatcher.SendBatchAsync(batch).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Stops the flusher after sending what is left.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _flusher.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await FlushAsync().ConfigureAwait(false);
        _stop.Dispose();
        _sending.Dispose();
        _wake.Dispose();
    }

    private void WakeFlusher()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the pending flush takes this event too.
        }
    }

    private async Task FlushLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            await _wake.WaitAsync(_stop.Token).ConfigureAwait(false);

            // Let the work that raised this event finish its step first, so events raised together go together.
            await Task.Yield();
            await FlushAsync().ConfigureAwait(false);
        }
    }
}
