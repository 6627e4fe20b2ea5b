namespace Celeriac.Transport;

/// <summary>AMQP exchange types, as kombu names them.</summary>
public enum ExchangeType
{
    /// <summary>Routes to queues bound with exactly the routing key.</summary>
    Direct,

    /// <summary>Routes by dotted pattern (<c>*</c> one word, <c>#</c> any words).</summary>
    Topic,

    /// <summary>Routes to every bound queue.</summary>
    Fanout,
}
