using Celeriac.Memory;

namespace Celeriac.Backends;

/// <summary>Maps URL schemes to result backend factories; the composition root fills it.</summary>
public sealed class ResultBackendRegistry
{
    private readonly Dictionary<string, Func<ResultBackendContext, IResultBackend>> _factories = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a registry that knows <c>memory://</c>.</summary>
    public ResultBackendRegistry()
    {
        Register("memory", MemoryResultBackend.Get);
    }

    /// <summary>The registered schemes.</summary>
    public IReadOnlyCollection<string> Schemes => _factories.Keys;

    /// <summary>Registers (or replaces) the factory for <paramref name="scheme"/>.</summary>
    public void Register(string scheme, Func<ResultBackendContext, IResultBackend> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[scheme] = factory;
    }

    /// <summary>Whether <paramref name="scheme"/> is registered.</summary>
    public bool IsRegistered(string scheme) => _factories.ContainsKey(scheme);

    /// <summary>Creates the backend for <paramref name="context"/>'s URL.</summary>
    /// <exception cref="CeleriacConfigurationException">No backend is registered for the scheme.</exception>
    public IResultBackend Create(ResultBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_factories.TryGetValue(context.Url.Scheme, out var factory))
        {
            throw new CeleriacConfigurationException(
                "result_backend",
                $"no result backend for scheme '{context.Url.Scheme}' in '{context.Url.Redacted}'; known schemes: {string.Join(", ", _factories.Keys.Order())}");
        }

        return factory(context);
    }
}
