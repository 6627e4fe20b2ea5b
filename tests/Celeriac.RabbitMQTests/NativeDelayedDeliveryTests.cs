using System.Globalization;
using Celeriac.Client;
using Celeriac.RabbitMQ;
using Celeriac.Tasks;
using Celeriac.Transport;
using Celeriac.Worker;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// Celery 5.5's native delayed delivery on a real RabbitMQ node: with quorum task queues on a topic exchange, the
/// worker declares kombu's 28 delay levels (read back with <c>rabbitmqctl</c>, entity by entity, argument by
/// argument, against kombu's <c>declare_native_delayed_delivery_exchanges_and_queues</c>), and an ETA or countdown
/// task waits in the levels on the broker, not in a worker, then runs when due, including when no worker ran while it
/// waited. On a direct exchange (Celery's default) nothing of it is declared and the worker holds the task.
/// </summary>
public sealed class NativeDelayedDeliveryTests : IClassFixture<AmqpVhost>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly AmqpVhost _vhost;

    public NativeDelayedDeliveryTests(AmqpVhost vhost)
    {
        _vhost = vhost;
    }

    [Fact]
    public async Task A_worker_on_quorum_queues_and_a_topic_exchange_declares_kombus_delay_levels_and_binds_its_queues()
    {
        var vhost = await _vhost.Node.CreateVhostAsync();
        await using var app = CreateApp(vhost, "topic");
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["celery", "images"] });

        var exchanges = await ListAsync(vhost, "list_exchanges", "name", "type", "durable", "auto_delete", "internal");
        var queues = (await ListAsync(vhost, "list_queues", "name", "durable", "type", "arguments")).Select(q => q.Split('\t')).ToDictionary(q => q[0]);
        var bindings = await ListAsync(vhost, "list_bindings", "source_name", "destination_name", "destination_kind", "routing_key");

        Assert.Contains("celery_delayed_delivery\ttopic\ttrue\tfalse\tfalse", exchanges);
        Assert.Contains("celery\ttopic\ttrue\tfalse\tfalse", exchanges);
        for (var level = 0; level < 28; level++)
        {
            var name = "celery_delayed_" + level.ToString(CultureInfo.InvariantCulture);
            var stars = string.Concat(Enumerable.Repeat("*.", 27 - level));
            Assert.Contains($"{name}\ttopic\ttrue\tfalse\tfalse", exchanges);
            Assert.Equal(["true", "quorum"], queues[name][1..3]);
            var next = level > 0 ? "celery_delayed_" + (level - 1).ToString(CultureInfo.InvariantCulture) : "celery_delayed_delivery";
            var ttl = ((1L << level) * 1000).ToString(CultureInfo.InvariantCulture);
            foreach (var argument in new[] { "{\"x-queue-type\",\"quorum\"}", "{\"x-overflow\",\"reject-publish\"}", $"{{\"x-message-ttl\",{ttl}}}", $"{{\"x-dead-letter-exchange\",\"{next}\"}}", "{\"x-dead-letter-strategy\",\"at-least-once\"}" })
            {
                Assert.Contains(argument, queues[name][3], StringComparison.Ordinal);
            }

            // A 1 in this level's digit waits in its queue; a 0 passes to the next level's exchange (the delivery exchange after 0).
            Assert.Contains($"{name}\t{name}\tqueue\t{stars}1.#", bindings);
            Assert.Contains($"{name}\t{next}\texchange\t{stars}0.#", bindings);
        }

        foreach (var queue in new[] { "celery", "images" })
        {
            Assert.Contains($"celery_delayed_delivery\t{queue}\texchange\t#.{queue}", bindings);
            Assert.Contains($"{queue}\t{queue}\tqueue\t#.{queue}", bindings);
            Assert.Contains($"{queue}\t{queue}\tqueue\t{queue}", bindings);
        }
    }

    [Fact]
    public async Task A_countdown_task_waits_in_the_delay_levels_not_in_the_worker_and_runs_when_due()
    {
        var vhost = await _vhost.Node.CreateVhostAsync();
        await using var app = CreateApp(vhost, "topic");
        var sent = new System.Diagnostics.Stopwatch();
        var ran = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Task<int>("tasks.add", (int x, int y) =>
        {
            ran.TrySetResult(sent.Elapsed);
            return x + y;
        });
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = ["celery"] });
        var basePrefetch = worker.PrefetchCount;

        // 7.9 s is 7 whole seconds (111 in binary), or 6 (110) if the send is slow: 4 s in level 2, then 2 s in level 1.
        sent.Start();
        var result = await app.SendTaskAsync("tasks.add", [2, 3], options: new ApplyOptions { Countdown = TimeSpan.FromSeconds(7.9) });

        Assert.Equal(1, await app.Transport.GetQueueLengthAsync("celery_delayed_2"));
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync("celery"));
        Assert.Empty(worker.State.ScheduledIds);
        Assert.Equal(basePrefetch, worker.PrefetchCount);
        Assert.True(await EventuallyAsync(async () => await app.Transport.GetQueueLengthAsync("celery_delayed_1") == 1, TimeSpan.FromSeconds(15)), "the message moved from level 2 to level 1");
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync("celery_delayed_2"));

        Assert.Equal(5, await result.GetAsync<int>(Wait));
        var ranAfter = await ran.Task;
        Assert.True(ranAfter >= TimeSpan.FromSeconds(7.8), $"ran {ranAfter.TotalSeconds:F2} s after sending, before its ETA");
        Assert.True(ranAfter < TimeSpan.FromSeconds(30), $"ran {ranAfter.TotalSeconds:F2} s after sending");
        for (var level = 0; level < 28; level++)
        {
            Assert.Equal(0, await app.Transport.GetQueueLengthAsync("celery_delayed_" + level.ToString(CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public async Task A_task_delayed_while_no_worker_runs_reaches_its_queue_when_due_and_runs_on_a_worker_started_later()
    {
        const string Queue = "later";
        var vhost = await _vhost.Node.CreateVhostAsync();
        await using var client = CreateApp(vhost, "topic");

        // Only the client has declared anything: the levels and the queue's bindings come from its first delayed send.
        var result = await client.SendTaskAsync("tasks.add", [20, 22], options: new ApplyOptions { Queue = Queue, Eta = DateTimeOffset.UtcNow.AddSeconds(4) });

        Assert.Equal(1, await client.Transport.GetQueueLengthAsync("celery_delayed_0") + await client.Transport.GetQueueLengthAsync("celery_delayed_1"));
        Assert.True(await EventuallyAsync(async () => await client.Transport.GetQueueLengthAsync(Queue) == 1, TimeSpan.FromSeconds(20)), "the due message reached its queue");
        await using var app = CreateApp(vhost, "topic");
        app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = [Queue] });
        Assert.Equal(42, await result.GetAsync<int>(Wait));
    }

    [Fact]
    public async Task Retries_with_a_countdown_go_through_the_delay_levels_again_and_again_back_to_their_queue()
    {
        const string Queue = "retried";
        var vhost = await _vhost.Node.CreateVhostAsync();
        await using var app = CreateApp(vhost, "topic");
        var attempts = new System.Collections.Concurrent.ConcurrentQueue<(string Exchange, string RoutingKey)>();
        var deaths = new System.Collections.Concurrent.ConcurrentQueue<System.Text.Json.Nodes.JsonArray?>();
        app.Task<int>("tasks.flaky", int (TaskContext context) =>
        {
            deaths.Enqueue(context.Request.Message.Headers.Extra["x-death"]?.AsArray());
            attempts.Enqueue((context.Request.Exchange, context.Request.RoutingKey));
            return attempts.Count switch
            {
                1 or 2 => throw context.Retry(countdown: TimeSpan.FromSeconds(3.5)),
                3 => throw context.Retry(countdown: TimeSpan.FromMilliseconds(200)),
                _ => attempts.Count,
            };
        });
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = [Queue] });

        var result = await app.SendTaskAsync("tasks.flaky", options: new ApplyOptions { Queue = Queue });

        // 3.5 s from the retry's ETA is 3 whole seconds (11 in binary), or 2 (10) if the send is slow: it waits in
        // level 1 first, and the worker holds the rest, under a second, as Celery's int(countdown) leaves it.
        Assert.True(await EventuallyAsync(async () => await app.Transport.GetQueueLengthAsync("celery_delayed_1") == 1, TimeSpan.FromSeconds(15)), "the first retry is held by the broker");
        Assert.Empty(worker.State.ScheduledIds);
        Assert.Equal(4, await result.GetAsync<int>(Wait));
        var seen = attempts.ToArray();
        Assert.Equal((Queue, Queue), seen[0]);
        Assert.All(seen[1..3], a =>
        {
            Assert.True(NativeDelayedDelivery.TryGetRoutingKey(a.Exchange, a.RoutingKey, out var sentFor), $"{a} came through the levels");
            Assert.Equal(Queue, sentFor);
        });

        // Under a second: straight through the delivery exchange, bound to the queue by its routing key.
        Assert.Equal(("celery_delayed_delivery", Queue), seen[3]);

        // Only kombu's bindings: the retries' declarations did not bind the delivery exchange to the queue itself.
        var bindings = await ListAsync(vhost, "list_bindings", "source_name", "destination_name", "destination_kind", "routing_key");
        Assert.Equal([$"celery_delayed_delivery\t{Queue}\texchange\t#.{Queue}"], bindings.Where(b => b.StartsWith("celery_delayed_delivery\t", StringComparison.Ordinal)));

        // RabbitMQ's dead-letter history is the broker's: a retry does not carry the last journey's into the next.
        var history = deaths.ToArray();
        Assert.Null(history[0]);
        Assert.All(history[1..3], h => Assert.All(h!, death => Assert.Equal(1L, death!["count"]!.GetValue<long>())));
        Assert.Null(history[3]);
    }

    [Fact]
    public async Task On_a_direct_exchange_nothing_is_declared_and_the_worker_holds_the_eta_task()
    {
        var vhost = await _vhost.Node.CreateVhostAsync();
        await using var app = CreateApp(vhost, "direct");
        app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["celery"] });

        var result = await app.SendTaskAsync("tasks.add", [1, 2], options: new ApplyOptions { Countdown = TimeSpan.FromSeconds(8) });

        Assert.True(await EventuallyAsync(() => Task.FromResult(worker.State.ScheduledIds.Contains(result.Id)), TimeSpan.FromSeconds(8)), "the worker holds the ETA task");
        Assert.Equal(3, await result.GetAsync<int>(Wait));
        var exchanges = await ListAsync(vhost, "list_exchanges", "name");
        Assert.DoesNotContain(exchanges, e => e.StartsWith("celery_delayed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_python_client_publishing_as_celery_5_5_does_for_an_eta_task_gets_it_run_by_a_celeriac_worker_when_due()
    {
        const string Queue = "py-delayed";
        var vhost = await _vhost.Node.CreateVhostAsync();
        await using var app = CreateApp(vhost, "topic");
        PythonAmqpInteropTests.RegisterTasks(app);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = [Queue] });

        await using var client = Celeriac.RedisTests.PythonProcess.Start(
            new Dictionary<string, string> { ["CELERY_BROKER_URL"] = _vhost.Node.Url(vhost), ["CELERY_RESULT_BACKEND"] = "rpc://", ["INTEROP_QUEUE"] = Queue },
            "delayed_client.py");
        var exit = await client.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(exit == 0, client.Output);
        Assert.Contains("2 passed, 0 failed", client.Output, StringComparison.Ordinal);
    }

    private CeleriacApp CreateApp(string vhost, string exchangeType) => new(
        new CeleriacOptions
        {
            BrokerUrl = _vhost.Node.Url(vhost),
            ResultBackend = "rpc://",
            Task = new TaskOptions { DefaultQueueType = TaskOptions.QuorumQueueType, DefaultExchangeType = exchangeType },
        },
        new CeleriacServices().AddRabbitMQ());

    private async Task<List<string>> ListAsync(string vhost, string what, params string[] columns)
    {
        var output = await _vhost.Node.CtlAsync([what, "-p", vhost, "--no-table-headers", .. columns]);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }
}
