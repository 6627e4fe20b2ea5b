using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Celeriac.Redis;

/// <summary>
/// Consumes queues of a <see cref="RedisTransport"/> as kombu's Redis channel does: one <c>BRPOP</c> over every
/// priority list of every queue (step order first, then the round-robin queue cycle, rotated after each hit), issued
/// only while fewer than the prefetch limit are outstanding, on a connection of its own because a blocking command
/// stalls its connection. Queues bound to fanout exchanges are PSUBSCRIBEd on the transport's shared connection.
/// Each delivery is recorded in <c>unacked</c>; this consumer keeps the <c>unacked_index</c> scores of what it holds
/// fresh (docs/decisions/0003-redis-unacked-renewal.md), restores stale entries of anyone (kombu's restore_visible) at
/// start and periodically, and on dispose puts back what it holds, to the head of the queues.
/// </summary>
internal sealed partial class RedisConsumer : ITransportConsumer
{
    /// <summary>The longest between two restores of stale unacked messages (kombu: at start, then about every 100 s).</summary>
    private static readonly TimeSpan MaxRestoreInterval = TimeSpan.FromSeconds(10);

    private readonly RedisTransport _transport;
    private readonly ILogger _logger;
    private readonly List<string> _cycle = [];

    // Queue changes (add_consumer / cancel_consumer) are applied by the fetch loop, the only user of _cycle.
    private readonly ConcurrentQueue<(string Queue, bool Add)> _queueChanges = new();
    private readonly AsyncPulse _queuesChanged = new();
    private readonly Lock _queuesGate = new();
    private string[] _queues;
    private readonly List<(string Queue, FanoutBinding Binding)> _fanout = [];
    private readonly ConcurrentDictionary<long, RedisDelivery> _outstanding = new();
    private readonly Channel<IDelivery> _channel;
    private readonly CancellationTokenSource _stop = new();

    // Renewal outlives StopAsync: tasks still running during a warm shutdown keep their messages until dispose.
    private readonly CancellationTokenSource _disposing = new();
    private readonly PrefetchWindow _window;
    private readonly List<ChannelMessageQueue> _subscriptions = [];
    private ConnectionMultiplexer? _blocking;
    private long _blockingClientId;
    private Task _fetchLoop = Task.CompletedTask;
    private Task _restoreLoop = Task.CompletedTask;
    private Task _renewLoop = Task.CompletedTask;
    private long _sequence;
    private int _popping;
    private int _disposed;

    public RedisConsumer(RedisTransport transport, IReadOnlyList<string> queues, int prefetchCount, ILogger logger)
    {
        _transport = transport;
        _logger = logger;
        _queues = [.. queues.Distinct(StringComparer.Ordinal)];
        foreach (var queue in _queues)
        {
            if (transport.TryGetFanout(queue, out var binding))
            {
                _fanout.Add((queue, binding));
            }
            else
            {
                _cycle.Add(queue);
            }
        }

        _window = new PrefetchWindow(prefetchCount, () => _outstanding.Count);

        // Bounded by prefetch in practice (popping waits for capacity); unbounded so that a prefetch of 0 works.
        _channel = Channel.CreateUnbounded<IDelivery>(new UnboundedChannelOptions { SingleReader = false });
    }

    public IReadOnlyList<string> Queues => Volatile.Read(ref _queues);

    public int PrefetchCount => _window.Limit;

    public void SetPrefetchCount(int prefetchCount) => _window.SetLimit(prefetchCount);

    public async ValueTask AddQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (_transport.TryGetFanout(queue, out _) || _blocking is null)
        {
            // Fanout queues are PUB/SUB subscriptions made at start; a fanout-only consumer has no BRPOP loop.
            throw new NotSupportedException($"a running Redis consumer adds list queues only; '{queue}' cannot be added");
        }

        lock (_queuesGate)
        {
            if (_queues.Contains(queue, StringComparer.Ordinal))
            {
                return;
            }

            _queues = [.. _queues, queue];
        }

        _queueChanges.Enqueue((queue, true));
        await RestartPopAsync().ConfigureAwait(false);
    }

    public async ValueTask<bool> RemoveQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        lock (_queuesGate)
        {
            if (!_queues.Contains(queue, StringComparer.Ordinal) || _transport.TryGetFanout(queue, out _))
            {
                return false;
            }

            _queues = [.. _queues.Where(q => !string.Equals(q, queue, StringComparison.Ordinal))];
        }

        _queueChanges.Enqueue((queue, false));
        await RestartPopAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>A pending BRPOP still names the old keys: end it so the loop pops again with the new cycle.</summary>
    private async Task RestartPopAsync()
    {
        _queuesChanged.Pulse();
        if (Interlocked.CompareExchange(ref _popping, 1, 1) == 1 && Interlocked.Read(ref _blockingClientId) is var id and > 0)
        {
            await IgnoreRedisErrorsAsync(UnblockAsync(id)).ConfigureAwait(false);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var shared = await _transport.ConnectionAsync().ConfigureAwait(false);
        foreach (var (queue, binding) in _fanout)
        {
            // Subscribed before ConsumeAsync returns: a publish after that reaches this consumer.
            var topic = _transport.PublishTopic(binding.Exchange, binding.RoutingKey);
            var subscription = await shared.GetSubscriber().SubscribeAsync(RedisChannel.Pattern(topic)).ConfigureAwait(false);
            subscription.OnMessage(message => OnFanoutMessage(queue, message));
            _subscriptions.Add(subscription);
        }

        if (_cycle.Count == 0)
        {
            // Fanout queues only: nothing to pop, hold or restore; StopAsync ends the stream.
            return;
        }

        _blocking = await ConnectionMultiplexer.ConnectAsync(_transport.Endpoint.ToConfiguration("celeriac-consumer", blocking: true)).ConfigureAwait(false);

        // A new connection after an outage has a new client id (and a restarted server reuses old ones).
        _blocking.ConnectionRestored += (_, _) => _ = RefreshClientIdAsync();
        await RefreshClientIdAsync().ConfigureAwait(false);

        _fetchLoop = Task.Run(FetchLoopAsync, CancellationToken.None);
        _restoreLoop = Task.Run(RestoreLoopAsync, CancellationToken.None);
        _renewLoop = Task.Run(RenewLoopAsync, CancellationToken.None);
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
        if (_stop.IsCancellationRequested)
        {
            await WaitAsync(_fetchLoop, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var subscription in _subscriptions)
        {
            await IgnoreRedisErrorsAsync(subscription.UnsubscribeAsync()).ConfigureAwait(false);
        }

        if (Volatile.Read(ref _popping) == 1 && Interlocked.Read(ref _blockingClientId) is var id and > 0)
        {
            await IgnoreRedisErrorsAsync(UnblockAsync(id)).ConfigureAwait(false);
        }

        await WaitAsync(_fetchLoop, cancellationToken).ConfigureAwait(false);
        await WaitAsync(_restoreLoop, cancellationToken).ConfigureAwait(false);
        if (_fanout.Count > 0)
        {
            _channel.Writer.TryComplete();
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
        await WaitAsync(_renewLoop, CancellationToken.None).ConfigureAwait(false);

        // kombu's restore_unacked_once: what was fetched but not settled goes back to the head of its queue. The last
        // received is pushed first, so the first received is consumed first again.
        foreach (var delivery in _outstanding.Values.OrderByDescending(d => d.Sequence))
        {
            try
            {
                await delivery.ReturnAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogRestoreFailed(ex, delivery.Tag);
            }
        }

        _outstanding.Clear();
        if (_blocking is not null)
        {
            await IgnoreRedisErrorsAsync(_blocking.CloseAsync(allowCommandsToComplete: false)).ConfigureAwait(false);
            await _blocking.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        _disposing.Dispose();
    }

    internal void Settled(RedisDelivery delivery)
    {
        _outstanding.TryRemove(delivery.Sequence, out _);
        _window.Released();
    }

    private void OnFanoutMessage(string queue, ChannelMessage message)
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        try
        {
            var envelope = KombuEnvelope.Decode((byte[])message.Message!);
            var delivery = new RedisDelivery(null, _transport, envelope, queue, envelope.DeliveryTag, Interlocked.Increment(ref _sequence));
            _channel.Writer.TryWrite(delivery);
        }
        catch (MessageDecodeException ex)
        {
            LogUndecodable(ex, queue);
        }
    }

    /// <summary>The BRPOP keys: for each priority step, for each queue in the current cycle order (kombu's _brpop_start).</summary>
    private object[] PopArguments()
    {
        var args = new List<object>((_cycle.Count * _transport.Options.PrioritySteps.Count) + 1);
        foreach (var step in _transport.Options.PrioritySteps)
        {
            foreach (var queue in _cycle)
            {
                args.Add((RedisKey)_transport.Key(RedisKeys.QueueList(queue, step)));
            }
        }

        args.Add(RedisKeys.BrpopTimeoutSeconds);
        return [.. args];
    }

    private async Task FetchLoopAsync()
    {
        var token = _stop.Token;
        var failures = 0;
        var db = _blocking!.GetDatabase();
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
                    // Every list queue cancelled: nothing to pop until one is added.
                    await queuesChanged.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }

                RedisResult popped;
                // Full fence, then look: a queue change enqueued before this either is seen here or sees _popping
                // and unblocks the BRPOP, so no pop names a cancelled queue after RemoveQueueAsync returned.
                Interlocked.Exchange(ref _popping, 1);
                if (!_queueChanges.IsEmpty)
                {
                    Volatile.Write(ref _popping, 0);
                    continue;
                }

                try
                {
                    popped = await db.ExecuteAsync(RedisKeys.Brpop, PopArguments()).ConfigureAwait(false);
                    failures = 0;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    if (token.IsCancellationRequested)
                    {
                        break;
                    }

                    // A broker that goes away is waited for, not given up on: back off and try again.
                    failures++;
                    var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, 100 * Math.Pow(2, Math.Min(failures, 9))));
                    LogFetchRetry(ex, failures, backoff.TotalSeconds);
                    await Task.Delay(backoff, _transport.Clock, token).ConfigureAwait(false);
                    continue;
                }
                finally
                {
                    Volatile.Write(ref _popping, 0);
                }

                if (popped.IsNull || popped.Length < 2)
                {
                    continue;
                }

                var list = (string)popped[0]!;
                var raw = (byte[])popped[1]!;
                if (token.IsCancellationRequested)
                {
                    // Popped while stopping: straight back to the head of its list, untouched.
                    var shared = await _transport.DatabaseAsync().ConfigureAwait(false);
                    await shared.ListRightPushAsync(list, raw).ConfigureAwait(false);
                    break;
                }

                await AcceptAsync(list, raw).ConfigureAwait(false);
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

    private async Task AcceptAsync(string list, byte[] raw)
    {
        var prefix = _transport.Options.GlobalKeyPrefix;
        var queue = RedisKeys.QueueOfList(prefix.Length > 0 && list.StartsWith(prefix, StringComparison.Ordinal) ? list[prefix.Length..] : list);

        // Round robin: the queue that just gave a message goes to the back of the cycle.
        var at = _cycle.IndexOf(queue);
        if (at >= 0)
        {
            _cycle.RemoveAt(at);
            _cycle.Add(queue);
        }

        KombuEnvelope envelope;
        try
        {
            envelope = KombuEnvelope.Decode(raw);
        }
        catch (MessageDecodeException ex)
        {
            // Not an envelope at all: nothing can settle it, and putting it back would loop forever.
            LogUndecodable(ex, queue);
            return;
        }

        var tag = envelope.DeliveryTag.Length > 0 ? envelope.DeliveryTag : Guid.NewGuid().ToString();
        try
        {
            await _transport.AppendUnackedAsync(tag, raw, envelope.Exchange, envelope.RoutingKey).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Not recorded, so nothing could restore it after a crash: give it back rather than hold it unprotected.
            LogFetchRetry(ex, 1, 0);
            try
            {
                var shared = await _transport.DatabaseAsync().ConfigureAwait(false);
                await shared.ListRightPushAsync(list, raw).ConfigureAwait(false);
            }
            catch (Exception again) when (again is RedisException or TimeoutException)
            {
                // The broker is gone between the pop and now: kombu loses the message in this window too (§4.5).
                LogLost(again, envelope.DeliveryTag, queue);
            }

            return;
        }

        var delivery = new RedisDelivery(this, _transport, envelope with { DeliveryTag = tag }, queue, tag, Interlocked.Increment(ref _sequence));
        _outstanding[delivery.Sequence] = delivery;
        await _channel.Writer.WriteAsync(delivery, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RestoreLoopAsync()
    {
        var token = _stop.Token;
        var every = _transport.VisibilityTimeout < MaxRestoreInterval ? _transport.VisibilityTimeout : MaxRestoreInterval;
        if (every < TimeSpan.FromMilliseconds(50))
        {
            every = TimeSpan.FromMilliseconds(50);
        }

        try
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await _transport.RestoreVisibleAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    LogRestoreVisibleFailed(ex);
                }

                await Task.Delay(every, _transport.Clock, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task RenewLoopAsync()
    {
        var token = _disposing.Token;
        var every = _transport.VisibilityTimeout / 3;
        if (every <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(every, _transport.Clock, token).ConfigureAwait(false);
                var tags = _outstanding.Values.Where(d => !d.IsSettled).Select(d => d.Tag).ToArray();
                try
                {
                    await _transport.RenewAsync(tags).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    LogRenewFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
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

    private static async Task WaitAsync(Task task, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Lets StopAsync end a pending BRPOP at once (CLIENT UNBLOCK) instead of waiting out its second.</summary>
    private async Task RefreshClientIdAsync()
    {
        Interlocked.Exchange(ref _blockingClientId, 0);
        try
        {
            var id = (long)await _blocking!.GetDatabase().ExecuteAsync(RedisKeys.Client, RedisKeys.Id).ConfigureAwait(false);
            Interlocked.Exchange(ref _blockingClientId, id);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Without an id a stop waits for the pending BRPOP's timeout (1 s): slower, not wrong.
        }
    }

    /// <summary>Ends a pending BRPOP as if it had timed out (from the shared connection: the blocked one is busy).</summary>
    private async Task UnblockAsync(long clientId)
    {
        var db = await _transport.DatabaseAsync().ConfigureAwait(false);
        await db.ExecuteAsync(RedisKeys.Client, RedisKeys.Unblock, clientId).ConfigureAwait(false);
    }

    private static async Task IgnoreRedisErrorsAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Error, Message = "Consumer stopped fetching after an error")]
    private partial void LogFetchFailed(Exception ex);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Fetching from Redis failed ({Failures} in a row); retrying in {Seconds}s")]
    private partial void LogFetchRetry(Exception ex, int failures, double seconds);

    [LoggerMessage(EventId = 412, Level = LogLevel.Warning, Message = "Could not renew held messages in unacked_index; they may be restored after the visibility timeout")]
    private partial void LogRenewFailed(Exception ex);

    [LoggerMessage(EventId = 413, Level = LogLevel.Error, Message = "Could not return message {Tag} to its queue; it will be restored after the visibility timeout")]
    private partial void LogRestoreFailed(Exception ex, string tag);

    [LoggerMessage(EventId = 414, Level = LogLevel.Warning, Message = "Restoring stale unacknowledged messages failed; will try again")]
    private partial void LogRestoreVisibleFailed(Exception ex);

    [LoggerMessage(EventId = 416, Level = LogLevel.Error, Message = "Message {Tag} popped from queue '{Queue}' could neither be recorded as unacked nor put back: lost")]
    private partial void LogLost(Exception ex, string tag, string queue);

    [LoggerMessage(EventId = 415, Level = LogLevel.Error, Message = "Dropped an undecodable message from queue '{Queue}'")]
    private partial void LogUndecodable(Exception ex, string queue);
}
