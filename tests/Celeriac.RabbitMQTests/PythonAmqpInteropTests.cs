using Celeriac.Client;
using Celeriac.RabbitMQ;
using Celeriac.Redis;
using Celeriac.RedisTests;
using Celeriac.Worker;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// Real Python Celery 5.2.6 (py-amqp) and Celeriac on one RabbitMQ vhost, both directions, with the redis:// backend
/// and with rpc:// (results as messages to the sender's reply queue): Python's shared harness against the
/// samples/Interop worker process, Python clients whose tasks a Celeriac worker runs, a Celeriac client whose tasks a
/// Python worker runs, and Celery's own inspect and event monitor against a Celeriac worker.
/// </summary>
public sealed class PythonAmqpInteropTests : IClassFixture<AmqpVhost>, IClassFixture<RedisServer>
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly AmqpVhost _vhost;
    private readonly RedisServer _redis;

    public PythonAmqpInteropTests(AmqpVhost vhost, RedisServer redis)
    {
        _vhost = vhost;
        _redis = redis;
    }

    [Fact]
    public async Task The_shared_harness_check_extra_passes_against_the_interop_sample_worker_over_amqp()
    {
        const string Queue = "sample";
        var dll = Path.Combine(AppContext.BaseDirectory, "Interop.dll");
        await using var worker = PythonProcess.StartProgram("dotnet", AppContext.BaseDirectory, new Dictionary<string, string>(), dll, "worker", "-b", _vhost.Url, "--result-backend", _redis.Url(3), "-Q", Queue, "-c", "4", "-l", "info");
        Assert.True(await worker.WaitForOutputAsync("ready.", ProcessTimeout), worker.Output);

        await using var check = PythonProcess.StartProgram(PythonProcess.Python, Path.Combine(PythonProcess.ScriptDirectory, "harness"), Environment(Queue, _redis.Url(3)), "py-client.py", "--queue", Queue, "check", "--extra");
        var exit = await check.WaitForExitAsync(ProcessTimeout);

        Assert.True(exit == 0, check.Output + "\n--- worker ---\n" + worker.Output);
        Assert.Contains("15 passed, 0 failed", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_python_client_with_the_rpc_backend_reads_the_results_a_celeriac_worker_sends_to_its_reply_queue()
    {
        const string Queue = "rpc-cs";
        await using var app = CreateApp("rpc://");
        RegisterTasks(app);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = [Queue] });

        await using var client = PythonProcess.Start(Environment(Queue, "rpc://"), "rpc_client.py");
        var exit = await client.WaitForExitAsync(ProcessTimeout);

        Assert.True(exit == 0, client.Output);
        Assert.Contains("5 passed, 0 failed", client.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_python_client_with_the_redis_backend_gets_the_results_of_tasks_a_celeriac_worker_runs()
    {
        const string Queue = "redis-cs";
        await using var app = CreateApp(_redis.Url(4));
        RegisterTasks(app);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = [Queue] });

        await using var client = PythonProcess.Start(Environment(Queue, _redis.Url(4)), "py_client.py");
        var exit = await client.WaitForExitAsync(ProcessTimeout);

        Assert.True(exit == 0, client.Output);
        Assert.Contains("6 passed, 0 failed", client.Output, StringComparison.Ordinal);
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync(Queue));
    }

    [Theory]
    [InlineData("rpc")]
    [InlineData("redis")]
    public async Task A_celeriac_client_reads_the_results_of_tasks_a_python_worker_runs(string backend)
    {
        var queue = "py-" + backend;
        var backendUrl = backend == "rpc" ? "rpc://" : _redis.Url(5);
        await using var python = StartPythonWorker(Environment(queue, backendUrl), queue);
        Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
        await using var app = CreateApp(backendUrl);
        var toPython = new ApplyOptions { Queue = queue };

        var add = await app.SendTaskAsync("interop.add", [2, 3], options: toPython);
        var kwargs = await app.SendTaskAsync("interop.add", kwargs: new Dictionary<string, object?> { ["x"] = 20, ["y"] = 22 }, options: toPython);
        var later = await app.SendTaskAsync("interop.mul", [6, 7], options: toPython with { Countdown = TimeSpan.FromSeconds(1) });
        var fail = await app.SendTaskAsync("interop.fail", ["boom-from-csharp"], options: toPython);

        Assert.Equal(5, await add.GetAsync<int>(Wait));
        Assert.Equal(42, await kwargs.GetAsync<int>(Wait));
        Assert.Equal(42, await later.GetAsync<int>(Wait));
        var failure = await Assert.ThrowsAsync<TaskFailedException>(async () => await fail.GetAsync(Wait));
        Assert.Equal(("ValueError", "builtins", "boom-from-csharp"), (failure.ExcType, failure.ExcModule, failure.ExcMessage));
        Assert.Equal("FAILURE", fail.State);
        Assert.Contains("ValueError: boom-from-csharp", fail.Traceback, StringComparison.Ordinal);
        Assert.Contains("Task interop.add[" + add.Id + "] succeeded", python.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Python_inspect_ping_and_stats_reach_a_celeriac_worker_through_the_pidbox_exchange()
    {
        await using var app = CreateApp(_redis.Url(6));
        RegisterTasks(app);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = ["pinged"], Hostname = "csharp@amqp" });

        foreach (var (command, expect) in new[] { ("ping", "pong"), ("registered", "* interop.add"), ("stats", "\"max-concurrency\": 2") })
        {
            await using var inspect = PythonProcess.Start(Environment("pinged", _redis.Url(6)), "-m", "celery", "-A", "interop_tasks", "inspect", command, "-t", "10", "-d", "csharp@amqp");
            var exit = await inspect.WaitForExitAsync(ProcessTimeout);
            Assert.True(exit == 0, command + ": " + inspect.Output);
            Assert.Contains("csharp@amqp: OK", inspect.Output, StringComparison.Ordinal);
            Assert.Contains(expect, inspect.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pythons_event_dumper_sees_a_celeriac_workers_heartbeats_and_task_events_on_the_celeryev_exchange()
    {
        await using var app = CreateApp(_redis.Url(7));
        RegisterTasks(app);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["watched"], Hostname = "csharp@events", SendTaskEvents = true });
        await using var dump = PythonProcess.Start(Environment("watched", _redis.Url(7)), "-m", "celery", "-A", "interop_tasks", "events", "--dump");

        Assert.True(await dump.WaitForOutputAsync("csharp@events", TimeSpan.FromSeconds(60)), dump.Output);
        var result = await app.SendTaskAsync("interop.add", [2, 3], options: new ApplyOptions { Queue = "watched" });
        Assert.Equal(5, await result.GetAsync<int>(Wait));
        Assert.True(await dump.WaitForOutputAsync("task succeeded", TimeSpan.FromSeconds(30)), dump.Output);

        Assert.Contains("] heartbeat: active=", dump.Output, StringComparison.Ordinal);
        Assert.Contains($"task received: interop.add({result.Id}) args=(2, 3) kwargs={{}}", dump.Output, StringComparison.Ordinal);
        Assert.Matches(@"task succeeded: interop\.add\(" + result.Id + @"\) .*result=5", dump.Output);
    }

    internal static void RegisterTasks(CeleriacApp app)
    {
        app.Task<long>("interop.add", (long x, long y) => x + y);
        app.Task<long>("interop.mul", (long x, long y) => x * y);
        app.Task("interop.identity", (System.Text.Json.Nodes.JsonNode? value) => value?.DeepClone());
        app.Task("interop.fail", new Func<string, int>(message => throw TaskFailedException.Python("ValueError", message)));
        app.Task<double>("interop.sleep", async (double seconds, CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            return seconds;
        });
    }

    private static PythonProcess StartPythonWorker(Dictionary<string, string> env, string queue) => PythonProcess.Start(
        env,
        "-m", "celery", "-A", "interop_tasks", "worker", "-P", "solo", "-c", "1", "-Q", queue,
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "py@%h", "--loglevel", "INFO");

    private CeleriacApp CreateApp(string backend) => new(
        new CeleriacOptions { BrokerUrl = _vhost.Url, ResultBackend = backend },
        new CeleriacServices().AddRabbitMQ().AddRedis());

    private Dictionary<string, string> Environment(string queue, string backend) => new()
    {
        ["CELERY_BROKER_URL"] = _vhost.Url,
        ["CELERY_RESULT_BACKEND"] = backend,
        ["INTEROP_QUEUE"] = queue,
    };
}
