using Celeriac.Memory;

namespace Celeriac.Transport;

/// <summary>
/// Maps URL schemes to transport factories, as kombu's transport aliases do. The composition root fills it;
/// nothing is resolved from a type name.
/// </summary>
public sealed class TransportRegistry
{
    private readonly Dictionary<string, Func<TransportContext, ITransport>> _factories = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a registry that knows <c>memory://</c>.</summary>
    public TransportRegistry()
    {
        Register("memory", ctx => MemoryTransport.Get(ctx));
    }

    /// <summary>The registered schemes.</summary>
    public IReadOnlyCollection<string> Schemes => _factories.Keys;

    /// <summary>Registers (or replaces) the factory for <paramref name="scheme"/>.</summary>
    public void Register(string scheme, Func<TransportContext, ITransport> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[scheme] = factory;
    }

    /// <summary>Whether <paramref name="scheme"/> is registered.</summary>
    public bool IsRegistered(string scheme) => _factories.ContainsKey(scheme);

    /// <summary>Creates the transport for <paramref name="context"/>'s URL.</summary>
    /// <exception cref="CeleriacConfigurationException">No transport is registered for the scheme.</exception>
    public ITransport Create(TransportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_factories.TryGetValue(context.Url.Scheme, out var factory))
        {
            throw new CeleriacConfigurationException(
                "broker_url",
                $"no transport for scheme '{context.Url.Scheme}' in '{context.Url.Redacted}'; known schemes: {string.Join(", ", _factories.Keys.Order())}");
        }

        return factory(context);
    }
}
