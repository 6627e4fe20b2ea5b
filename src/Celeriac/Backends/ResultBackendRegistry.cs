using Celeriac.Memory;

namespace Celeriac.Backends;

/// <summary>Result backends by URL scheme (<c>result_backend</c>); knows <c>memory://</c> from the start.</summary>
public sealed class ResultBackendRegistry : SchemeRegistry<ResultBackendContext, IResultBackend>
{
    /// <summary>Creates a registry that knows <c>memory://</c>.</summary>
    public ResultBackendRegistry()
        : base("result_backend", "result backend")
    {
        Register("memory", MemoryResultBackend.Get);
    }

    /// <summary>Creates the backend for <paramref name="context"/>'s URL.</summary>
    /// <exception cref="CeleriacConfigurationException">No backend is registered for the scheme.</exception>
    public IResultBackend Create(ResultBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Create(context.Url, context);
    }
}
