using Celeriac.Client;
using Celeriac.Redis;
using Celeriac.Tasks;
using Celeriac.Transport;
using Celeriac.Worker;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Celeriac.RedisTests;

/// <summary>
/// Real Python Celery 5.2.6 on the same loopback redis-server, both directions: a Python client whose tasks a Celeriac
/// worker runs (Python's AsyncResult.get() reads our results, so we must PUBLISH), and a Celeriac client whose tasks a
/// Python worker runs (we read Python's results, failures included). Broker in db 0, results in db 1, as Celery users do.
/// </summary>
public sealed class PythonInteropTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(90);
    private readonly RedisServer _server;

    public PythonInteropTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_python_client_gets_the_results_of_tasks_a_celeriac_worker_runs()
    {
        const string Queue = "csharp";
        await using var app = CreateApp();
        app.Task<int>("interop.add", (int x, int y) => x + y);
        app.Task<int>("interop.mul", (int x, int y) => x * y);
        app.Task("interop.identity", (System.Text.Json.Nodes.JsonNode? value) => value);
        app.Task("interop.fail", new Func<string, int>(message => throw TaskFailedException.Python("ValueError", message)));
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = [Queue] });

        await using var client = PythonProcess.Start(Environment(Queue), "py_client.py");
        var exit = await client.WaitForExitAsync(ProcessTimeout);

        Assert.True(exit == 0, client.Output);
        Assert.Contains("6 passed, 0 failed", client.Output, StringComparison.Ordinal);
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public async Task A_celeriac_client_reads_the_results_of_tasks_a_python_worker_runs()
    {
        const string Queue = "python";
        await using var python = StartPythonWorker(Environment(Queue), Queue);
        Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
        await using var app = CreateApp();
        var toPython = new ApplyOptions { Queue = Queue };

        var add = await app.SendTaskAsync("interop.add", [2, 3], options: toPython);
        var kwargs = await app.SendTaskAsync("interop.add", kwargs: new Dictionary<string, object?> { ["x"] = 20, ["y"] = 22 }, options: toPython);
        var fail = await app.SendTaskAsync("interop.fail", ["boom-from-csharp"], options: toPython);

        Assert.Equal(5, await add.GetAsync<int>(TimeSpan.FromSeconds(30)));
        Assert.Equal(42, await kwargs.GetAsync<int>(TimeSpan.FromSeconds(30)));
        var failure = await Assert.ThrowsAsync<TaskFailedException>(async () => await fail.GetAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("ValueError", failure.ExcType);
        Assert.Equal("builtins", failure.ExcModule);
        Assert.Equal("boom-from-csharp", failure.ExcMessage);
        Assert.Equal("FAILURE", fail.State);
        Assert.Contains("ValueError: boom-from-csharp", fail.Traceback, StringComparison.Ordinal);
        Assert.Contains("Task interop.add[" + add.Id + "] succeeded", python.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_python_worker_restores_and_runs_a_message_a_vanished_celeriac_consumer_held()
    {
        const string Queue = "vanished";
        await using var app = CreateApp();
        var sent = await app.SendTaskAsync("interop.add", [20, 22], options: new ApplyOptions { Queue = Queue });

        // A consumer that took the message and then went silent, its delivery scored 60 s ago (as if it had died
        // then): never acked, never renewed, never disposed before the Python worker starts.
        var past = new FakeTimeProvider(TimeProvider.System.GetUtcNow() - TimeSpan.FromSeconds(60));
        var vanished = new RedisTransport(new TransportContext(BrokerUrl.Parse(_server.Url(0)), new Dictionary<string, string>(), past, NullLoggerFactory.Instance));
        var consumer = await vanished.ConsumeAsync([Queue], 1);
        await using var enumerator = consumer.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        Assert.Equal(1, await _server.Db(0).HashLengthAsync("unacked"));

        var env = Environment(Queue);
        env["INTEROP_VISIBILITY_TIMEOUT"] = "5";
        await using var python = StartPythonWorker(env, Queue);

        Assert.Equal(42, await sent.GetAsync<int>(TimeSpan.FromSeconds(60)));

        // Python's worker sends its ack through its event loop, which may run after the result is readable.
        var unacked = await _server.Db(0).HashLengthAsync("unacked");
        for (var i = 0; i < 100 && unacked != 0; i++)
        {
            await Task.Delay(100);
            unacked = await _server.Db(0).HashLengthAsync("unacked");
        }

        Assert.Equal(0, unacked);
        await vanished.DisposeAsync();
    }

    [Fact]
    public async Task A_celeriac_worker_restores_and_runs_a_task_whose_python_worker_was_killed()
    {
        const string Queue = "killed";
        await using var python = StartPythonWorker(Environment(Queue), Queue);
        Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
        await using var app = CreateApp(("visibility_timeout", "2"));
        var sent = await app.SendTaskAsync("interop.sleep", [30], options: new ApplyOptions { Queue = Queue });
        Assert.True(await python.WaitForOutputAsync("Task interop.sleep[" + sent.Id + "] received", ProcessTimeout), python.Output);

        await python.DisposeAsync(); // SIGKILL, mid-task: the message stays in unacked with the Python worker's score.
        Assert.Equal(1, await _server.Db(0).HashLengthAsync("unacked"));

        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Task<double>("interop.sleep", (double seconds, TaskContext context) =>
        {
            ran.TrySetResult(context.Request.Redelivered);
            return seconds;
        });
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = [Queue] });

        Assert.Equal(30, await sent.GetAsync<double>(TimeSpan.FromSeconds(60)));
        Assert.True(await ran.Task.WaitAsync(TimeSpan.FromSeconds(5)), "the restored message is flagged redelivered");
    }

    [Fact]
    public async Task Python_inspect_ping_reaches_a_celeriac_worker_through_the_pidbox_fanout_and_gets_its_reply()
    {
        await using var app = CreateApp();
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["pinged"], Hostname = "csharp@interop" });

        await using var inspect = PythonProcess.Start(Environment("pinged"), "-m", "celery", "-A", "interop_tasks", "inspect", "ping", "-t", "5", "-d", "csharp@interop");
        var exit = await inspect.WaitForExitAsync(ProcessTimeout);

        Assert.True(exit == 0, inspect.Output);
        Assert.Contains("csharp@interop: OK", inspect.Output, StringComparison.Ordinal);
        Assert.Contains("pong", inspect.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pythons_event_dumper_sees_a_celeriac_workers_heartbeats_and_task_events()
    {
        await using var app = CreateApp();
        app.Task<int>("interop.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["watched"], Hostname = "csharp@events", SendTaskEvents = true });
        var env = Environment("watched");
        env["PYTHONUNBUFFERED"] = "1";   // the dumper prints to a pipe, which Python would buffer
        await using var dump = PythonProcess.Start(env, "-m", "celery", "-A", "interop_tasks", "events", "--dump");

        // Heartbeats come every 2 s, so the first one after Python subscribed proves it is listening.
        Assert.True(await dump.WaitForOutputAsync("csharp@events", TimeSpan.FromSeconds(30)), dump.Output);
        var result = await app.SendTaskAsync("interop.add", [2, 3], options: new ApplyOptions { Queue = "watched" });
        Assert.Equal(5, await result.GetAsync<int>(TimeSpan.FromSeconds(30)));
        Assert.True(await dump.WaitForOutputAsync("task succeeded", TimeSpan.FromSeconds(30)), dump.Output);

        Assert.Contains("] heartbeat: active=", dump.Output, StringComparison.Ordinal);
        Assert.Contains($"task received: interop.add({result.Id}) args=(2, 3) kwargs={{}}", dump.Output, StringComparison.Ordinal);
        Assert.Matches(@"task succeeded: interop\.add\(" + result.Id + @"\) .*result=5", dump.Output);
    }

    [Fact]
    public async Task Pythons_inspect_reads_a_celeriac_workers_registered_stats_and_active_replies()
    {
        await using var app = CreateApp();
        app.Task<int>("interop.add", (int x, int y) => x + y);
        app.Task<int>("interop.mul", (int x, int y) => x * y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = ["inspected"], Hostname = "csharp@inspect" });

        foreach (var (command, expect) in new[] { ("registered", "* interop.add"), ("stats", "\"max-concurrency\": 2"), ("active", "csharp@inspect: OK") })
        {
            await using var inspect = PythonProcess.Start(Environment("inspected"), "-m", "celery", "-A", "interop_tasks", "inspect", command, "-t", "5", "-d", "csharp@inspect");
            var exit = await inspect.WaitForExitAsync(ProcessTimeout);
            Assert.True(exit == 0, command + ": " + inspect.Output);
            Assert.Contains(expect, inspect.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Tasks_prefetched_by_a_celeriac_worker_go_back_to_the_head_at_warm_shutdown_and_a_python_worker_runs_them()
    {
        const string Queue = "handover";
        await using var app = CreateApp();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        app.Task<double>("interop.sleep", async (double seconds, CancellationToken ct) =>
        {
            Interlocked.Increment(ref started);
            await gate.Task.WaitAsync(ct);
            return seconds;
        });
        var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, PrefetchMultiplier = 5, Queues = [Queue] });
        var sent = new List<AsyncResult>();
        for (var i = 0; i < 6; i++)
        {
            sent.Add(await app.SendTaskAsync("interop.sleep", [i / 100.0], options: new ApplyOptions { Queue = Queue }));
        }

        // One running (acked at start: early ack), five prefetched and held in unacked.
        var db = _server.Db(0);
        for (var i = 0; i < 200 && (Volatile.Read(ref started) < 1 || await db.HashLengthAsync("unacked") < 5); i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(5, await db.HashLengthAsync("unacked"));
        var stopping = worker.StopAsync();
        await Task.Delay(200);
        gate.SetResult();
        await stopping;
        await worker.DisposeAsync();

        Assert.Equal(5, await db.ListLengthAsync(Queue));
        Assert.Equal(0, await db.HashLengthAsync("unacked"));
        Assert.Equal(0.0, await sent[0].GetAsync<double>(TimeSpan.FromSeconds(10)));

        await using var python = StartPythonWorker(Environment(Queue), Queue);
        for (var i = 1; i < 6; i++)
        {
            Assert.Equal(i / 100.0, await sent[i].GetAsync<double>(TimeSpan.FromSeconds(60)));
        }

        Assert.Equal(1, Volatile.Read(ref started));
        Assert.Contains("Task interop.sleep[" + sent[1].Id + "] succeeded", python.Output, StringComparison.Ordinal);
    }

    private static PythonProcess StartPythonWorker(Dictionary<string, string> env, string queue) => PythonProcess.Start(
        env,
        "-m", "celery", "-A", "interop_tasks", "worker", "-P", "solo", "-c", "1", "-Q", queue,
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "py@%h", "--loglevel", "INFO");

    private CeleriacApp CreateApp(params (string Key, string Value)[] transportOptions) => new(
        new CeleriacOptions
        {
            BrokerUrl = _server.Url(0),
            ResultBackend = _server.Url(1),
            Broker = new BrokerOptions { TransportOptions = transportOptions.ToDictionary(o => o.Key, o => o.Value) },
        },
        new CeleriacServices().AddRedis());

    private Dictionary<string, string> Environment(string queue) => new()
    {
        ["CELERY_BROKER_URL"] = _server.Url(0),
        ["CELERY_RESULT_BACKEND"] = _server.Url(1),
        ["INTEROP_QUEUE"] = queue,
    };
}
