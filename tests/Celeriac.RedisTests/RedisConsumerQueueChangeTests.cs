using Celeriac.Conformance;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>redis://: queue changes of a running consumer (the BRPOP key list changes), against a private redis-server.</summary>
public sealed class RedisConsumerQueueChangeTests : ConsumerQueueChangeConformanceTests, IClassFixture<RedisServer>
{
    private readonly RedisServer _server;

    public RedisConsumerQueueChangeTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public override Task InitializeAsync() => _server.FlushAllAsync();

    protected override ITransport OpenTransport(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider) =>
        new RedisTransport(new TransportContext(BrokerUrl.Parse(_server.Url(0)), options, timeProvider, NullLoggerFactory.Instance));
}
