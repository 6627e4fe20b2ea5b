namespace Celeriac.Worker;

/// <summary>
/// A token bucket with capacity 1 (no bursts), as kombu's for task rate limits: one token every 1/rate seconds.
/// Source: kombu/utils/limits.py (TokenBucket), celery/worker/consumer/consumer.py (task_buckets).
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private double _tokens = 1;
    private DateTimeOffset _last;

    public TokenBucket(double rate, TimeProvider time)
    {
        Rate = rate;
        _time = time;
        _last = time.GetUtcNow();
    }

    /// <summary>Tokens per second.</summary>
    public double Rate { get; }

    /// <summary>Takes a token if there is one; otherwise says how long until there is.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            _tokens = Math.Min(1, _tokens + ((now - _last).TotalSeconds * Rate));
            _last = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                wait = TimeSpan.Zero;
                return true;
            }

            wait = TimeSpan.FromSeconds((1 - _tokens) / Rate);
            return false;
        }
    }
}
