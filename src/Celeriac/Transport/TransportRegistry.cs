using Celeriac.Memory;

namespace Celeriac.Transport;

/// <summary>Transports by URL scheme (<c>broker_url</c>); knows <c>memory://</c> from the start.</summary>
public sealed class TransportRegistry : SchemeRegistry<TransportContext, ITransport>
{
    /// <summary>Creates a registry that knows <c>memory://</c>.</summary>
    public TransportRegistry()
        : base("broker_url", "transport")
    {
        Register("memory", MemoryTransport.Get);
    }

    /// <summary>Creates the transport for <paramref name="context"/>'s URL.</summary>
    /// <exception cref="CeleriacConfigurationException">No transport is registered for the scheme.</exception>
    public ITransport Create(TransportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Create(context.Url, context);
    }
}
