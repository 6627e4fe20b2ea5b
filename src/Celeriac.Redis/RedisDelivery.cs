using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Redis;

/// <summary>
/// A delivery from a <see cref="RedisConsumer"/>; settles once. A list delivery is recorded in kombu's
/// <c>unacked</c> hash until settled; a fanout (PUB/SUB) delivery has nothing to settle on the broker, as in kombu.
/// </summary>
internal sealed class RedisDelivery : IDelivery
{
    private readonly RedisConsumer? _consumer;
    private readonly RedisTransport _transport;
    private int _settled;

    public RedisDelivery(RedisConsumer? consumer, RedisTransport transport, KombuEnvelope envelope, string queue, string tag, long sequence)
    {
        _consumer = consumer;
        _transport = transport;
        Envelope = envelope;
        Queue = queue;
        Tag = tag;
        Sequence = sequence;
    }

    public KombuEnvelope Envelope { get; }

    /// <summary>kombu's delivery tag: the key in <c>unacked</c>.</summary>
    public string Tag { get; }

    /// <summary>The order this consumer received it in.</summary>
    public long Sequence { get; }

    /// <summary>Whether this came from a fanout subscription (nothing recorded in <c>unacked</c>).</summary>
    public bool IsFanout => _consumer is null;

    public TransportMessage Message => Envelope.Message;

    public string Queue { get; }

    public string Exchange => Envelope.Exchange;

    public string RoutingKey => Envelope.RoutingKey;

    public bool Redelivered => Envelope.Redelivered;

    public bool IsSettled => Volatile.Read(ref _settled) == 1;

    public async ValueTask AckAsync(CancellationToken cancellationToken = default)
    {
        Settle("ack");
        if (IsFanout)
        {
            return;
        }

        try
        {
            await _transport.RemoveUnackedAsync(Tag).ConfigureAwait(false);
        }
        finally
        {
            _consumer!.Settled(this);
        }
    }

    public async ValueTask RejectAsync(bool requeue, CancellationToken cancellationToken = default)
    {
        Settle("reject");
        if (IsFanout)
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
            _consumer!.Settled(this);
        }
    }

    /// <summary>Puts an unsettled delivery back at the head of its queue (consumer shutdown); a settled one is left alone.</summary>
    public async ValueTask ReturnAsync()
    {
        if (Interlocked.Exchange(ref _settled, 1) == 1 || IsFanout)
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
