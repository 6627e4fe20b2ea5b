using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Celeriac.Worker;

/// <summary>
/// Holds requests of rate-limited task types until their bucket gives a token, then hands them to the pool, in
/// arrival order per type. Held requests stay unacked (reserved) and take no slot, so other task types run on.
/// The limit of a type can change at runtime (the <c>rate_limit</c> control command).
/// </summary>
internal sealed class RateLimiter
{
    private readonly TimeProvider _time;
    private readonly Action<WorkerRequest> _release;
    private readonly CancellationToken _shutdown;
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, double?> _overrides = new(StringComparer.Ordinal);

    public RateLimiter(TimeProvider time, Action<WorkerRequest> release, CancellationToken shutdown)
    {
        _time = time;
        _release = release;
        _shutdown = shutdown;
    }

    /// <summary>Sets (or with null, clears) a task type's rate in tokens per second; overrides its own setting.</summary>
    public void SetRate(string taskName, double? rate)
    {
        _overrides[taskName] = rate;
        if (_lanes.TryRemove(taskName, out var old))
        {
            old.Close();
        }
    }

    /// <summary>Passes the request to the pool now, or queues it behind its type's bucket.</summary>
    public void Admit(WorkerRequest request, double? ownRate)
    {
        var name = request.Definition.Name;
        var rate = _overrides.TryGetValue(name, out var r) ? r : ownRate;
        if (rate is null)
        {
            _release(request);
            return;
        }

        var lane = _lanes.GetOrAdd(name, _ => new Lane(new TokenBucket(rate.Value, _time), this));
        if (!lane.TryAdd(request))
        {
            // The lane was replaced by a rate change between lookup and add: go around once more.
            Admit(request, ownRate);
        }
    }

    private sealed class Lane
    {
        private readonly Channel<WorkerRequest> _waiting = Channel.CreateUnbounded<WorkerRequest>(new UnboundedChannelOptions { SingleReader = true });
        private readonly TokenBucket _bucket;
        private readonly RateLimiter _owner;

        // Cancelled by a rate change (or shutdown), so a pump asleep on the old bucket lets its requests go at once.
        private readonly CancellationTokenSource _closed;

        public Lane(TokenBucket bucket, RateLimiter owner)
        {
            _bucket = bucket;
            _owner = owner;
            _closed = CancellationTokenSource.CreateLinkedTokenSource(owner._shutdown);
            _ = PumpAsync();
        }

        public bool TryAdd(WorkerRequest request) => _waiting.Writer.TryWrite(request);

        public void Close()
        {
            _waiting.Writer.TryComplete();
            try
            {
                _closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The pump already ended (shutdown); nothing waits.
            }
        }

        private async Task PumpAsync()
        {
            try
            {
                while (await _waiting.Reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
                {
                    while (!_bucket.TryTake(out var wait))
                    {
                        await Task.Delay(wait, _owner._time, _closed.Token).ConfigureAwait(false);
                    }

                    if (_waiting.Reader.TryRead(out var request))
                    {
                        _owner._release(request);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }

            if (_owner._shutdown.IsCancellationRequested)
            {
                // Shutdown: held requests stay unacked and go back to the broker with the consumer.
                _closed.Dispose();
                return;
            }

            // Closed by a rate change: whatever still waits goes through the new setting, in order.
            while (_waiting.Reader.TryRead(out var request))
            {
                _owner.Admit(request, null);
            }

            _closed.Dispose();
        }
    }
}
