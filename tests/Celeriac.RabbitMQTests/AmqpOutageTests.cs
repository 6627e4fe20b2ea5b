using Celeriac.Client;
using Celeriac.RabbitMQ;
using Celeriac.Redis;
using Celeriac.RedisTests;
using Celeriac.Worker;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// The RabbitMQ node restarted under a running worker (a node of its own, so other classes are not disturbed): with
/// acks_late no task is lost — the ones running when the node went are delivered again and run — and the worker
/// resumes consuming by itself, without a restart, as do the client's publishes. An ETA task waiting in the native
/// delay levels (quorum queues, at-least-once dead-lettering) outlives the restart too.
/// </summary>
public sealed class AmqpOutageTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _redis;
    private RabbitMqNode _node = null!;

    public AmqpOutageTests(RedisServer redis)
    {
        _redis = redis;
    }

    public async Task InitializeAsync() => _node = await RabbitMqNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_node_restart_mid_run_loses_no_acks_late_task_and_the_worker_resumes_by_itself()
    {
        const string Queue = "outage";
        const int Total = 60;
        var url = _node.Url("/");
        var options = new CeleriacOptions { BrokerUrl = url, ResultBackend = _redis.Url(2), Task = new TaskOptions { AcksLate = true } };
        await using var workerApp = new CeleriacApp(options, new CeleriacServices().AddRabbitMQ().AddRedis());
        var runs = new System.Collections.Concurrent.ConcurrentDictionary<long, int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        workerApp.Task<long>("outage.work", async (long n, CancellationToken ct) =>
        {
            runs.AddOrUpdate(n, 1, (_, c) => c + 1);
            if (n < 4)
            {
                // The first four hold their slots until the node is back: they are running when it goes.
                await gate.Task.WaitAsync(ct);
            }

            return n;
        });
        await using var worker = await workerApp.StartWorkerAsync(workerApp.Options.Worker with { Concurrency = 4, PrefetchMultiplier = 2, Queues = [Queue] });
        await using var client = new CeleriacApp(options, new CeleriacServices().AddRabbitMQ().AddRedis());
        var sent = new List<AsyncResult>();
        for (var i = 0; i < Total / 2; i++)
        {
            sent.Add(await client.SendTaskAsync("outage.work", [i], options: new ApplyOptions { Queue = Queue }));
        }

        for (var i = 0; i < 200 && runs.Count < 4; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(4, runs.Count);

        await _node.RestartAsync(TimeSpan.FromSeconds(1));
        gate.TrySetResult();

        // The client's publishes wait for its connection to recover; the worker picks up where it was.
        for (var i = Total / 2; i < Total; i++)
        {
            sent.Add(await client.SendTaskAsync("outage.work", [i], options: new ApplyOptions { Queue = Queue }));
        }

        for (var i = 0; i < Total; i++)
        {
            Assert.Equal(i, await sent[i].GetAsync<long>(TimeSpan.FromSeconds(90)));
        }

        Assert.Equal(Total, runs.Count);
        Assert.All(Enumerable.Range(0, 4), n => Assert.True(runs[n] >= 2, $"task {n} was running at the restart and ran again"));
        Assert.Equal(0, await client.Transport.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public async Task An_eta_task_waiting_in_the_delay_levels_survives_a_node_restart_and_runs_when_due()
    {
        var url = _node.Url("/");
        var options = new CeleriacOptions
        {
            BrokerUrl = url,
            ResultBackend = _redis.Url(2),
            Task = new TaskOptions { DefaultQueueType = TaskOptions.QuorumQueueType, DefaultExchangeType = "topic" },
        };
        await using var app = new CeleriacApp(options, new CeleriacServices().AddRabbitMQ().AddRedis());
        app.Task<long>("outage.double", (long n) => n * 2);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["delayed"] });
        var sent = System.Diagnostics.Stopwatch.StartNew();
        var result = await app.SendTaskAsync("outage.double", [21], options: new ApplyOptions { Queue = "delayed", Countdown = TimeSpan.FromSeconds(12.5) });
        Assert.Equal(1, await app.Transport.GetQueueLengthAsync("celery_delayed_3"));

        await _node.RestartAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(42, await result.GetAsync<long>(TimeSpan.FromSeconds(90)));
        Assert.True(sent.Elapsed >= TimeSpan.FromSeconds(12.4), $"ran {sent.Elapsed.TotalSeconds:F1} s after sending, before its ETA");
    }
}
