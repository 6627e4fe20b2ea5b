using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Celeriac.Cli;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.RabbitMQ;
using Celeriac.Redis;
using Celeriac.RedisTests;
using Celeriac.Tasks;
using Celeriac.Worker;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// Worker operations across the two implementations on one RabbitMQ vhost (the pidbox and celeryev exchanges over
/// AMQP): Python Celery 5.2.6's own <c>celery inspect</c> and <c>celery control</c> (add_consumer, cancel_consumer,
/// revoke, terminate) against a Celeriac worker, Python's <c>app.events.Receiver</c> + <c>State</c> following a
/// Celeriac worker's task events, and Celeriac's CLI (<c>inspect</c>, <c>control</c>, <c>status</c>), run in-process,
/// against a real Python worker, printing what Python's CLI prints for it. The Redis suite does the same over Redis
/// (RedisTests.PythonOperationsInteropTests); the Python side is shared (ops.py, interop_tasks.py).
/// </summary>
public sealed partial class PythonAmqpOperationsInteropTests : IClassFixture<AmqpVhost>, IClassFixture<RedisServer>
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly AmqpVhost _vhost;
    private readonly RedisServer _redis;

    public PythonAmqpOperationsInteropTests(AmqpVhost vhost, RedisServer redis)
    {
        _vhost = vhost;
        _redis = redis;
    }

    [Fact]
    public async Task Pythons_inspect_and_control_see_and_drive_a_celeriac_worker_over_amqp()
    {
        const string Node = "csharp@amqpops";
        await using var app = CreateApp();
        var started = new ConcurrentDictionary<string, TaskCompletionSource>();
        var after = 0;
        var runs = new ConcurrentDictionary<string, int>();
        app.Task<long>("interop.add", (long x, long y, TaskContext context) =>
        {
            runs.AddOrUpdate(context.Request.Id, 1, (_, n) => n + 1);
            return x + y;
        });
        app.Task<double>("interop.sleep", async (double seconds, TaskContext context) =>
        {
            started.GetOrAdd(context.Request.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(seconds), context.CancellationToken);
            Interlocked.Increment(ref after);
            return seconds;
        });
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = ["ops"], Hostname = Node });
        var running = await app.SendTaskAsync("interop.sleep", [300], options: new ApplyOptions { Queue = "ops" });
        await started.GetOrAdd(running.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(Wait);

        Assert.Equal($"->  {Node}: OK\n        pong\n\n1 node online.\n", await CeleryAsync(Node, "inspect", "ping"));
        var status = await CeleryAsync(Node, "status");
        Assert.Equal($"->  {Node}: OK\n\n1 node online.\n", status);
        Assert.Equal((0, status), await CeleriacStatusAsync(Node));
        Assert.Contains($"'id': '{running.Id}', 'name': 'interop.sleep', 'args': [300],", await CeleryAsync(Node, "inspect", "active"), StringComparison.Ordinal);
        Assert.Contains("\"max-concurrency\": 2", await CeleryAsync(Node, "inspect", "stats"), StringComparison.Ordinal);
        Assert.Contains("    * interop.sleep\n", await CeleryAsync(Node, "inspect", "registered"), StringComparison.Ordinal);
        var queues = await CeleryAsync(Node, "inspect", "active_queues");
        Assert.Contains("'name': 'ops'", queues, StringComparison.Ordinal);
        Assert.DoesNotContain("'name': 'extra'", queues, StringComparison.Ordinal);

        // add_consumer: basic.consume on the worker's live channel; the new queue's tasks run.
        Assert.Equal($"->  {Node}: OK\n        add consumer extra\n", await CeleryAsync(Node, "control", "add_consumer", "extra"));
        Assert.Contains("'name': 'extra', 'exchange': {'name': 'extra', 'type': 'direct'", await CeleryAsync(Node, "inspect", "active_queues"), StringComparison.Ordinal);
        var fromExtra = await app.SendTaskAsync("interop.add", [2, 3], options: new ApplyOptions { Queue = "extra" });
        Assert.Equal(5, await fromExtra.GetAsync<long>(Wait));

        // cancel_consumer: basic.cancel; what is sent there afterwards waits in the queue.
        Assert.Equal($"->  {Node}: OK\n        no longer consuming from extra\n", await CeleryAsync(Node, "control", "cancel_consumer", "extra"));
        Assert.DoesNotContain("'name': 'extra'", await CeleryAsync(Node, "inspect", "active_queues"), StringComparison.Ordinal);
        var waiting = await app.SendTaskAsync("interop.add", [1, 1], options: new ApplyOptions { Queue = "extra" });
        Assert.Equal(4, await (await app.SendTaskAsync("interop.add", [2, 2], options: new ApplyOptions { Queue = "ops" })).GetAsync<long>(Wait));
        Assert.Equal(1, await app.Transport.GetQueueLengthAsync("extra"));
        Assert.False(runs.ContainsKey(waiting.Id));

        // revoke before the task arrives: it ends REVOKED and never runs.
        var id = Guid.NewGuid().ToString();
        Assert.Equal($"->  {Node}: OK\n        tasks {id} flagged as revoked\n", await CeleryAsync(Node, "control", "revoke", id));
        var revoked = await app.SendTaskAsync("interop.add", [2, 3], options: new ApplyOptions { Queue = "ops", TaskId = id });
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await revoked.GetAsync(Wait));
        Assert.Equal((TaskStates.Revoked, false), (error.State, runs.ContainsKey(id)));

        // terminate a running task: its token fires, it ends REVOKED, nothing after its await runs.
        Assert.Equal($"->  {Node}: OK\n        terminate: {running.Id}\n", await CeleryAsync(Node, "control", "terminate", "SIGTERM", running.Id));
        var terminated = await Assert.ThrowsAsync<TaskFailedException>(async () => await running.GetAsync(Wait));
        Assert.Equal((TaskStates.Revoked, "TaskRevokedError", "terminated", 0), (terminated.State, terminated.ExcType, terminated.ExcMessage, Volatile.Read(ref after)));
        var listed = await CeleryAsync(Node, "inspect", "revoked");
        Assert.Contains("    * " + id + "\n", listed, StringComparison.Ordinal);
        Assert.Contains("    * " + running.Id + "\n", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pythons_event_receiver_and_state_follow_a_celeriac_workers_task_events_over_amqp()
    {
        await using var app = CreateApp();
        PythonAmqpInteropTests.RegisterTasks(app);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["amqpstate"], Hostname = "csharp@amqpstate", SendTaskEvents = true });

        await using var follow = PythonProcess.Start(Environment("amqpstate"), "ops.py", "state", "amqpstate", "60");
        Assert.True(await follow.WaitForExitAsync(ProcessTimeout) == 0, follow.Output);

        var seen = JsonNode.Parse(Lf(follow.Output).Trim().Split('\n')[^1])!.AsObject();
        Assert.True(Str(seen, "state") == "SUCCESS", follow.Output);
        Assert.Equal(("interop.add", "(2, 3)", "{}", "5"), (Str(seen, "name"), Str(seen, "args"), Str(seen, "kwargs"), Str(seen, "result")));
        Assert.True(seen["runtime"]!.GetValue<double>() >= 0);
        Assert.All(new[] { "received", "started", "succeeded" }, k => Assert.True(seen[k]!.GetValue<double>() > 0, k));
        Assert.Equal(("csharp@amqpstate", true), (Str(seen, "worker"), seen["worker_alive"]!.GetValue<bool>()));
        Assert.Equal("celeriac", seen["worker_sw"]![0]!.GetValue<string>());
        Assert.True(seen["batches"]!.GetValue<int>() >= 1, "task events arrive as task.multi lists: " + follow.Output);
        Assert.True(seen["singles"]!.GetValue<int>() >= 1, "worker events arrive one by one: " + follow.Output);
    }

    [Fact]
    public async Task Celeriacs_inspect_control_and_status_print_a_python_workers_replies_over_amqp_as_pythons_own_cli_does()
    {
        const string Node = "pyinspect@amqp";
        await using var python = PythonProcess.Start(
            Environment("pyinspect"),
            "-m", "celery", "-A", "interop_tasks", "worker", "-P", "threads", "-c", "2", "-Q", "pyinspect",
            "--without-gossip", "--without-mingle", "-n", Node, "--loglevel", "INFO");
        Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
        await using var app = CreateApp();
        var running = await app.SendTaskAsync("interop.sleep", [120], options: new ApplyOptions { Queue = "pyinspect" });
        Assert.True(await python.WaitForOutputAsync($"Task interop.sleep[{running.Id}] received", ProcessTimeout), python.Output);

        var revokedId = Guid.NewGuid().ToString();

        // Each command asked of the same worker by both CLIs, ours first; a reply that does not change between two
        // asks prints the same, byte for byte (stats moves: its numbers are masked). add_consumer and cancel_consumer
        // answer the same whether or not the queue is consumed already.
        string[][] commands =
        [
            ["inspect", "ping"], ["inspect", "registered"], ["inspect", "active"], ["inspect", "scheduled"],
            ["inspect", "query_task", running.Id], ["control", "heartbeat"], ["inspect", "stats"],
            ["control", "add_consumer", "pyextra"], ["inspect", "active_queues"], ["control", "cancel_consumer", "pyextra"],
            ["control", "revoke", revokedId], ["inspect", "revoked"],
        ];
        foreach (var args in commands)
        {
            var ours = await CeleriacCliAsync([.. args, "-t", "10", "-d", Node]);
            var theirs = await CeleryAsync(Node, args);
            Assert.True(ours.Exit == 0, string.Join(' ', args) + ": " + ours.Err);
            if (args[1] == "stats")
            {
                Assert.Equal(MaskNumbers(theirs), MaskNumbers(Lf(ours.Out)));
            }
            else
            {
                Assert.Equal(theirs, Lf(ours.Out));
            }

            Assert.Contains($"->  {Node}: OK\n", Lf(ours.Out), StringComparison.Ordinal);
        }

        var active = await CeleriacCliAsync("inspect", "active", "-t", "10", "-d", Node);
        Assert.Contains($"    * {{'id': '{running.Id}', 'name': 'interop.sleep', 'args': [120],", Lf(active.Out), StringComparison.Ordinal);
        var status = await CeleriacCliAsync("status", "-t", "10", "-d", Node);
        Assert.Equal($"->  {Node}: OK\n\n1 node online.\n", Lf(status.Out));
    }

    /// <summary>Python's own CLI (<c>celery -A interop_tasks …</c>) against <paramref name="node"/>; its output, LF only.</summary>
    private async Task<string> CeleryAsync(string node, params string[] args)
    {
        await using var celery = PythonProcess.Start(Environment("unused"), ["-m", "celery", "-A", "interop_tasks", .. args, "-t", "10", "-d", node]);
        Assert.True(await celery.WaitForExitAsync(ProcessTimeout) == 0, string.Join(' ', args) + ": " + celery.Output);
        return Lf(celery.Output);
    }

    private async Task<(int Exit, string Out)> CeleriacStatusAsync(string node)
    {
        var (exit, output, _) = await CeleriacCliAsync("status", "-t", "10", "-d", node);
        return (exit, Lf(output));
    }

    private async Task<(int Exit, string Out, string Err)> CeleriacCliAsync(params string[] args)
    {
        var output = new LineWriter();
        using var error = new StringWriter();
        var exit = await CeleriacCli.RunAsync(["-b", _vhost.Url, "--result-backend", _redis.Url(8), .. args], null, null, output, error, CancellationToken.None);
        return (exit, output.Text, error.ToString());
    }

    private static string Str(JsonObject o, string key) => o[key]?.GetValue<string>() ?? "<null>";

    private static string Lf(string text) => text.Replace("\r", string.Empty, StringComparison.Ordinal);

    private static string MaskNumbers(string text) => Numbers().Replace(text, "N");

    [GeneratedRegex(@"-?\d+(\.\d+)?(e[+-]?\d+)?")]
    private static partial Regex Numbers();

    private CeleriacApp CreateApp() => new(
        new CeleriacOptions { BrokerUrl = _vhost.Url, ResultBackend = _redis.Url(8) },
        new CeleriacServices().AddRabbitMQ().AddRedis());

    private Dictionary<string, string> Environment(string queue) => new()
    {
        ["CELERY_BROKER_URL"] = _vhost.Url,
        ["CELERY_RESULT_BACKEND"] = _redis.Url(8),
        ["INTEROP_QUEUE"] = queue,
    };
}
