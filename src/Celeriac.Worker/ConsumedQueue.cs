namespace Celeriac.Worker;

/// <summary>A queue the worker consumes, with the exchange it is bound to, as <c>inspect active_queues</c> shows it.</summary>
/// <param name="Name">The queue.</param>
/// <param name="Exchange">The exchange it is bound to (by default named as the queue).</param>
/// <param name="ExchangeType">The exchange's type: <c>direct</c>, <c>topic</c> or <c>fanout</c>.</param>
/// <param name="RoutingKey">The binding key (by default the queue's name).</param>
internal sealed record ConsumedQueue(string Name, string Exchange, string ExchangeType, string RoutingKey)
{
    /// <summary>Celery's default for a queue named on the command line: a direct exchange and key of its own name.</summary>
    public static ConsumedQueue Default(string name) => new(name, name, "direct", name);
}
