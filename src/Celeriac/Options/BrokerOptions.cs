namespace Celeriac;

/// <summary>Broker settings.</summary>
public sealed record BrokerOptions
{
    /// <summary><c>broker_transport_options</c>, by kombu's names (<c>visibility_timeout</c>, <c>polling_interval</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> TransportOptions { get; init; } = new Dictionary<string, string>();

    /// <summary><c>broker_connection_timeout</c>.</summary>
    public TimeSpan ConnectionTimeout { get; init; } = TimeSpan.FromSeconds(4);
}
