using Celeriac.Protocol;

namespace Celeriac.Transport;

/// <summary>A message a virtual transport handed to a consumer and holds until it is acked or requeued.</summary>
/// <param name="Tag">The transport's own handle for the message (a row id, a sequence number).</param>
/// <param name="Message">The message.</param>
/// <param name="Queue">The queue it came from.</param>
/// <param name="Exchange">The exchange it was published to.</param>
/// <param name="RoutingKey">The routing key it was published with.</param>
/// <param name="Redelivered">Whether it was delivered before.</param>
public sealed record LeasedMessage(long Tag, TransportMessage Message, string Queue, string Exchange, string RoutingKey, bool Redelivered);
