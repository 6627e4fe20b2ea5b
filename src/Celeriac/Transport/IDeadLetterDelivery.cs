using Celeriac.Protocol;

namespace Celeriac.Transport;

/// <summary>
/// A delivery its transport can move aside instead of dropping. The worker's rule for a message it cannot run
/// (an undecodable envelope or body, refused content, an invalid task message, an unknown task) is to dead-letter
/// it where the transport supports that, so nothing is lost, and to reject it without requeue elsewhere.
/// </summary>
public interface IDeadLetterDelivery : IDelivery
{
    /// <summary>Where this delivery's queue keeps its dead letters (for Redis, the list's key), for logs and tools.</summary>
    string DeadLetterDestination { get; }

    /// <summary>
    /// Set when the transport itself could not decode the message (its <see cref="IDelivery.Message"/> then holds
    /// only what was readable, e.g. the headers); such a delivery is already dead-lettered when it is received.
    /// </summary>
    MessageDecodeException? DecodeError { get; }

    /// <summary>Moves the message, byte for byte as it was received, to <see cref="DeadLetterDestination"/> and settles it.</summary>
    /// <exception cref="MessageStateException">Already acked or rejected.</exception>
    ValueTask DeadLetterAsync(CancellationToken cancellationToken = default);
}
