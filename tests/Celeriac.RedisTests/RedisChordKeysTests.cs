using System.Text;
using System.Text.Json.Nodes;
using Celeriac.Backends;
using Celeriac.Protocol;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>
/// The chord keys on Redis as Celery 5.2 writes them: <c>.s</c> as the capture of Python's
/// <c>chord(group(add.s(i, i) for i in range(3)), xsum.s())</c> shows it (Fixtures/13-chord.keys.json), the <c>.j</c>
/// entries as Python's join reads them, every key with a TTL, all deleted by the join.
/// </summary>
public sealed class RedisChordKeysTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _server;

    public RedisChordKeysTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_chord_size_key_is_the_one_python_writes()
    {
        var python = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "13-chord.keys.json")))!["backend_db1"]![0]!;
        await using var backend = NewBackend();
        var groupId = Guid.NewGuid().ToString();

        await backend.PrepareChordAsync(groupId, [Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Guid.NewGuid().ToString()]);

        var key = $"celery-taskset-meta-{groupId}.s";
        Assert.EndsWith(".s", python["key"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(python["value"]!.GetValue<string>(), (string?)await _server.Db(1).StringGetAsync(key));
        Assert.Equal(python["ttl"]!.GetValue<int>(), (int)(await _server.Db(1).KeyTimeToLiveAsync(key))!.Value.TotalSeconds, tolerance: 5);
    }

    [Fact]
    public async Task Join_entries_are_celerys_and_every_key_has_a_ttl_until_the_join_deletes_them()
    {
        await using var backend = NewBackend();
        var groupId = Guid.NewGuid().ToString();
        var ids = new[] { Guid.NewGuid().ToString(), Guid.NewGuid().ToString() };
        await backend.PrepareChordAsync(groupId, ids);

        await backend.ChordPartReturnAsync(groupId, 1, new ResultMeta { TaskId = ids[1], Status = TaskStates.Success, Result = 7 });

        var db = _server.Db(1);
        var join = $"celery-taskset-meta-{groupId}.j";
        var entry = Assert.Single(await db.SortedSetRangeByRankWithScoresAsync(join));
        Assert.Equal($"[1, \"{ids[1]}\", \"SUCCESS\", 7]", Encoding.UTF8.GetString((byte[])entry.Element!));
        Assert.Equal(1, entry.Score);
        foreach (var key in _server.Admin.GetServer("127.0.0.1", _server.Port).Keys(1, "celery-taskset-meta-*"))
        {
            Assert.NotNull(await db.KeyTimeToLiveAsync(key));
        }

        Assert.NotNull(await backend.ChordPartReturnAsync(groupId, 0, new ResultMeta { TaskId = ids[0], Status = TaskStates.Success, Result = 6 }));
        Assert.Empty(_server.Admin.GetServer("127.0.0.1", _server.Port).Keys(1, "celery-taskset-meta-*"));
    }

    private RedisResultBackend NewBackend() =>
        new(new ResultBackendContext(BrokerUrl.Parse(_server.Url(1)), TimeSpan.FromDays(1), TimeProvider.System, NullLoggerFactory.Instance));
}
