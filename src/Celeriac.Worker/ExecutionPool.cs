namespace Celeriac.Worker;

/// <summary>
/// Runs admitted requests, at most <c>concurrency</c> at once, in arrival order. Waiting requests stay unacked
/// (reserved), so a shutdown returns them to the broker.
/// </summary>
/// <remarks>
/// No dispatch loop: a request is started by whoever frees or finds a slot (the admitting thread, or the thread that
/// ends the previous run), under one lock. A dispatch loop woken through a semaphore and a channel cost two thread
/// hops per task on a draining worker. A request with a blocking body starts on the calling thread: its synchronous
/// part only hands the body to a task thread. An async body's synchronous prefix is user code that may block, so it
/// starts on the thread pool, as before.
/// A slot is held for the body, not for its result write's round trip: once a run has issued its SUCCESS write, the
/// slot starts the next request while the reply (and a late ack, which follows it) is awaited; at most
/// <c>concurrency</c> runs finish that way at once, so bodies never exceed <c>concurrency</c> and writes in flight stay
/// bounded. Holding the slot through the round trip capped a drain at concurrency / round trip.
/// </remarks>
internal sealed class ExecutionPool : IDisposable
{
    private const int MaxInlineDepth = 4;

    [ThreadStatic]
    private static int _inlineDepth;

    private readonly Queue<WorkerRequest> _ready = new();
    private readonly Lock _gate = new();
    private readonly TaskRunner _runner;
    private readonly Action<object?> _startQueued;
    private readonly Action<WorkerRequest> _endOfSlot;
    private int _concurrency;
    private int _running;

    // Runs past their slot: body ended, result write awaiting its reply (see EndOfSlot).
    private int _finishing;
    private bool _dispatching;
    private CancellationToken _stopDispatching;
    private TaskCompletionSource? _idle;
    private CancellationTokenRegistration _stopRegistration;

    public ExecutionPool(int concurrency, TaskRunner runner)
    {
        _concurrency = concurrency;
        _runner = runner;
        _startQueued = state => _ = RunOneAsync((WorkerRequest)state!);
        _endOfSlot = EndOfSlot;
    }

    public int Concurrency => Volatile.Read(ref _concurrency);

    /// <summary>Adds slots at once; removes them as running tasks end (a shrink never interrupts a task).</summary>
    public void Resize(int delta)
    {
        lock (_gate)
        {
            _concurrency += delta;
        }

        StartWhatFits();
    }

    /// <summary>Runs holding a slot (a body running, or about to).</summary>
    public int Running => Volatile.Read(ref _running);

    public void Enqueue(WorkerRequest request)
    {
        lock (_gate)
        {
            _ready.Enqueue(request);
        }

        StartWhatFits();
    }

    /// <summary>Starts dispatching; stops when <paramref name="stopDispatching"/> fires (running tasks go on).</summary>
    public Task DispatchAsync(CancellationToken stopDispatching)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _stopDispatching = stopDispatching;
            _dispatching = true;
        }

        _stopRegistration = stopDispatching.Register(() => stopped.TrySetResult());

        StartWhatFits();
        return stopped.Task;
    }

    /// <summary>Completes when every running task has ended.</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            if (_running == 0 && _finishing == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    public void Dispose() => _stopRegistration.Dispose();

    /// <summary>Starts queued requests while slots are free (one at a time under the lock, each started outside it).</summary>
    private void StartWhatFits()
    {
        while (TryTakeSlot() is { } request)
        {
            // A run that ends synchronously (an in-memory broker and backend) starts the next from its own stack:
            // past a few levels, the next starts on the thread pool instead, so the stack cannot grow with the queue.
            if (request.Definition.IsAsync || _inlineDepth >= MaxInlineDepth)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_startQueued, request, preferLocal: false);
                continue;
            }

            _inlineDepth++;
            try
            {
                _ = RunOneAsync(request);
            }
            finally
            {
                _inlineDepth--;
            }
        }
    }

    private WorkerRequest? TryTakeSlot()
    {
        lock (_gate)
        {
            // The token itself, not its callback: CancelAsync flips it at once and runs callbacks later.
            if (!_dispatching || _stopDispatching.IsCancellationRequested || _running >= _concurrency || !_ready.TryDequeue(out var request))
            {
                return null;
            }

            _running++;
            return request;
        }
    }

    private async Task RunOneAsync(WorkerRequest request)
    {
        try
        {
            request.EndOfSlot = _endOfSlot;
            await _runner.RunAsync(request).ConfigureAwait(false);
        }
        finally
        {
            TaskCompletionSource? idle = null;
            lock (_gate)
            {
                if (request.SlotReleased)
                {
                    _finishing--;
                }
                else
                {
                    _running--;
                }

                if (_running == 0 && _finishing == 0)
                {
                    (idle, _idle) = (_idle, null);
                }
            }

            idle?.TrySetResult();
            StartWhatFits();
        }
    }

    /// <summary>
    /// The body has ended and its result write is on the wire: the slot takes the next request while the write's reply
    /// (and a late ack after it) is awaited, unless <c>concurrency</c> runs are already finishing that way.
    /// </summary>
    private void EndOfSlot(WorkerRequest request)
    {
        lock (_gate)
        {
            if (request.SlotReleased || _finishing >= _concurrency)
            {
                return;
            }

            request.SlotReleased = true;
            _running--;
            _finishing++;
        }

        StartWhatFits();
    }
}
