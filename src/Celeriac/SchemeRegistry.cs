using Celeriac.Transport;

namespace Celeriac;

/// <summary>
/// Factories by URL scheme, as kombu's transport aliases: the composition root fills it, nothing is resolved from a
/// type name. Shared by <see cref="TransportRegistry"/> and <see cref="Backends.ResultBackendRegistry"/>.
/// </summary>
/// <typeparam name="TContext">What a factory gets.</typeparam>
/// <typeparam name="T">What a factory makes.</typeparam>
public abstract class SchemeRegistry<TContext, T>
{
    private readonly Dictionary<string, Func<TContext, T>> _factories = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _settingName;
    private readonly string _what;

    /// <summary>Creates a registry whose errors name <paramref name="settingName"/>.</summary>
    protected SchemeRegistry(string settingName, string what)
    {
        _settingName = settingName;
        _what = what;
    }

    /// <summary>The registered schemes.</summary>
    public IReadOnlyCollection<string> Schemes => _factories.Keys;

    /// <summary>Registers (or replaces) the factory for <paramref name="scheme"/>.</summary>
    public void Register(string scheme, Func<TContext, T> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[scheme] = factory;
    }

    /// <summary>Whether <paramref name="scheme"/> is registered.</summary>
    public bool IsRegistered(string scheme) => _factories.ContainsKey(scheme);

    /// <summary>Throws unless <paramref name="url"/>'s scheme is registered.</summary>
    /// <exception cref="CeleriacConfigurationException">No factory for the scheme; the message names the setting.</exception>
    public void EnsureRegistered(BrokerUrl url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!_factories.ContainsKey(url.Scheme))
        {
            throw new CeleriacConfigurationException(
                _settingName,
                $"no {_what} for scheme '{url.Scheme}' in '{url.Redacted}'; known schemes: {string.Join(", ", _factories.Keys.Order(StringComparer.Ordinal))}");
        }
    }

    /// <summary>Creates the instance for <paramref name="url"/>.</summary>
    /// <exception cref="CeleriacConfigurationException">No factory for the scheme.</exception>
    protected T Create(BrokerUrl url, TContext context)
    {
        EnsureRegistered(url);
        return _factories[url.Scheme](context);
    }
}
