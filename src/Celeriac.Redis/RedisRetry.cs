using StackExchange.Redis;

namespace Celeriac.Redis;

/// <summary>
/// Bookkeeping that must not be lost when Redis restarts (unacked entries, acks, dead letters, results) is retried
/// until the server is back: StackExchange.Redis reconnects by itself, and a server loading its AOF answers
/// <c>LOADING</c> until it is ready. Other errors are the caller's. Celery's Redis backend retries its writes the same
/// way (celery/backends/redis.py <c>ensure</c>, about 20 s); a worker holding the only copy of a message waits longer.
/// </summary>
internal static class RedisRetry
{
    /// <summary>How long a write waits for the broker to come back before its error is given to the caller.</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromMinutes(2);

    /// <summary>Whether <paramref name="ex"/> says the server is away or restarting (worth waiting for).</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        RedisServerException s => s.Message.StartsWith("LOADING", StringComparison.Ordinal) || s.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal),
        _ => false,
    };

    public static async Task<T> RunAsync<T>(Func<Task<T>> operation, TimeProvider clock, Action<Exception, int>? onRetry = null, TimeSpan? patience = null, CancellationToken cancellationToken = default)
    {
        var deadline = clock.GetTimestamp() + (long)((patience ?? DefaultPatience).TotalSeconds * clock.TimestampFrequency);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && clock.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
            {
                onRetry?.Invoke(ex, attempt);
                var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 50 * Math.Pow(2, Math.Min(attempt, 6))));
                await Task.Delay(backoff, clock, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static Task RunAsync(Func<Task> operation, TimeProvider clock, Action<Exception, int>? onRetry = null, TimeSpan? patience = null, CancellationToken cancellationToken = default) =>
        RunAsync(
            async () =>
            {
                await operation().ConfigureAwait(false);
                return true;
            },
            clock,
            onRetry,
            patience,
            cancellationToken);
}
