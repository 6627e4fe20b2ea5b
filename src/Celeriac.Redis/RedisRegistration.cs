using Celeriac.Backends;
using Celeriac.Transport;

namespace Celeriac.Redis;

/// <summary>Registers the <c>redis://</c> and <c>rediss://</c> transport and result backend with a composition root.</summary>
public static class RedisRegistration
{
    /// <summary>The plain URL scheme: <c>redis://[[user]:password@]host[:port][/db]</c>.</summary>
    public const string Scheme = "redis";

    /// <summary>The TLS URL scheme: <c>rediss://host:6380/0?ssl_cert_reqs=required</c>.</summary>
    public const string TlsScheme = "rediss";

    /// <summary>Registers <see cref="RedisTransport"/> for <c>redis://</c> and <c>rediss://</c> broker URLs.</summary>
    /// <returns>The same registry.</returns>
    public static TransportRegistry AddRedis(this TransportRegistry transports)
    {
        ArgumentNullException.ThrowIfNull(transports);
        transports.Register(Scheme, RedisTransport.Create);
        transports.Register(TlsScheme, RedisTransport.Create);
        return transports;
    }

    /// <summary>Registers <see cref="RedisResultBackend"/> for <c>redis://</c> and <c>rediss://</c> result backend URLs.</summary>
    /// <returns>The same registry.</returns>
    public static ResultBackendRegistry AddRedis(this ResultBackendRegistry backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        backends.Register(Scheme, RedisResultBackend.Create);
        backends.Register(TlsScheme, RedisResultBackend.Create);
        return backends;
    }

    /// <summary>Registers <see cref="RedisBeatStore"/>: beat keeps its state and leader lease on a Redis broker.</summary>
    /// <returns>The same registry.</returns>
    public static Schedules.BeatStoreRegistry AddRedis(this Schedules.BeatStoreRegistry stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        stores.Register(Scheme, RedisBeatStore.Create);
        stores.Register(TlsScheme, RedisBeatStore.Create);
        return stores;
    }

    /// <summary>Registers the Redis transport, result backend and beat store.</summary>
    /// <returns>The same services, for chaining.</returns>
    public static CeleriacServices AddRedis(this CeleriacServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.Transports.AddRedis();
        services.Backends.AddRedis();
        services.BeatStores.AddRedis();
        return services;
    }
}
