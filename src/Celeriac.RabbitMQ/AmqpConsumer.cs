using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Celeriac.RabbitMQ;

/// <summary>
/// Consumes queues on a channel of its own, as a Celery worker does (Celery §6.3, §6.4): <c>basic.qos(0, prefetch,
/// global=true)</c> (per consumer for quorum queues), one <c>basic.consume(no_ack=false)</c> per queue, the broker
/// enforcing the prefetch limit. Changing the limit issues a new <c>basic.qos</c> (Celery raises it by one per ETA
/// task held). Stopping cancels the consumers; disposing closes the channel, and the broker puts every unsettled
/// delivery back at its place in its queue, flagged redelivered. Automatic recovery restores the QoS and the
/// consumers after a broker restart; a channel the broker closes for an error (such as RabbitMQ's consumer timeout)
/// is replaced and its deliveries come again. Celery's <c>add_consumer</c> is one more <c>basic.consume</c> on the
/// same channel (so the one global QoS covers it), <c>cancel_consumer</c> a <c>basic.cancel</c> of that queue's tag.
/// </summary>
internal sealed partial class AmqpConsumer : ITransportConsumer
{
    private readonly AmqpTransport _transport;
    private readonly ILogger _logger;
    private readonly bool _globalQos;
    private readonly Channel<IDelivery> _deliveries = Channel.CreateUnbounded<IDelivery>(new UnboundedChannelOptions { SingleReader = false });
    private readonly SemaphoreSlim _gate = new(1, 1);

    // The consumed queues in order and their consumer tags; changed under _gate, read lock-free through _queues.
    private readonly Dictionary<string, string> _tags = new(StringComparer.Ordinal);
    private string[] _queues;
    private IChannel? _channel;
    private int _prefetch;
    private volatile bool _stopped;
    private int _disposed;

    public AmqpConsumer(AmqpTransport transport, IReadOnlyList<string> queues, int prefetchCount, bool globalQos)
    {
        _transport = transport;
        _logger = transport.Logger;
        _queues = [.. queues];
        _prefetch = prefetchCount;
        _globalQos = globalQos;
    }

    public IReadOnlyList<string> Queues => Volatile.Read(ref _queues);

    public int PrefetchCount => Volatile.Read(ref _prefetch);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void SetPrefetchCount(int prefetchCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefetchCount);
        Volatile.Write(ref _prefetch, prefetchCount);
        _ = ApplyQosAsync();
    }

    /// <summary>
    /// One more <c>basic.consume</c> on this consumer's channel, under its prefetch limit. The queue is looked up first
    /// on the transport's admin channel: consuming a missing queue would make the broker close this channel, and every
    /// consumer on it with it.
    /// </summary>
    /// <exception cref="AmqpBrokerException">The queue does not exist, or the broker refused the consume.</exception>
    /// <exception cref="NotSupportedException">A quorum queue added to a consumer whose prefetch limit is global.</exception>
    public async ValueTask AddQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (_globalQos && _transport.IsQuorumQueue(queue))
        {
            throw new NotSupportedException(
                $"'{queue}' is a quorum queue, and RabbitMQ refuses quorum queues on a channel with a global prefetch limit, which this worker's classic queues share; start the worker with it instead (all quorum: task_default_queue_type=quorum)");
        }

        await _transport.RunAsync($"find queue '{queue}'", (channel, ct) => channel.QueueDeclarePassiveAsync(queue, ct), cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                throw new InvalidOperationException($"the consumer is stopped: it cannot start consuming '{queue}'");
            }

            if (Queues.Contains(queue, StringComparer.Ordinal))
            {
                return;
            }

            var channel = await OpenChannelAsync(queue, cancellationToken).ConfigureAwait(false);
            try
            {
                await ConsumeOnAsync(channel, queue, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (AmqpTransport.IsChannelError(ex, out var code, out var text))
            {
                throw new AmqpBrokerException($"RabbitMQ refused to consume queue '{queue}' on {_transport.Endpoint.Redacted}: {code} {text}", code, ex);
            }

            Volatile.Write(ref _queues, [.. Queues, queue]);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A <c>basic.cancel</c> of the queue's consumer, waiting for the broker's <c>cancel-ok</c>: nothing more comes from
    /// that queue afterwards, and what already came stays outstanding on the channel, settled as usual.
    /// </summary>
    /// <exception cref="AmqpBrokerException">The connection was lost before the broker confirmed the cancel.</exception>
    public async ValueTask<bool> RemoveQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!Queues.Contains(queue, StringComparer.Ordinal))
            {
                return false;
            }

            if (_tags.TryGetValue(queue, out var tag) && !_stopped)
            {
                var channel = await OpenChannelAsync(queue, cancellationToken).ConfigureAwait(false);
                try
                {
                    await channel.BasicCancelAsync(tag, noWait: false, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (_transport.IsConnectionLoss(ex))
                {
                    // Recovery would restore a consumer whose cancel the broker never confirmed: say so, change nothing.
                    throw new AmqpBrokerException($"cannot stop consuming '{queue}': the connection to {_transport.Endpoint.Redacted} was lost before RabbitMQ confirmed the cancel; try again", 0, ex);
                }

                _tags.Remove(queue);
            }

            Volatile.Write(ref _queues, [.. Queues.Where(q => !string.Equals(q, queue, StringComparison.Ordinal))]);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The consumer's channel, waiting out a connection recovery (called under the gate).</summary>
    private async Task<IChannel> OpenChannelAsync(string queue, CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        if (_channel is not null
            && await _transport.WaitForRecoveryAsync(_transport.Clock.GetUtcNow() + _transport.RetryWindow, cancellationToken).ConfigureAwait(false)
            && _channel is { IsOpen: true } recovered)
        {
            return recovered;
        }

        throw new AmqpBrokerException($"cannot change the consumption of '{queue}': the consumer channel to {_transport.Endpoint.Redacted} is closed and did not come back within {_transport.RetryWindow.TotalSeconds}s");
    }

    public async IAsyncEnumerable<IDelivery> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var delivery in _deliveries.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return delivery;
        }
    }

    public async ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            if (_channel is { IsOpen: true } channel)
            {
                foreach (var tag in _tags.Values)
                {
                    try
                    {
                        await channel.BasicCancelAsync(tag, noWait: false, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
                    {
                        // A dead channel consumes nothing anyway.
                        LogCancelFailed(ex, tag);
                    }
                }
            }

            _deliveries.Writer.TryComplete();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        if (_channel is { } channel)
        {
            // Closing the channel is what hands unsettled deliveries back: the broker requeues them in place.
            try
            {
                if (channel.IsOpen)
                {
                    await channel.CloseAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogCancelFailed(ex, "close");
            }

            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Acks or rejects on the channel the delivery came from; a closed channel already requeued it.</summary>
    internal async ValueTask SettleAsync(AmqpDelivery delivery, bool ack, bool requeue, CancellationToken cancellationToken)
    {
        var channel = delivery.Channel;
        if (!channel.IsOpen)
        {
            LogStale(delivery.Queue, ack ? "ack" : "reject");
            return;
        }

        try
        {
            if (ack)
            {
                await channel.BasicAckAsync(delivery.Tag, multiple: false, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await channel.BasicRejectAsync(delivery.Tag, requeue, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (_transport.IsConnectionLoss(ex))
        {
            // The connection went between the look and the ack: the broker requeued the message, it will come again.
            LogStale(delivery.Queue, ack ? "ack" : "reject");
        }
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        var channel = await _transport.CreateChannelAsync(confirms: false, cancellationToken).ConfigureAwait(false);
        _channel = channel;
        _tags.Clear();
        channel.ChannelShutdownAsync += OnChannelShutdownAsync;
        var what = "set the prefetch limit";
        try
        {
            await channel.BasicQosAsync(0, Limit(PrefetchCount), _globalQos, cancellationToken).ConfigureAwait(false);
            foreach (var queue in Queues)
            {
                what = $"consume queue '{queue}'";
                await ConsumeOnAsync(channel, queue, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (AmqpTransport.IsChannelError(ex, out var code, out var text))
        {
            throw new AmqpBrokerException($"RabbitMQ refused to {what} on {_transport.Endpoint.Redacted}: {code} {text}", code, ex);
        }
    }

    private async Task ConsumeOnAsync(IChannel channel, string queue, CancellationToken cancellationToken)
    {
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (sender, e) => OnReceivedAsync(channel, queue, e);
        var tag = $"celeriac.{Environment.ProcessId}.{Guid.NewGuid():N}";
        await channel.BasicConsumeAsync(queue, autoAck: false, tag, noLocal: false, exclusive: false, arguments: null, consumer, cancellationToken).ConfigureAwait(false);
        _tags[queue] = tag;
    }

    private async Task OnReceivedAsync(IChannel channel, string queue, BasicDeliverEventArgs e)
    {
        var delivery = new AmqpDelivery(this, channel, e.DeliveryTag, queue, e.Exchange, e.RoutingKey, e.Redelivered, AmqpMessages.FromDelivery(e.BasicProperties, e.Body));
        if (!_deliveries.Writer.TryWrite(delivery))
        {
            // Arrived after the stop: back to the queue, untouched.
            await SettleAsync(delivery, ack: false, requeue: true, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task ApplyQosAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_channel is { IsOpen: true } channel && !_stopped)
            {
                await channel.BasicQosAsync(0, Limit(PrefetchCount), _globalQos).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Recovery re-applies the last limit set.
            LogQosFailed(ex, PrefetchCount);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task OnChannelShutdownAsync(object? sender, ShutdownEventArgs e)
    {
        if (!_stopped && Volatile.Read(ref _disposed) == 0 && e.Initiator == ShutdownInitiator.Peer && !_transport.ConnectionDown && e.ReplyCode is not (320 or 541))
        {
            LogChannelClosed(string.Join(", ", Queues), e.ReplyCode, e.ReplyText);
            _ = ReopenAsync();
        }

        return Task.CompletedTask;
    }

    private async Task ReopenAsync()
    {
        // Let the shutdown handler return first: the client finishes closing the old channel on this thread.
        await Task.Yield();
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                return;
            }

            var old = _channel;
            await OpenAsync(CancellationToken.None).ConfigureAwait(false);
            if (old is not null)
            {
                await old.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReopenFailed(ex);
            _deliveries.Writer.TryComplete(ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static ushort Limit(int prefetch) => (ushort)Math.Min(prefetch, AmqpLiterals.MaxPrefetch);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "Cancelling consumer {Tag} failed")]
    private partial void LogCancelFailed(Exception ex, string tag);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "A delivery from queue '{Queue}' could not be settled ({Action}): its channel closed, so the broker requeued it and will deliver it again")]
    private partial void LogStale(string queue, string action);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Could not set the prefetch limit to {Prefetch}")]
    private partial void LogQosFailed(Exception ex, int prefetch);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Error, Message = "RabbitMQ closed the consumer channel of {Queues}: {Code} {Text}; reopening it (its unacknowledged messages come again)")]
    private partial void LogChannelClosed(string queues, int code, string text);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Error, Message = "Could not reopen the consumer channel; the consumer stops")]
    private partial void LogReopenFailed(Exception ex);

}
