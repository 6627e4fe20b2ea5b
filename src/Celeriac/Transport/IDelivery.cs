using Celeriac.Protocol;

namespace Celeriac.Transport;

/// <summary>
/// One received message and its fate. <see cref="AckAsync"/> and <see cref="RejectAsync"/> may be called once,
/// together: a second call throws <see cref="MessageStateException"/> (kombu's MessageStateError).
/// </summary>
public interface IDelivery
{
    /// <summary>The message.</summary>
    TransportMessage Message { get; }

    /// <summary>The queue it came from.</summary>
    string Queue { get; }

    /// <summary>The exchange it was published to.</summary>
    string Exchange { get; }

    /// <summary>The routing key it was published with.</summary>
    string RoutingKey { get; }

    /// <summary>True when the broker delivered it before (a restore after a crash or requeue).</summary>
    bool Redelivered { get; }

    /// <summary>Whether ack or reject was called.</summary>
    bool IsSettled { get; }

    /// <summary>Removes the message from the broker.</summary>
    /// <exception cref="MessageStateException">Already acked or rejected.</exception>
    ValueTask AckAsync(CancellationToken cancellationToken = default);

    /// <summary>Rejects the message: requeued for another consumer, or dropped.</summary>
    /// <exception cref="MessageStateException">Already acked or rejected.</exception>
    ValueTask RejectAsync(bool requeue, CancellationToken cancellationToken = default);
}
