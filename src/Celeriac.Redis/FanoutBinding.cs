namespace Celeriac.Redis;

/// <summary>A queue's binding to a fanout exchange: consumed by PSUBSCRIBE rather than BRPOP (kombu's <c>_fanout_queues</c>).</summary>
/// <param name="Exchange">The fanout exchange.</param>
/// <param name="RoutingKey">The binding key, <c>#</c> replaced by the glob <c>*</c>.</param>
internal sealed record FanoutBinding(string Exchange, string RoutingKey);
