using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Redis;

/// <summary>
/// A delivery from a <see cref="RedisConsumer"/>; settles once. A list delivery is recorded in kombu's
/// <c>unacked</c> hash until settled; a fanout (PUB/SUB) delivery has nothing to settle on the broker, as in kombu.
/// A list delivery keeps the exact bytes it was popped as, so a message the worker cannot run is dead-lettered
/// (<c>_celeriac.dead.&lt;queue&gt;</c>) unchanged. An undecodable one (<see cref="DecodeError"/>) was dead-lettered by
/// the consumer before it was handed out, and was never recorded in <c>unacked</c>.
/// </summary>
internal sealed class RedisDelivery : IDeadLetterDelivery
{
    private readonly RedisConsumer? _consumer;
    private readonly RedisTransport _transport;
    private int _settled;

    public RedisDelivery(RedisConsumer? consumer, RedisTransport transport, KombuEnvelope envelope, string queue, string tag, long sequence, byte[]? raw = null)
    {
        _consumer = consumer;
        _transport = transport;
        Envelope = envelope;
        Queue = queue;
        Tag = tag;
        Sequence = sequence;
        Raw = raw;
    }

    private RedisDelivery(RedisTransport transport, KombuEnvelope envelope, string queue, MessageDecodeException error)
        : this(null, transport, envelope, queue, string.Empty, 0)
    {
        DecodeError = error;
    }

    public KombuEnvelope Envelope { get; }

    /// <summary>kombu's delivery tag: the key in <c>unacked</c>.</summary>
    public string Tag { get; }

    /// <summary>The order this consumer received it in.</summary>
    public long Sequence { get; }

    /// <summary>The list element as popped (null for fanout deliveries).</summary>
    public byte[]? Raw { get; }

    /// <summary>Whether this came from a fanout subscription (nothing recorded in <c>unacked</c>).</summary>
    public bool IsFanout => _consumer is null && DecodeError is null;

    public TransportMessage Message => Envelope.Message;

    public string Queue { get; }

    public string Exchange => Envelope.Exchange;

    public string RoutingKey => Envelope.RoutingKey;

    public bool Redelivered => Envelope.Redelivered;

    public bool IsSettled => Volatile.Read(ref _settled) == 1;

    public MessageDecodeException? DecodeError { get; }

    public string DeadLetterDestination => _transport.Key(RedisKeys.DeadLetterList(Queue));

    /// <summary>
    /// A message whose envelope could not be read, already in the dead-letter list: what could be read of its headers
    /// (the task id, when there was one) goes to the worker so that it can record the failure.
    /// </summary>
    public static RedisDelivery Undecodable(RedisTransport transport, string queue, MessageDecodeException error)
    {
        var headers = new System.Text.Json.Nodes.JsonObject();
        if (error.TaskId is { } id)
        {
            headers[WireNames.Id] = id;
        }

        if (error.TaskName is { } name)
        {
            headers[WireNames.Task] = name;
        }

        var message = new TransportMessage { Body = ReadOnlyMemory<byte>.Empty, Headers = headers };
        return new RedisDelivery(transport, new KombuEnvelope(message, string.Empty, queue, string.Empty), queue, error);
    }

    public async ValueTask AckAsync(CancellationToken cancellationToken = default)
    {
        Settle("ack");
        if (_consumer is null)
        {
            return;
        }

        try
        {
            await _transport.RemoveUnackedAsync(Tag).ConfigureAwait(false);
        }
        finally
        {
            _consumer.Settled(this);
        }
    }

    public async ValueTask RejectAsync(bool requeue, CancellationToken cancellationToken = default)
    {
        Settle("reject");
        if (_consumer is null)
        {
            // A PUB/SUB message cannot go back: only live subscribers ever saw it (kombu's fanout consumers are no_ack).
            return;
        }

        try
        {
            if (requeue)
            {
                // kombu's QoS.reject(requeue=True): restore_by_tag(leftmost=True), i.e. LPUSH to the back of the queue.
                await _transport.RestoreByTagAsync(Tag, leftmost: true).ConfigureAwait(false);
            }
            else
            {
                await _transport.RemoveUnackedAsync(Tag).ConfigureAwait(false);
            }
        }
        finally
        {
            _consumer.Settled(this);
        }
    }

    public async ValueTask DeadLetterAsync(CancellationToken cancellationToken = default)
    {
        Settle("dead-letter");
        if (_consumer is null)
        {
            // Undecodable: the consumer moved it already. Fanout: nothing is held (nor can anything be moved back).
            return;
        }

        try
        {
            await _transport.DeadLetterAsync(Tag, Queue, Raw!).ConfigureAwait(false);
        }
        finally
        {
            _consumer.Settled(this);
        }
    }

    /// <summary>Puts an unsettled delivery back at the head of its queue (consumer shutdown); a settled one is left alone.</summary>
    public async ValueTask ReturnAsync()
    {
        if (Interlocked.Exchange(ref _settled, 1) == 1 || _consumer is null)
        {
            return;
        }

        await _transport.RestoreByTagAsync(Tag, leftmost: false).ConfigureAwait(false);
    }

    private void Settle(string action)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 1)
        {
            throw new MessageStateException($"cannot {action} message {Tag}: it was already acknowledged or rejected");
        }
    }
}
