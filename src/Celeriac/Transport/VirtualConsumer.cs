using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Celeriac.Transport;

/// <summary>
/// Consumes a set of queues of a <see cref="VirtualTransport"/>: fetches while fewer than the prefetch limit
/// are outstanding, rotates the queue order after each hit (kombu's round-robin cycle), renews the leases it
/// holds, keeps its queues from expiring (x-expires) while alive, and returns unsettled deliveries on dispose.
/// </summary>
internal sealed partial class VirtualConsumer : ITransportConsumer
{
    private readonly VirtualTransport _transport;
    private readonly ILogger _logger;
    private readonly List<string> _cycle;

    // Queue changes (add_consumer / cancel_consumer) are applied by the fetch loop, the only user of _cycle.
    private readonly ConcurrentQueue<(string Queue, bool Add)> _queueChanges = new();
    private readonly AsyncPulse _queuesChanged = new();
    private readonly Lock _queuesGate = new();
    private string[] _queues;
    private readonly ConcurrentDictionary<long, VirtualDelivery> _outstanding = new();
    private readonly Channel<IDelivery> _channel;
    private readonly CancellationTokenSource _stop = new();

    // Renewal outlives StopAsync: tasks still running during a warm shutdown keep their leases until dispose.
    private readonly CancellationTokenSource _disposing = new();
    private readonly PrefetchWindow _window;
    private readonly Task _fetchLoop;
    private readonly Task _renewLoop;
    private readonly Task _keepAliveLoop;
    private int _disposed;

    /// <summary>Starts consuming; the caller has already counted this consumer in with <see cref="VirtualTransport.TouchQueuesAsync"/> (+1).</summary>
    public VirtualConsumer(VirtualTransport transport, IReadOnlyList<string> queues, int prefetchCount, ILogger logger)
    {
        _transport = transport;
        _logger = logger;
        _cycle = [.. queues.Distinct(StringComparer.Ordinal)];
        _queues = [.. _cycle];
        _window = new PrefetchWindow(prefetchCount, () => _outstanding.Count);
        ConsumerId = Guid.NewGuid().ToString("N");

        // Bounded by prefetch in practice (fetching waits for capacity); unbounded so a prefetch of 0 works.
        _channel = Channel.CreateUnbounded<IDelivery>(new UnboundedChannelOptions { SingleWriter = true });
        _fetchLoop = Task.Run(FetchLoopAsync);
        _renewLoop = Task.Run(RenewLoopAsync);
        _keepAliveLoop = Task.Run(KeepAliveLoopAsync);
    }

    public string ConsumerId { get; }

    public IReadOnlyList<string> Queues => Volatile.Read(ref _queues);

    public int PrefetchCount => _window.Limit;

    public int Outstanding => _outstanding.Count;

    public void SetPrefetchCount(int prefetchCount) => _window.SetLimit(prefetchCount);

    public async ValueTask AddQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        lock (_queuesGate)
        {
            if (_queues.Contains(queue, StringComparer.Ordinal))
            {
                return;
            }

            _queues = [.. _queues, queue];
        }

        // Counted in as a consumer of the queue first, so its x-expires clock stops before anything is fetched.
        await _transport.TouchQueuesAsync([queue], 1, cancellationToken).ConfigureAwait(false);
        _queueChanges.Enqueue((queue, true));
        _queuesChanged.Pulse();
    }

    public async ValueTask<bool> RemoveQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        lock (_queuesGate)
        {
            if (!_queues.Contains(queue, StringComparer.Ordinal))
            {
                return false;
            }

            _queues = [.. _queues.Where(q => !string.Equals(q, queue, StringComparison.Ordinal))];
        }

        _queueChanges.Enqueue((queue, false));
        _queuesChanged.Pulse();
        await _transport.TouchQueuesAsync([queue], -1, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async IAsyncEnumerable<IDelivery> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var delivery in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return delivery;
        }
    }

    public async ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _fetchLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_renewLoop, _keepAliveLoop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        // Warm shutdown: what was fetched but not settled goes back, oldest first, keeping its place.
        foreach (var delivery in _outstanding.Values.OrderBy(d => d.Leased.Tag))
        {
            try
            {
                await delivery.ReturnAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogRestoreFailed(ex, delivery.Leased.Tag);
            }
        }

        try
        {
            // Counted out last: the x-expires clock of each queue restarts now, as on RabbitMQ when its last consumer goes.
            await _transport.TouchQueuesAsync(Queues, -1, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogKeepAliveFailed(ex);
        }

        _stop.Dispose();
        _disposing.Dispose();
    }

    internal void Settled(VirtualDelivery delivery)
    {
        _outstanding.TryRemove(delivery.Leased.Tag, out _);
        _window.Released();
    }

    private async Task FetchLoopAsync()
    {
        var token = _stop.Token;
        var idleWait = TimeSpan.FromMilliseconds(20);
        var failures = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (!_window.HasRoom)
                {
                    await _window.WaitForRoomAsync(token).ConfigureAwait(false);
                    continue;
                }

                var queuesChanged = _queuesChanged.NextPulse;
                ApplyQueueChanges();
                if (_cycle.Count == 0)
                {
                    // Every queue cancelled: nothing to fetch until one is added.
                    await queuesChanged.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }

                var arrival = _transport.ObserveArrivals();
                LeasedMessage? got = null;
                for (var i = 0; i < _cycle.Count && got is null; i++)
                {
                    if (!_queueChanges.IsEmpty)
                    {
                        // A queue was added or cancelled meanwhile: once RemoveQueueAsync returned, nothing more is fetched from it.
                        break;
                    }

                    try
                    {
                        got = await _transport.TryGetAsync(_cycle[i], ConsumerId, token).ConfigureAwait(false);
                        failures = 0;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                    {
                        // A broker that goes away is waited for, not given up on: back off and try again.
                        failures++;
                        var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, 100 * Math.Pow(2, Math.Min(failures, 9))));
                        LogFetchRetry(ex, failures, backoff.TotalSeconds);
                        await Task.Delay(backoff, _transport.Clock, token).ConfigureAwait(false);
                        break;
                    }

                    if (got is not null)
                    {
                        // Round robin: the queue that just gave a message goes to the back of the cycle.
                        var q = _cycle[i];
                        _cycle.RemoveAt(i);
                        _cycle.Add(q);
                    }
                }

                if (got is null)
                {
                    if (arrival is { IsCompleted: true })
                    {
                        continue;
                    }

                    // A copy: the loop may change _cycle while an abandoned wait still reads its list.
                    var waiting = _transport.WaitForMessagesAsync([.. _cycle], Min(idleWait, _transport.PollInterval), token);
                    await (arrival is null ? Task.WhenAny(queuesChanged, waiting) : Task.WhenAny(arrival, queuesChanged, waiting)).ConfigureAwait(false);
                    if (waiting.IsCanceled)
                    {
                        token.ThrowIfCancellationRequested();
                    }

                    idleWait = Min(idleWait * 2, _transport.PollInterval);
                    continue;
                }

                idleWait = TimeSpan.FromMilliseconds(20);
                var delivery = new VirtualDelivery(this, _transport, got);
                _outstanding[got.Tag] = delivery;
                await _channel.Writer.WriteAsync(delivery, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFetchFailed(ex);
            _channel.Writer.TryComplete(ex);
            return;
        }

        _channel.Writer.TryComplete();
    }

    private async Task RenewLoopAsync()
    {
        var token = _disposing.Token;
        var every = _transport.VisibilityTimeout / 3;
        if (every <= TimeSpan.Zero)
        {
            return;
        }

        while (!token.IsCancellationRequested)
        {
            await Task.Delay(every, _transport.Clock, token).ConfigureAwait(false);
            if (_outstanding.IsEmpty)
            {
                continue;
            }

            try
            {
                await _transport.RenewLeasesAsync(ConsumerId, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                LogRenewFailed(ex);
            }
        }
    }

    private async Task KeepAliveLoopAsync()
    {
        var token = _disposing.Token;
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(VirtualTransport.QueueTouchInterval, _transport.Clock, token).ConfigureAwait(false);
            try
            {
                // Tells other processes these queues are in use, and cleans up expired ones even where nobody publishes.
                await _transport.TouchQueuesAsync(Queues, 0, token).ConfigureAwait(false);
                await _transport.DeleteExpiredIfDueAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                LogKeepAliveFailed(ex);
            }
        }
    }

    private void ApplyQueueChanges()
    {
        while (_queueChanges.TryDequeue(out var change))
        {
            var at = _cycle.IndexOf(change.Queue);
            if (change.Add && at < 0)
            {
                _cycle.Add(change.Queue);
            }
            else if (!change.Add && at >= 0)
            {
                _cycle.RemoveAt(at);
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(EventId = 110, Level = LogLevel.Error, Message = "Consumer stopped fetching after an error")]
    private partial void LogFetchFailed(Exception ex);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Fetching from the broker failed ({Failures} in a row); retrying in {Seconds}s")]
    private partial void LogFetchRetry(Exception ex, int failures, double seconds);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Could not renew message leases; they may be redelivered after the visibility timeout")]
    private partial void LogRenewFailed(Exception ex);

    [LoggerMessage(EventId = 114, Level = LogLevel.Warning, Message = "Could not mark the consumed queues as in use (x-expires); will try again")]
    private partial void LogKeepAliveFailed(Exception ex);

    [LoggerMessage(EventId = 112, Level = LogLevel.Error, Message = "Could not return message {Tag} to its queue; it will be redelivered after the visibility timeout")]
    private partial void LogRestoreFailed(Exception ex, long tag);
}
