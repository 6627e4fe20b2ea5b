using System.Collections.Concurrent;
using Celeriac.Redis;
using Celeriac.Worker;
using StackExchange.Redis;

namespace Celeriac.RedisTests;

/// <summary>
/// The acceptance run for a broker that goes away: a real worker drains thousands of tasks from a redis-server with
/// AOF on; mid-run the server is SIGKILLed by PID and started again on the same port. The worker reconnects by
/// itself, and every task runs exactly once with its result stored.
/// </summary>
public sealed class RedisRestartTests : IClassFixture<AofRedisServer>, IAsyncLifetime
{
    private const int Tasks = 3000;
    private readonly AofRedisServer _server;

    public RedisRestartTests(AofRedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_worker_finishes_every_task_exactly_once_when_redis_is_killed_and_restarted_mid_run()
    {
        var logs = new ListLogger();

        // A short visibility timeout: a message popped just as the server died is restored within seconds.
        await using var app = new CeleriacApp(
            new CeleriacOptions
            {
                BrokerUrl = _server.Url(0),
                ResultBackend = _server.Url(1),
                Broker = new BrokerOptions { TransportOptions = new Dictionary<string, string> { ["visibility_timeout"] = "6" } },
            },
            new CeleriacServices { LoggerFactory = logs }.AddRedis());
        var runs = new ConcurrentDictionary<int, int>();
        var task = app.Task<int>("restart.count", async (int i) =>
        {
            runs.AddOrUpdate(i, 1, (_, n) => n + 1);
            await Task.Delay(5);
            return i;
        });
        var ids = new List<string>(Tasks);
        for (var i = 0; i < Tasks; i += 250)
        {
            var batch = await Task.WhenAll(Enumerable.Range(i, 250).Select(n => task.DelayAsync(n)));
            ids.AddRange(batch.Select(r => r.Id));
        }

        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 8, Queues = ["celery"] });
        await WaitUntilAsync(() => worker.State.Processed >= Tasks / 5, TimeSpan.FromSeconds(120), "a fifth of the tasks ran before the kill");
        var pid = _server.Pid;

        await _server.RestartAsync(TimeSpan.FromSeconds(1));

        Assert.NotEqual(pid, _server.Pid);
        Assert.True(worker.State.Processed < Tasks, "the kill came mid-run");
        var results = _server.Db(1);
        var missing = ids;
        await WaitUntilAsync(
            async () =>
            {
                var values = await results.StringGetAsync([.. missing.Select(id => (RedisKey)("celery-task-meta-" + id))]);
                missing = [.. missing.Where((_, i) => values[i].IsNull)];
                return missing.Count == 0;
            },
            TimeSpan.FromSeconds(180),
            "every result is stored");

        Assert.False(worker.Completion.IsCompleted, "the same worker carried on: " + string.Join('\n', logs.Lines.TakeLast(20)));
        Assert.Equal(Tasks, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Value));
        for (var i = 0; i < Tasks; i += 97)
        {
            Assert.Equal(i, await app.AsyncResult(ids[i]).GetAsync<int>(TimeSpan.FromSeconds(10)));
        }

        Assert.Equal(0, await app.Transport.GetQueueLengthAsync("celery"));
        await WaitUntilAsync(async () => await _server.Db(0).HashLengthAsync("unacked") == 0, TimeSpan.FromSeconds(30), "nothing left unacked");
        Assert.Contains(logs.Lines, l => l.Contains("retrying", StringComparison.OrdinalIgnoreCase));
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, what);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (RedisConnectionException)
            {
                // The server is restarting: ask again.
            }

            Assert.True(clock.Elapsed < timeout, "timed out waiting: " + what);
            await Task.Delay(50);
        }
    }
}
