using Celeriac.Protocol;

namespace Celeriac.Transport;

/// <summary>A delivery from a <see cref="VirtualTransport"/>; settles once.</summary>
internal sealed class VirtualDelivery : IDelivery
{
    private readonly VirtualConsumer _consumer;
    private readonly VirtualTransport _transport;
    private int _settled;

    public VirtualDelivery(VirtualConsumer consumer, VirtualTransport transport, LeasedMessage leased)
    {
        _consumer = consumer;
        _transport = transport;
        Leased = leased;
    }

    public LeasedMessage Leased { get; }

    public TransportMessage Message => Leased.Message;

    public string Queue => Leased.Queue;

    public string Exchange => Leased.Exchange;

    public string RoutingKey => Leased.RoutingKey;

    public bool Redelivered => Leased.Redelivered;

    public bool IsSettled => Volatile.Read(ref _settled) == 1;

    public async ValueTask AckAsync(CancellationToken cancellationToken = default)
    {
        Settle("ack");
        try
        {
            await _transport.AckAsync(Leased, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _consumer.Settled(this);
        }
    }

    public async ValueTask RejectAsync(bool requeue, CancellationToken cancellationToken = default)
    {
        Settle("reject");
        try
        {
            if (requeue)
            {
                await _transport.RequeueAsync(Leased, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _transport.AckAsync(Leased, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _consumer.Settled(this);
        }
    }

    /// <summary>Puts an unsettled delivery back (consumer shutdown); a settled one is left alone.</summary>
    public async ValueTask ReturnAsync()
    {
        if (Interlocked.Exchange(ref _settled, 1) == 1)
        {
            return;
        }

        await _transport.RequeueAsync(Leased, CancellationToken.None).ConfigureAwait(false);
    }

    private void Settle(string action)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 1)
        {
            throw new MessageStateException($"cannot {action} message {Leased.Tag}: it was already acknowledged or rejected");
        }
    }
}
