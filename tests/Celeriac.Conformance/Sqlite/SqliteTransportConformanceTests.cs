using Celeriac.Sqlite;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.Conformance.Sqlite;

/// <summary>sqlite://: each test gets its own database file; every transport of a test opens the same file.</summary>
public sealed class SqliteTransportConformanceTests : QueueArgumentConformanceTests
{
    private readonly TempDatabase _database = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _database.Delete();
    }

    protected override ITransport OpenTransport(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider) =>
        new SqliteTransport(new TransportContext(BrokerUrl.Parse(_database.Url), options, timeProvider, NullLoggerFactory.Instance));
}
