using Celeriac.Backends;
using Celeriac.Transport;

namespace Celeriac.RabbitMQ;

/// <summary>Registers the AMQP transport (<c>amqp://</c>, <c>amqps://</c>, <c>pyamqp://</c>) and the <c>rpc://</c> result backend.</summary>
public static class AmqpRegistration
{
    /// <summary>The plain URL scheme: <c>amqp://user:pass@host:5672/vhost</c>.</summary>
    public const string Scheme = "amqp";

    /// <summary>The TLS URL scheme: <c>amqps://user:pass@host:5671/vhost</c>.</summary>
    public const string TlsScheme = "amqps";

    /// <summary>kombu's alias for its py-amqp transport, accepted as <c>amqp://</c>.</summary>
    public const string PyAmqpScheme = "pyamqp";

    /// <summary>The result backend scheme: results sent as messages to the caller's reply queue.</summary>
    public const string RpcScheme = "rpc";

    /// <summary>Registers <see cref="AmqpTransport"/> for <c>amqp://</c>, <c>amqps://</c> and <c>pyamqp://</c>.</summary>
    /// <returns>The same registry.</returns>
    public static TransportRegistry AddRabbitMQ(this TransportRegistry transports)
    {
        ArgumentNullException.ThrowIfNull(transports);
        transports.Register(Scheme, AmqpTransport.Create);
        transports.Register(TlsScheme, AmqpTransport.Create);
        transports.Register(PyAmqpScheme, AmqpTransport.Create);
        return transports;
    }

    /// <summary>Registers <see cref="RpcResultBackend"/> for <c>rpc://</c>.</summary>
    /// <returns>The same registry.</returns>
    public static ResultBackendRegistry AddRpc(this ResultBackendRegistry backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        backends.Register(RpcScheme, RpcResultBackend.Create);
        return backends;
    }

    /// <summary>Registers the AMQP transport and the <c>rpc://</c> result backend.</summary>
    /// <returns>The same services, for chaining.</returns>
    public static CeleriacServices AddRabbitMQ(this CeleriacServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.Transports.AddRabbitMQ();
        services.Backends.AddRpc();
        return services;
    }
}
