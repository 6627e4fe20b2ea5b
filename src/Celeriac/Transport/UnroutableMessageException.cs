namespace Celeriac.Transport;

/// <summary>
/// The broker accepted a publish but no queue was bound to take it (AMQP <c>basic.return</c> of a mandatory publish,
/// reply code 312 NO_ROUTE), so the message went nowhere. Raised instead of dropping it silently.
/// </summary>
public sealed class UnroutableMessageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnroutableMessageException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public UnroutableMessageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public UnroutableMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a publish to <paramref name="exchange"/> with <paramref name="routingKey"/>.</summary>
    public UnroutableMessageException(string exchange, string routingKey, string reason)
        : base(exchange.Length == 0
            ? $"message to queue '{routingKey}' (default exchange) was returned unroutable ({reason}): no such queue; declare it first"
            : $"message to exchange '{exchange}' with routing key '{routingKey}' was returned unroutable ({reason}): no queue is bound with that key")
    {
        Exchange = exchange;
        RoutingKey = routingKey;
    }

    /// <summary>The exchange published to.</summary>
    public string? Exchange { get; }

    /// <summary>The routing key published with.</summary>
    public string? RoutingKey { get; }
}
