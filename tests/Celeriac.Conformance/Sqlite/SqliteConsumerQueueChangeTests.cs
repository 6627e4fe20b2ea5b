using Celeriac.Sqlite;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.Conformance.Sqlite;

/// <summary>sqlite://: queue changes of a running consumer, each test on its own database file.</summary>
public sealed class SqliteConsumerQueueChangeTests : ConsumerQueueChangeConformanceTests
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
