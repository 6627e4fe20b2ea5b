namespace Celeriac.Routing;

/// <summary>Where a task message is published.</summary>
/// <param name="Queue">The queue it should reach (declared before publishing).</param>
/// <param name="Exchange">The exchange (<c>""</c> = default).</param>
/// <param name="RoutingKey">The routing key.</param>
/// <param name="Priority">A priority from the route, if any.</param>
public sealed record PublishTarget(string Queue, string Exchange, string RoutingKey, int? Priority);
