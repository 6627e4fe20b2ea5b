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

    /// <summary>The most messages one pop takes (the prefetch limit caps it too).</summary>
    private const int MaxBatch = 64;

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

    // _outstanding's size, kept beside it: ConcurrentDictionary.Count takes every lock of the table, and the fetch
    // loop asks for it several times per pop.
    private int _outstandingCount;
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
    private bool _popScript = true;
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

        _window = new PrefetchWindow(prefetchCount, () => Volatile.Read(ref _outstandingCount));

        // Bounded by prefetch in practice (popping waits for capacity); unbounded so that a prefetch of 0 works.
        // Synchronous continuations: the reader (the worker's admission) runs on the fetch loop's thread right away
        // instead of being woken on another one, a thread hop per message saved; the fetch loop waits meanwhile.
        _channel = Channel.CreateUnbounded<IDelivery>(new UnboundedChannelOptions { SingleReader = false, AllowSynchronousContinuations = true });
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
        Volatile.Write(ref _outstandingCount, 0);
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
        if (_outstanding.TryRemove(delivery.Sequence, out _))
        {
            Interlocked.Decrement(ref _outstandingCount);
        }

        _window.Released();
    }

    private void Hold(RedisDelivery delivery)
    {
        if (_outstanding.TryAdd(delivery.Sequence, delivery))
        {
            Interlocked.Increment(ref _outstandingCount);
        }
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
                    // Full: wait for a quarter of the window to free up, so the next pop takes several messages at once.
                    await _window.WaitForRoomAsync(Math.Max(1, _window.Limit / 4), token).ConfigureAwait(false);
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

                RedisResult[]? batch = null;
                RedisResult popped = RedisResult.Create(RedisValue.Null);
                try
                {
                    // Busy queues: pop and record a batch atomically. Empty ones: block in BRPOP as kombu does.
                    batch = _popScript ? await PopBatchOrFallBackAsync().ConfigureAwait(false) : [];
                    if (batch.Length == 0)
                    {
                        // Full fence, then look: a queue change enqueued before this either is seen here or sees
                        // _popping and unblocks the BRPOP, so no BRPOP names a cancelled queue after RemoveQueueAsync
                        // returned (the pop script is not blocking: it ran with the cycle applied just above).
                        Interlocked.Exchange(ref _popping, 1);
                        try
                        {
                            if (_queueChanges.IsEmpty)
                            {
                                popped = await db.ExecuteAsync(RedisKeys.Brpop, PopArguments()).ConfigureAwait(false);
                            }
                        }
                        finally
                        {
                            Volatile.Write(ref _popping, 0);
                        }
                    }

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

                    // Capped at 5 s: a restarted broker is picked up within seconds.
                    var backoff = TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * Math.Pow(2, Math.Min(failures, 6))));
                    LogFetchRetry(ex, failures, backoff.TotalSeconds);
                    await Task.Delay(backoff, _transport.Clock, token).ConfigureAwait(false);
                    continue;
                }

                if (batch.Length > 0)
                {
                    // Recorded in unacked already: even when stopping they are held, and returned to the head at dispose.
                    for (var i = 0; i + 2 < batch.Length; i += 3)
                    {
                        await AcceptRecordedAsync((string)batch[i]!, (byte[])batch[i + 1]!, batch[i + 2]).ConfigureAwait(false);
                    }

                    continue;
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

    /// <summary>
    /// The pop script, or nothing on a server older than Redis 6.2 (no <c>RPOP key count</c>): the consumer then pops
    /// with BRPOP alone, as kombu does, and says so once.
    /// </summary>
    private async Task<RedisResult[]> PopBatchOrFallBackAsync()
    {
        var (lists, queues) = PopLists();
        try
        {
            return await _transport.PopBatchAsync(lists, queues, _cycle.Count, Room()).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("wrong number of arguments", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
        {
            _popScript = false;
            LogNoPopScript(ex.Message);
            return [];
        }
    }

    /// <summary>How many more messages the prefetch limit lets this consumer take now (at most <see cref="MaxBatch"/>).</summary>
    private int Room()
    {
        var limit = _window.Limit;
        return limit == 0 ? MaxBatch : Math.Clamp(limit - Volatile.Read(ref _outstandingCount), 1, MaxBatch);
    }

    /// <summary>The pop order (steps first, then the queue cycle) as list keys, with the queue of each.</summary>
    private (List<string> Lists, List<string> Queues) PopLists()
    {
        var lists = new List<string>(_cycle.Count * _transport.Options.PrioritySteps.Count);
        var queues = new List<string>(lists.Capacity);
        foreach (var step in _transport.Options.PrioritySteps)
        {
            foreach (var queue in _cycle)
            {
                lists.Add(_transport.Key(RedisKeys.QueueList(queue, step)));
                queues.Add(queue);
            }
        }

        return (lists, queues);
    }

    /// <summary>A message the pop script took: recorded in unacked under its tag, dead-lettered (0), or untagged ("").</summary>
    private async Task AcceptRecordedAsync(string list, byte[] raw, RedisResult tagResult)
    {
        var queue = QueueOf(list);
        Rotate(queue);
        if (tagResult.Resp2Type == ResultType.Integer)
        {
            // Not a JSON object: the script moved it to the dead-letter list.
            var error = DecodeErrorOf(raw);
            LogDeadLettered(error, queue, _transport.Key(RedisKeys.DeadLetterList(queue)), error.TaskId ?? "(none)", Preview(raw));
            await _channel.Writer.WriteAsync(RedisDelivery.Undecodable(_transport, queue, error), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var tag = (string)tagResult!;
        if (tag.Length == 0)
        {
            // An envelope without a delivery tag was not recorded: record it under a fresh one, as a BRPOP hit would be.
            await AcceptAsync(list, raw, rotated: true).ConfigureAwait(false);
            return;
        }

        KombuEnvelope envelope;
        try
        {
            envelope = KombuEnvelope.Decode(raw);
        }
        catch (MessageDecodeException ex)
        {
            // JSON, but not a readable envelope (e.g. a body that is not base64): from unacked to the dead-letter list.
            try
            {
                await _transport.DeadLetterAsync(tag, queue, raw).ConfigureAwait(false);
            }
            catch (Exception again) when (again is RedisException or TimeoutException)
            {
                // Still in unacked: restored after the visibility timeout, and dead-lettered by whoever reads it then.
                LogFetchRetry(again, 1, 0);
                return;
            }

            LogDeadLettered(ex, queue, _transport.Key(RedisKeys.DeadLetterList(queue)), ex.TaskId ?? "(none)", Preview(raw));
            await _channel.Writer.WriteAsync(RedisDelivery.Undecodable(_transport, queue, ex), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var delivery = new RedisDelivery(this, _transport, envelope, queue, tag, Interlocked.Increment(ref _sequence), raw);
        Hold(delivery);
        await _channel.Writer.WriteAsync(delivery, CancellationToken.None).ConfigureAwait(false);
    }

    private static MessageDecodeException DecodeErrorOf(byte[] raw)
    {
        try
        {
            _ = KombuEnvelope.Decode(raw);
            return new MessageDecodeException("not a kombu envelope");
        }
        catch (MessageDecodeException ex)
        {
            return ex;
        }
    }

    private string QueueOf(string list)
    {
        var prefix = _transport.Options.GlobalKeyPrefix;
        return RedisKeys.QueueOfList(prefix.Length > 0 && list.StartsWith(prefix, StringComparison.Ordinal) ? list[prefix.Length..] : list);
    }

    /// <summary>Round robin: the queue that just gave a message goes to the back of the cycle.</summary>
    private void Rotate(string queue)
    {
        var at = _cycle.IndexOf(queue);
        if (at >= 0 && at != _cycle.Count - 1)
        {
            _cycle.RemoveAt(at);
            _cycle.Add(queue);
        }
    }

    private async Task AcceptAsync(string list, byte[] raw, bool rotated = false)
    {
        var queue = QueueOf(list);
        if (!rotated)
        {
            Rotate(queue);
        }

        KombuEnvelope envelope;
        try
        {
            envelope = KombuEnvelope.Decode(raw);
        }
        catch (MessageDecodeException ex)
        {
            // Not a readable envelope: nothing could restore it from unacked (a Python worker's restore would choke on
            // it), so it goes straight to the dead-letter list; the worker still hears of it to record a failure.
            await DeadLetterUndecodableAsync(queue, raw, ex).ConfigureAwait(false);
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

        var delivery = new RedisDelivery(this, _transport, envelope with { DeliveryTag = tag }, queue, tag, Interlocked.Increment(ref _sequence), raw);
        Hold(delivery);
        await _channel.Writer.WriteAsync(delivery, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task DeadLetterUndecodableAsync(string queue, byte[] raw, MessageDecodeException error)
    {
        var list = _transport.Key(RedisKeys.DeadLetterList(queue));
        try
        {
            await _transport.PushDeadAsync(queue, raw).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogLost(ex, error.TaskId ?? "(no id)", queue);
            return;
        }

        LogDeadLettered(error, queue, list, error.TaskId ?? "(none)", Preview(raw));
        await _channel.Writer.WriteAsync(RedisDelivery.Undecodable(_transport, queue, error), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The start of a popped element, printable, for the log line.</summary>
    private static string Preview(byte[] raw)
    {
        var text = System.Text.Encoding.UTF8.GetString(raw, 0, Math.Min(raw.Length, 120));
        var chars = text.Select(c => char.IsControl(c) ? '.' : c).ToArray();
        return new string(chars) + (raw.Length > 120 ? "..." : string.Empty);
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

    [LoggerMessage(EventId = 415, Level = LogLevel.Error, Message = "Dropped an undecodable fanout message from queue '{Queue}'")]
    private partial void LogUndecodable(Exception ex, string queue);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "This Redis cannot run the batch pop script ({Reason}); popping one message at a time with BRPOP (Redis 6.2 or later pops and records in one step)")]
    private partial void LogNoPopScript(string reason);

    [LoggerMessage(EventId = 2000, Level = LogLevel.Error, Message = "Undecodable message from queue '{Queue}' moved to the dead-letter list '{List}' (task id {Id}): {Preview}")]
    private partial void LogDeadLettered(Exception ex, string queue, string list, string id, string preview);
}
