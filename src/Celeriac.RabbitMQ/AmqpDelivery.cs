using Celeriac.Protocol;
using Celeriac.Transport;
using RabbitMQ.Client;

namespace Celeriac.RabbitMQ;

/// <summary>A <c>basic.deliver</c> and its fate; settles once, on the channel it came from.</summary>
internal sealed class AmqpDelivery : IDelivery
{
    private readonly AmqpConsumer _consumer;
    private int _settled;

    public AmqpDelivery(AmqpConsumer consumer, IChannel channel, ulong tag, string queue, string exchange, string routingKey, bool redelivered, TransportMessage message)
    {
        _consumer = consumer;
        Channel = channel;
        Tag = tag;
        Queue = queue;
        Exchange = exchange;
        RoutingKey = routingKey;
        Redelivered = redelivered;
        Message = message;
    }

    public IChannel Channel { get; }

    /// <summary>The channel's delivery tag.</summary>
    public ulong Tag { get; }

    public TransportMessage Message { get; }

    public string Queue { get; }

    public string Exchange { get; }

    public string RoutingKey { get; }

    public bool Redelivered { get; }

    public bool IsSettled => Volatile.Read(ref _settled) == 1;

    public ValueTask AckAsync(CancellationToken cancellationToken = default)
    {
        Settle("ack");
        return _consumer.SettleAsync(this, ack: true, requeue: false, cancellationToken);
    }

    public ValueTask RejectAsync(bool requeue, CancellationToken cancellationToken = default)
    {
        Settle("reject");
        return _consumer.SettleAsync(this, ack: false, requeue, cancellationToken);
    }

    private void Settle(string action)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 1)
        {
            throw new MessageStateException($"cannot {action} delivery {Tag} from queue '{Queue}': it was already acknowledged or rejected");
        }
    }
}
