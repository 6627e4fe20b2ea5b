using Celeriac.Conformance;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>The broker goes away and comes back: consumers and waiters carry on once it is back.</summary>
public sealed class RedisOutageTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _server;

    public RedisOutageTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_consumer_keeps_consuming_after_the_server_restarts()
    {
        await using var transport = new RedisTransport(new TransportContext(BrokerUrl.Parse(_server.Url(0)), new Dictionary<string, string>(), TimeProvider.System, NullLoggerFactory.Instance));
        await using var reader = new DeliveryReader(await transport.ConsumeAsync(["survivor"], 1));
        await transport.PublishAsync(TestMessages.Text("before"), string.Empty, "survivor");
        await (await reader.ReceiveAsync()).AckAsync();

        await _server.RestartAsync(TimeSpan.FromMilliseconds(500));

        // Publishing may fail until the shared connection is back: retry as an application would.
        for (var i = 0; ; i++)
        {
            try
            {
                await transport.PublishAsync(TestMessages.Text("after"), string.Empty, "survivor");
                break;
            }
            catch (StackExchange.Redis.RedisConnectionException) when (i < 100)
            {
                await Task.Delay(100);
            }
        }

        var delivery = await reader.TryReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(delivery);
        Assert.Equal("after", TestMessages.BodyOf(delivery));
        await delivery.AckAsync();
    }
}
