namespace Celeriac.Transport;

/// <summary>A binding of a queue to an exchange, as kombu's virtual transport stores it.</summary>
/// <param name="Exchange">The exchange.</param>
/// <param name="RoutingKey">The binding key (a pattern for topic exchanges).</param>
/// <param name="Queue">The bound queue.</param>
public sealed record QueueBinding(string Exchange, string RoutingKey, string Queue);
