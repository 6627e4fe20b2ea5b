using Celeriac.Client;
using Celeriac.RabbitMQ;
using Celeriac.Worker;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// What a Celeriac worker leaves on RabbitMQ, read back with <c>rabbitmqctl</c> and compared with what Python Celery
/// 5.2.6's worker declared in the captured topology (fixtures <c>rabbitmq/topology-worker-running.txt</c>): the same
/// exchanges and queues with the same flags and arguments, the task queue consumed with acks and a global prefetch of
/// concurrency × multiplier, raised by one per ETA task held; quorum queues as an option.
/// </summary>
public sealed class AmqpTopologyTests : IClassFixture<AmqpVhost>
{
    private readonly AmqpVhost _vhost;

    public AmqpTopologyTests(AmqpVhost vhost)
    {
        _vhost = vhost;
    }

    [Fact]
    public async Task A_running_worker_declares_celerys_entities_with_celerys_flags_and_arguments()
    {
        await using var app = new CeleriacApp(new CeleriacOptions { BrokerUrl = _vhost.Url, ResultBackend = "rpc://" }, new CeleriacServices().AddRabbitMQ());
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 4, Hostname = "cs@topology" });
        await using var receiver = new Celeriac.Events.EventReceiver(app, routingKey: "worker.#");
        await receiver.StartAsync();
        await app.SendTaskAsync("tasks.none", options: new ApplyOptions { Queue = "celery" });

        var exchanges = await ListAsync("list_exchanges", "name", "type", "durable", "auto_delete", "internal", "arguments");
        var queues = await ListAsync("list_queues", "name", "durable", "auto_delete", "exclusive", "arguments");
        var bindings = await ListAsync("list_bindings", "source_name", "destination_name", "routing_key");

        // Exactly the rows of Python's worker (topology-worker-running.txt), with our node name and uuids.
        Assert.Contains("celery\tdirect\ttrue\tfalse\tfalse\t[]", exchanges);
        Assert.Contains("celeryev\ttopic\ttrue\tfalse\tfalse\t[]", exchanges);
        Assert.Contains("celery.pidbox\tfanout\tfalse\tfalse\tfalse\t[]", exchanges);
        Assert.Contains("reply.celery.pidbox\tdirect\tfalse\tfalse\tfalse\t[]", exchanges);
        Assert.Contains("celery\ttrue\tfalse\tfalse\t[]", queues);
        Assert.Contains("cs@topology.celery.pidbox\tfalse\ttrue\tfalse\t[{\"x-expires\",10000},{\"x-message-ttl\",300000}]", queues);
        Assert.Contains(queues, q => q.StartsWith("celeryev.", StringComparison.Ordinal) && q.EndsWith("\tfalse\ttrue\tfalse\t[{\"x-expires\",60000},{\"x-message-ttl\",5000}]", StringComparison.Ordinal));
        Assert.Contains($"{app.Oid}\tfalse\ttrue\tfalse\t[{{\"x-expires\",86400000}}]", queues);
        Assert.Contains("celery\tcelery\tcelery", bindings);
        Assert.Contains("celery.pidbox\tcs@topology.celery.pidbox", bindings);
        Assert.Contains(bindings, b => b.StartsWith("celeryev\tceleryev.", StringComparison.Ordinal) && b.EndsWith("\tworker.#", StringComparison.Ordinal));
        var consumers = await ListAsync("list_consumers", "queue_name", "ack_required");
        Assert.Contains("celery\ttrue", consumers);
        Assert.Equal(16, await GlobalPrefetchOfChannelConsumingAsync("celery"));

        // Heartbeats on: Celery's broker_heartbeat (120 s) against RabbitMQ's 60 s gives the lower, as py-amqp negotiates.
        Assert.All(await ListAsync("list_connections", "timeout"), timeout => Assert.Equal("60", timeout));
    }

    [Fact]
    public async Task An_eta_task_held_by_the_worker_raises_the_global_prefetch_by_one_until_it_runs()
    {
        const string Queue = "eta";
        await using var app = new CeleriacApp(new CeleriacOptions { BrokerUrl = _vhost.Url, ResultBackend = "rpc://" }, new CeleriacServices().AddRabbitMQ());
        app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, PrefetchMultiplier = 4, Queues = [Queue] });
        Assert.Equal(8, await GlobalPrefetchOfChannelConsumingAsync(Queue));

        // Far enough ahead that the broker can be asked (rabbitmqctl is slow on a loaded machine) while it is held.
        var later = await app.SendTaskAsync("tasks.add", [1, 2], options: new ApplyOptions { Queue = Queue, Countdown = TimeSpan.FromSeconds(40) });

        Assert.True(await EventuallyAsync(() => Task.FromResult(worker.PrefetchCount == 9)), "the worker raised its prefetch for the held ETA task");
        Assert.Equal(9, await GlobalPrefetchOfChannelConsumingAsync(Queue));
        Assert.Equal(3, await later.GetAsync<int>(TimeSpan.FromSeconds(120)));
        Assert.True(await EventuallyAsync(() => Task.FromResult(worker.PrefetchCount == 8)), "the worker lowered its prefetch once the task ran");
        Assert.Equal(8, await GlobalPrefetchOfChannelConsumingAsync(Queue));
    }

    [Fact]
    public async Task Quorum_task_queues_are_declared_as_quorum_and_consumed_with_a_per_consumer_prefetch()
    {
        const string Queue = "quorum-tasks";
        var options = new CeleriacOptions { BrokerUrl = _vhost.Url, ResultBackend = "rpc://", Task = new TaskOptions { DefaultQueueType = TaskOptions.QuorumQueueType, QueueMaxPriority = 10 } };
        await using var app = new CeleriacApp(options, new CeleriacServices().AddRabbitMQ());
        app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = [Queue] });

        var result = await app.SendTaskAsync("tasks.add", [20, 22], options: new ApplyOptions { Queue = Queue });

        Assert.Equal(42, await result.GetAsync<int>(TimeSpan.FromSeconds(30)));
        var queues = await ListAsync("list_queues", "name", "durable", "type", "arguments");
        Assert.Contains($"{Queue}\ttrue\tquorum\t[{{\"x-queue-type\",\"quorum\"}}]", queues);
        var consumers = await ListAsync("list_consumers", "queue_name", "ack_required", "prefetch_count");
        Assert.Contains($"{Queue}\ttrue\t8", consumers);
    }

    private async Task<List<string>> ListAsync(string what, params string[] columns)
    {
        var output = await _vhost.Node.CtlAsync([what, "-p", _vhost.Name, "--no-table-headers", .. columns]);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    private async Task<int> GlobalPrefetchOfChannelConsumingAsync(string queue)
    {
        var consumers = await ListAsync("list_consumers", "queue_name", "channel_pid");
        var channel = consumers.Select(c => c.Split('\t')).First(c => c[0] == queue)[1];
        var channels = await ListAsync("list_channels", "pid", "global_prefetch_count");
        return int.Parse(channels.Select(c => c.Split('\t')).First(c => c[0] == channel)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 60; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }
}
