using System.Text.Json.Nodes;
using Celeriac.Beat;
using Celeriac.Canvas;
using Celeriac.Redis;
using Celeriac.Schedules;
using Microsoft.Extensions.Time.Testing;

namespace Celeriac.RedisTests;

/// <summary>
/// What Celeriac beat puts on Redis is what Python beat puts there (the captured envelope of Celery 5.2.6's beat), and a
/// real Python Celery worker runs it. The beat's clock is fake: no waiting for schedule time.
/// </summary>
public sealed class BeatInteropTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _server;

    public BeatInteropTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Beat_sends_the_envelope_python_beat_sends_and_a_python_worker_runs_the_entries()
    {
        const string Queue = "beatq";
        // The fake clock starts near the real one: the Python worker checks expires against real time.
        var real = TimeProvider.System.GetUtcNow();
        var start = new DateTimeOffset(real.Year, real.Month, real.Day, real.Hour, real.Minute, 42, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using var app = new CeleriacApp(
            new CeleriacOptions { BrokerUrl = _server.Url(0), ResultBackend = _server.Url(1), Timezone = "Asia/Shanghai", Task = new TaskOptions { DefaultQueue = Queue } },
            new CeleriacServices { TimeProvider = time }.AddRedis());
        app.Beat.Add("every-2s-add", Signature.Create("interop.add", 2, 3), TimeSpan.FromSeconds(2));
        app.Beat.Add("every-minute-mul", Signature.Create("interop.mul", 3, 4).Set("queue", Queue).Set("expires", 30), new Crontab(minute: "*"));
        await using var beat = new BeatService(app);
        Assert.IsType<RedisBeatStore>(beat.Store);

        await beat.TickAsync();
        time.Advance(TimeSpan.FromSeconds(2));
        await beat.TickAsync();
        time.Advance(TimeSpan.FromSeconds(16)); // hh:mm:00: the minute entry too (and the interval again)
        await beat.TickAsync();

        var raw = (await _server.Db().ListRangeAsync(Queue)).Select(v => (JsonObject)JsonNode.Parse((string)v!)!).Reverse().ToList();
        Assert.Equal(["interop.add", "interop.add", "interop.mul"], raw.Select(m => m["headers"]!["task"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        // Python beat's capture (shared/fixtures/celery-5.2.6/redis/beat/01-interop.add.raw): same keys in the same
        // order, same properties, same body bytes for the same arguments.
        var python = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "beat-01-interop.add.raw")))!;
        var ours = raw[0];
        Assert.Equal(Keys(python), Keys(ours));
        Assert.Equal(Keys(python["headers"]!), Keys(ours["headers"]!));
        Assert.Equal(Keys(python["properties"]!), Keys(ours["properties"]!));
        Assert.Equal(python["body"]!.GetValue<string>(), ours["body"]!.GetValue<string>());
        Assert.Equal("[2, 3]", ours["headers"]!["argsrepr"]!.GetValue<string>());
        var mul = raw.Single(m => m["headers"]!["task"]!.GetValue<string>() == "interop.mul");
        var expires = DateTimeOffset.Parse(mul["headers"]!["expires"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal((start.AddSeconds(48), TimeSpan.FromHours(8)), (expires, expires.Offset));

        var env = new Dictionary<string, string> { ["CELERY_BROKER_URL"] = _server.Url(0), ["CELERY_RESULT_BACKEND"] = _server.Url(1), ["INTEROP_QUEUE"] = Queue };
        await using var worker = PythonProcess.Start(
            env, "-m", "celery", "-A", "interop_tasks", "worker", "-P", "solo", "-c", "1", "-Q", Queue,
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "pybeat@%h", "--loglevel", "INFO");
        foreach (var m in raw)
        {
            var id = m["headers"]!["id"]!.GetValue<string>();
            var expected = m["headers"]!["task"]!.GetValue<string>() == "interop.add" ? 5 : 12;
            Assert.Equal(expected, await app.AsyncResult(id).GetAsync<int>(TimeSpan.FromSeconds(60)));
        }

        Assert.Contains("succeeded in", worker.Output, StringComparison.Ordinal);
    }

    private static List<string> Keys(JsonNode node) => [.. node.AsObject().Select(kv => kv.Key)];
}
