using Celeriac.Backends;
using Celeriac.Sqlite;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.Conformance.Sqlite;

/// <summary>sqlite://: each test gets its own database file; every backend of a test opens the same file.</summary>
public sealed class SqliteResultBackendConformanceTests : GroupAndChordConformanceTests
{
    private readonly TempDatabase _database = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _database.Delete();
    }

    protected override IResultBackend OpenBackend(TimeSpan? resultExpires, TimeProvider timeProvider) =>
        new SqliteResultBackend(new ResultBackendContext(BrokerUrl.Parse(_database.Url), resultExpires, timeProvider, NullLoggerFactory.Instance));
}
