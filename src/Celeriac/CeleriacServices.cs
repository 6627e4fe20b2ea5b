using Celeriac.Backends;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac;

/// <summary>
/// What an app is composed with: the clock, logging, and the registries of transports and result backends by
/// URL scheme. The composition root (Celeriac.Cli, Celeriac.Hosting, or your own code) fills the registries.
/// </summary>
public sealed record CeleriacServices
{
    /// <summary>The clock; a fake one in tests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logging.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Transports by scheme; knows <c>memory://</c> from the start.</summary>
    public TransportRegistry Transports { get; init; } = new();

    /// <summary>Result backends by scheme; knows <c>memory://</c> from the start.</summary>
    public ResultBackendRegistry Backends { get; init; } = new();

    /// <summary>Beat stores by broker scheme (Redis keeps beat's state and leader lease); knows <c>memory://</c> from the start.</summary>
    public Schedules.BeatStoreRegistry BeatStores { get; init; } = NewBeatStores();

    private static Schedules.BeatStoreRegistry NewBeatStores()
    {
        var registry = new Schedules.BeatStoreRegistry();
        registry.Register("memory", Schedules.MemoryBeatStore.Get);
        return registry;
    }
}
