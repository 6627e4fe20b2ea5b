using Celeriac.RabbitMQ;
using Celeriac.Redis;
using Celeriac.Sqlite;

namespace Celeriac.Cli;

/// <summary>The transports and result backends this distribution ships, registered by URL scheme.</summary>
public static class Transports
{
    /// <summary>Registers every shipped transport and backend in <paramref name="services"/>.</summary>
    public static CeleriacServices Register(CeleriacServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddSqlite().AddRedis().AddRabbitMQ();
    }
}
