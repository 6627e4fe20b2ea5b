using Celeriac.Backends;
using Celeriac.Transport;

namespace Celeriac.Sqlite;

/// <summary>Registers the <c>sqlite://</c> transport and result backend with a composition root.</summary>
public static class SqliteRegistration
{
    /// <summary>The URL scheme: <c>sqlite:///relative.db</c>, <c>sqlite:////absolute/path.db</c>.</summary>
    public const string Scheme = "sqlite";

    /// <summary>Registers <see cref="SqliteTransport"/> for <c>sqlite://</c> broker URLs.</summary>
    /// <returns>The same registry.</returns>
    public static TransportRegistry AddSqlite(this TransportRegistry transports)
    {
        ArgumentNullException.ThrowIfNull(transports);
        transports.Register(Scheme, SqliteTransport.Create);
        return transports;
    }

    /// <summary>Registers <see cref="SqliteResultBackend"/> for <c>sqlite://</c> result backend URLs.</summary>
    /// <returns>The same registry.</returns>
    public static ResultBackendRegistry AddSqlite(this ResultBackendRegistry backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        backends.Register(Scheme, SqliteResultBackend.Create);
        return backends;
    }

    /// <summary>Registers both the SQLite transport and the SQLite result backend.</summary>
    /// <returns>The same services, for chaining.</returns>
    public static CeleriacServices AddSqlite(this CeleriacServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.Transports.AddSqlite();
        services.Backends.AddSqlite();
        return services;
    }
}
