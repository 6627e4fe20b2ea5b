using Celeriac.Conformance;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>
/// redis://: the transport suite against a private redis-server, emptied before each test. Two options differ from
/// kombu's defaults here, each for a reason that is Redis's own, and both defaults are tested in RedisTransportTests:
/// <list type="bullet">
/// <item><c>priority_steps</c> = 0..9: with kombu's default steps [0, 3, 6, 9], priorities 3 and 5 share one list and
/// keep publish order, while the suite asks for exact priority order.</item>
/// <item><c>fanout_patterns</c> = false: kombu's default puts the routing key into the PUB/SUB channel
/// (<c>/0.exchange/key</c>), so a binding key filters fanout messages, while the suite asks that fanout ignore keys.</item>
/// </list>
/// </summary>
public sealed class RedisTransportConformanceTests : TransportConformanceTests, IClassFixture<RedisServer>
{
    private readonly RedisServer _server;

    public RedisTransportConformanceTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public override Task InitializeAsync() => _server.FlushAllAsync();

    protected override ITransport OpenTransport(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider)
    {
        var merged = new Dictionary<string, string>(options, StringComparer.Ordinal);
        merged.TryAdd("priority_steps", "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
        merged.TryAdd("fanout_patterns", "false");
        return new RedisTransport(new TransportContext(BrokerUrl.Parse(_server.Url(0)), merged, timeProvider, NullLoggerFactory.Instance));
    }
}
