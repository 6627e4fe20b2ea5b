using Celeriac.Backends;
using Celeriac.Conformance;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>
/// redis://: the result backend suite against a private redis-server, emptied before each test. Redis expires keys on
/// its own clock, not on the test's fake one, so when the test lets time pass, the server's time passes too: every
/// key's remaining time to live is shortened by the same amount (and a key whose time is up is deleted), exactly what
/// the server would see after that long.
/// </summary>
public sealed class RedisResultBackendConformanceTests : GroupAndChordConformanceTests, IClassFixture<RedisServer>
{
    private const int Database = 1;
    private readonly RedisServer _server;

    public RedisResultBackendConformanceTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public override Task InitializeAsync() => _server.FlushAllAsync();

    protected override IResultBackend OpenBackend(TimeSpan? resultExpires, TimeProvider timeProvider) =>
        new RedisResultBackend(new ResultBackendContext(BrokerUrl.Parse(_server.Url(Database)), resultExpires, timeProvider, NullLoggerFactory.Instance));

    protected override async Task AdvanceAsync(TimeSpan by)
    {
        await base.AdvanceAsync(by);
        var db = _server.Db(Database);
        foreach (var key in _server.Admin.GetServer("127.0.0.1", _server.Port).Keys(Database, "*"))
        {
            var ttl = await db.KeyTimeToLiveAsync(key);
            if (ttl is not { } left)
            {
                continue;
            }

            var remaining = left - by;
            if (remaining <= TimeSpan.Zero)
            {
                await db.KeyDeleteAsync(key);
            }
            else
            {
                await db.KeyExpireAsync(key, remaining);
            }
        }
    }
}
