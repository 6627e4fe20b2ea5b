using Celeriac.Redis;
using Celeriac.Schedules;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>The Redis beat store on a real redis-server: one lease holder, growing fencing tokens, fenced writes.</summary>
public sealed class RedisBeatStoreTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _server;

    public RedisBeatStoreTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Only_one_holder_gets_the_lease_and_each_acquisition_draws_a_larger_fencing_token()
    {
        await using var a = Store();
        await using var b = Store();
        var leaseA = await a.TryAcquireAsync("a", TimeSpan.FromSeconds(30));
        Assert.Equal(new BeatLease("a", 1), leaseA);
        Assert.Null(await b.TryAcquireAsync("b", TimeSpan.FromSeconds(30)));
        Assert.Equal(leaseA, (await b.LoadAsync()).Leader);

        var ttl = await _server.Db().KeyTimeToLiveAsync("celeriac.beat.proj.lock");
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
        Assert.True(await a.RenewAsync(leaseA!, TimeSpan.FromSeconds(60)));
        Assert.InRange((await _server.Db().KeyTimeToLiveAsync("celeriac.beat.proj.lock"))!.Value, TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));

        await b.ReleaseAsync(new BeatLease("b", 1)); // not b's: nothing happens
        Assert.Null(await b.TryAcquireAsync("b", TimeSpan.FromSeconds(30)));
        await a.ReleaseAsync(leaseA!);
        Assert.Equal(new BeatLease("b", 2), await b.TryAcquireAsync("b", TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_holder_whose_lease_lapsed_and_was_taken_cannot_renew_or_write()
    {
        await using var a = Store();
        await using var b = Store();
        var leaseA = (await a.TryAcquireAsync("a", TimeSpan.FromSeconds(30)))!;
        var state = new BeatEntryState("proj.add", new DateTimeOffset(2026, 12, 1, 16, 0, 0, TimeSpan.FromHours(8)), 3);
        Assert.True(await a.SaveAsync(leaseA, "Asia/Shanghai", new Dictionary<string, BeatEntryState> { ["add"] = state }));

        // The lease lapses (the holder stopped renewing): expire the key now rather than waiting for it.
        await _server.Db().KeyExpireAsync("celeriac.beat.proj.lock", TimeSpan.FromMilliseconds(1));
        BeatLease? leaseB = null;
        for (var i = 0; i < 200 && leaseB is null; i++)
        {
            leaseB = await b.TryAcquireAsync("b", TimeSpan.FromSeconds(30));
            await Task.Delay(5);
        }

        Assert.Equal(2, leaseB!.FencingToken);
        Assert.False(await a.RenewAsync(leaseA, TimeSpan.FromSeconds(30)));
        Assert.False(await a.SaveEntryAsync(leaseA, "add", state with { TotalRunCount = 99 }));
        Assert.False(await a.SaveAsync(leaseA, "UTC", new Dictionary<string, BeatEntryState>()));

        Assert.True(await b.SaveEntryAsync(leaseB, "add", state with { TotalRunCount = 4 }));
        var loaded = await a.LoadAsync();
        Assert.Equal("Asia/Shanghai", loaded.TimeZone);
        Assert.Equal(state with { TotalRunCount = 4 }, loaded.Entries["add"]);
        Assert.Equal(leaseB, loaded.Leader);
        Assert.Equal(
            ["celeriac.beat.proj.fence", "celeriac.beat.proj.lock", "celeriac.beat.proj.meta", "celeriac.beat.proj.state"],
            _server.Admin.GetServer("127.0.0.1", _server.Port).Keys(0, "celeriac.beat.*").Select(k => (string)k!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Keys_carry_the_global_keyprefix_and_an_app_registered_for_redis_uses_this_store()
    {
        await using var app = new CeleriacApp(
            new CeleriacOptions { Name = "pfx", BrokerUrl = _server.Url(0), Broker = new BrokerOptions { TransportOptions = new Dictionary<string, string> { ["global_keyprefix"] = "tenant1:" } } },
            new CeleriacServices().AddRedis());
        await using var store = app.Beat.OpenStore();
        Assert.IsType<RedisBeatStore>(store);
        Assert.NotNull(await store.TryAcquireAsync("x", TimeSpan.FromSeconds(5)));
        Assert.True(await _server.Db().KeyExistsAsync("tenant1:celeriac.beat.pfx.lock"));
    }

    private RedisBeatStore Store() => new(new BeatStoreContext(BrokerUrl.Parse(_server.Url(0)), new Dictionary<string, string>(), "proj", TimeProvider.System, NullLoggerFactory.Instance));
}
