using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Celeriac.Cli;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Redis;
using Celeriac.Tasks;
using Celeriac.Worker;

namespace Celeriac.RedisTests;

/// <summary>
/// Worker operations across the two implementations on one loopback redis-server: Python Celery 5.2.6's own tools
/// (<c>celery status</c>, <c>celery control terminate</c>, <c>app.control.revoke</c>, <c>app.events.Receiver</c> with
/// <c>State</c>, mingle) against a Celeriac worker, and Celeriac's CLI (<c>inspect</c>, <c>status</c>, <c>events</c>),
/// run in-process, against a real Python worker, its output compared with what Python's CLI prints for the same worker.
/// </summary>
public sealed partial class PythonOperationsInteropTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(90);
    private readonly RedisServer _server;

    public PythonOperationsInteropTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Pythons_celery_status_lists_a_celeriac_worker_exactly_as_celeriacs_status_does()
    {
        await using var app = CreateApp();
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["status"], Hostname = "csharp@status" });

        await using var status = PythonProcess.Start(Environment("status"), "-m", "celery", "-A", "interop_tasks", "status", "-t", "10", "-d", "csharp@status");
        Assert.True(await status.WaitForExitAsync(ProcessTimeout) == 0, status.Output);
        var ours = await CeleriacCliAsync("status", "-t", "10", "-d", "csharp@status");

        Assert.Equal("->  csharp@status: OK\n\n1 node online.\n", Lf(status.Output));
        Assert.Equal((0, Lf(status.Output)), (ours.Exit, Lf(ours.Out)));
    }

    [Fact]
    public async Task Pythons_control_terminate_and_app_control_revoke_end_running_celeriac_tasks_revoked_with_nothing_run_after()
    {
        await using var app = CreateApp();
        var started = new ConcurrentDictionary<string, TaskCompletionSource>();
        var after = 0;
        app.Task<double>("interop.sleep", async (double seconds, TaskContext context) =>
        {
            started.GetOrAdd(context.Request.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(seconds), context.CancellationToken);
            Interlocked.Increment(ref after);
            return seconds;
        });
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = ["terminate"], Hostname = "csharp@terminate" });
        var byCli = await app.SendTaskAsync("interop.sleep", [300], options: new ApplyOptions { Queue = "terminate" });
        var byApi = await app.SendTaskAsync("interop.sleep", [300], options: new ApplyOptions { Queue = "terminate" });
        foreach (var id in new[] { byCli.Id, byApi.Id })
        {
            await started.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(ProcessTimeout);
        }

        // Celery 5.2's CLI has no `revoke --terminate` (click: "No such option"); its way is `terminate <signal> <id>`.
        await using var terminate = PythonProcess.Start(Environment("terminate"), "-m", "celery", "-A", "interop_tasks", "control", "terminate", "SIGTERM", byCli.Id, "-t", "10", "-d", "csharp@terminate");
        Assert.True(await terminate.WaitForExitAsync(ProcessTimeout) == 0, terminate.Output);
        Assert.Equal($"->  csharp@terminate: OK\n        terminate: {byCli.Id}\n", Lf(terminate.Output));

        await using var revoke = PythonProcess.Start(Environment("terminate"), "ops.py", "revoke", byApi.Id, "--terminate");
        Assert.True(await revoke.WaitForExitAsync(ProcessTimeout) == 0, revoke.Output);

        foreach (var result in new[] { byCli, byApi })
        {
            var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal((TaskStates.Revoked, "TaskRevokedError", "terminated"), (error.State, error.ExcType, error.ExcMessage));
        }

        Assert.Equal(0, Volatile.Read(ref after));
        await using var revoked = PythonProcess.Start(Environment("terminate"), "-m", "celery", "-A", "interop_tasks", "inspect", "revoked", "-t", "10", "-d", "csharp@terminate");
        Assert.True(await revoked.WaitForExitAsync(ProcessTimeout) == 0, revoked.Output);
        Assert.Contains("    * " + byCli.Id + "\n", Lf(revoked.Output), StringComparison.Ordinal);
        Assert.Contains("    * " + byApi.Id + "\n", Lf(revoked.Output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoke_broadcast_by_pythons_app_control_stops_a_task_a_celeriac_worker_has_not_received_yet()
    {
        await using var app = CreateApp();
        var runs = 0;
        app.Task<int>("interop.add", (int x, int y) => Interlocked.Increment(ref runs));
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["revoke"], Hostname = "csharp@revoke" });
        var id = Guid.NewGuid().ToString();

        await using var revoke = PythonProcess.Start(Environment("revoke"), "ops.py", "revoke", id);
        Assert.True(await revoke.WaitForExitAsync(ProcessTimeout) == 0, revoke.Output);
        for (var i = 0; i < 600 && !app.Revocations.Contains(id); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(app.Revocations.Contains(id), "the worker heard Python's revoke broadcast");
        var result = await app.SendTaskAsync("interop.add", [2, 3], options: new ApplyOptions { Queue = "revoke", TaskId = id });
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((TaskStates.Revoked, "revoked", 0), (error.State, error.ExcMessage, Volatile.Read(ref runs)));
    }

    [Fact]
    public async Task Pythons_event_receiver_and_state_follow_a_celeriac_workers_task_multi_batches()
    {
        await using var app = CreateApp();
        app.Task<int>("interop.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["state"], Hostname = "csharp@state", SendTaskEvents = true });

        await using var follow = PythonProcess.Start(Environment("state"), "ops.py", "state", "state", "60");
        Assert.True(await follow.WaitForExitAsync(ProcessTimeout) == 0, follow.Output);

        var seen = JsonNode.Parse(Lf(follow.Output).Trim().Split('\n')[^1])!.AsObject();
        Assert.True(seen["state"]?.GetValue<string>() == "SUCCESS", follow.Output);
        Assert.Equal(("interop.add", "(2, 3)", "{}", "5"), (Str(seen, "name"), Str(seen, "args"), Str(seen, "kwargs"), Str(seen, "result")));
        Assert.True(seen["runtime"]!.GetValue<double>() >= 0);
        Assert.All(new[] { "received", "started", "succeeded" }, k => Assert.True(seen[k]!.GetValue<double>() > 0, k));
        Assert.Equal(("csharp@state", true), (Str(seen, "worker"), seen["worker_alive"]!.GetValue<bool>()));
        Assert.Equal("celeriac", seen["worker_sw"]![0]!.GetValue<string>());
        Assert.True(seen["batches"]!.GetValue<int>() >= 1, "task events arrive as task.multi lists: " + follow.Output);
        Assert.True(seen["singles"]!.GetValue<int>() >= 1, "worker events arrive one by one: " + follow.Output);
    }

    [Fact]
    public async Task Workers_starting_on_either_side_learn_the_others_revoked_ids_by_mingle()
    {
        // A Python worker knows a revoked id; a Celeriac worker that starts later learns it before it consumes.
        var fromPython = Guid.NewGuid().ToString();
        await using (var python = StartPythonWorker(Environment("mingle-py"), "mingle-py", "pymingle@interop", "--without-mingle"))
        {
            Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
            await using var revoke = PythonProcess.Start(Environment("mingle-py"), "ops.py", "revoke", fromPython);
            Assert.True(await revoke.WaitForExitAsync(ProcessTimeout) == 0, revoke.Output);
            Assert.True(await python.WaitForOutputAsync("Tasks flagged as revoked: " + fromPython, ProcessTimeout), python.Output);

            await using var app = CreateApp();
            var runs = 0;
            app.Task<int>("interop.add", (int x, int y) => Interlocked.Increment(ref runs));

            // Mingle waits one second for replies, as Celery's: make sure the Python worker answers promptly first.
            Assert.Equal(["pymingle@interop"], await app.Control.PingAsync(["pymingle@interop"], TimeSpan.FromSeconds(30)));
            await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = ["mingle-cs"], Hostname = "csharp@mingle" });

            Assert.True(app.Revocations.Contains(fromPython));
            var result = await app.SendTaskAsync("interop.add", [2, 3], options: new ApplyOptions { Queue = "mingle-cs", TaskId = fromPython });
            var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal((TaskStates.Revoked, 0), (error.State, Volatile.Read(ref runs)));
        }

        // The other way: with no Python worker up, a Celeriac worker learns a revoke; a Python worker starting later asks it.
        await using var csharpApp = CreateApp();
        await using var csharp = await csharpApp.StartWorkerAsync(csharpApp.Options.Worker with { Concurrency = 1, Queues = ["mingle-cs"], Hostname = "csharp@mingle" });
        var fromCeleriac = Guid.NewGuid().ToString();
        await csharpApp.RevokeAsync(fromCeleriac);
        for (var i = 0; i < 200 && !(await csharpApp.Control.InspectAsync("revoked", destination: ["csharp@mingle"], timeout: ProcessTimeout))["csharp@mingle"]!.AsArray().Any(n => n!.GetValue<string>() == fromCeleriac); i++)
        {
            await Task.Delay(50);
        }

        await using var late = StartPythonWorker(Environment("mingle-py"), "mingle-py", "pymingle@interop");
        Assert.True(await late.WaitForOutputAsync(" ready.", ProcessTimeout), late.Output);
        Assert.Contains("mingle: sync with 1 nodes", late.Output, StringComparison.Ordinal);
        var sent = await csharpApp.SendTaskAsync("interop.add", [2, 3], options: new ApplyOptions { Queue = "mingle-py", TaskId = fromCeleriac });
        var revokedThere = await Assert.ThrowsAsync<TaskFailedException>(async () => await sent.GetAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(TaskStates.Revoked, revokedThere.State);
        Assert.True(await late.WaitForOutputAsync("Discarding revoked task: interop.add[" + fromCeleriac + "]", ProcessTimeout), late.Output);
    }

    [Fact]
    public async Task Celeriacs_inspect_control_and_status_print_a_python_workers_replies_as_pythons_own_cli_does()
    {
        const string Node = "pyinspect@interop";
        await using var python = PythonProcess.Start(
            Environment("inspect"),
            "-m", "celery", "-A", "interop_tasks", "worker", "-P", "threads", "-c", "2", "-Q", "inspect",
            "--without-gossip", "--without-mingle", "-n", Node, "--loglevel", "INFO");
        Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
        await using var app = CreateApp();
        var running = await app.SendTaskAsync("interop.sleep", [120], options: new ApplyOptions { Queue = "inspect" });
        Assert.True(await python.WaitForOutputAsync($"Task interop.sleep[{running.Id}] received", ProcessTimeout), python.Output);

        // A reply that does not change between two asks prints the same, byte for byte; `stats` moves (uptime, rusage,
        // clock), so its numbers are masked.
        foreach (var (verb, command) in new[] { ("inspect", "ping"), ("inspect", "registered"), ("inspect", "active"), ("inspect", "active_queues"), ("inspect", "scheduled"), ("inspect", "query_task"), ("control", "heartbeat"), ("inspect", "stats") })
        {
            string[] args = command == "query_task" ? [verb, command, running.Id] : [verb, command];
            var ours = await CeleriacCliAsync([.. args, "-t", "10", "-d", Node]);
            await using var theirs = PythonProcess.Start(Environment("inspect"), ["-m", "celery", "-A", "interop_tasks", .. args, "-t", "10", "-d", Node]);
            Assert.True(await theirs.WaitForExitAsync(ProcessTimeout) == 0, theirs.Output);
            Assert.True(ours.Exit == 0, ours.Err);
            if (command == "stats")
            {
                Assert.Equal(MaskNumbers(Lf(theirs.Output)), MaskNumbers(Lf(ours.Out)));
            }
            else
            {
                Assert.Equal(Lf(theirs.Output), Lf(ours.Out));
            }

            Assert.Contains($"->  {Node}: OK\n", Lf(ours.Out), StringComparison.Ordinal);
        }

        var active = await CeleriacCliAsync("inspect", "active", "-t", "10", "-d", Node);
        Assert.Contains($"    * {{'id': '{running.Id}', 'name': 'interop.sleep', 'args': [120],", Lf(active.Out), StringComparison.Ordinal);
        var status = await CeleriacCliAsync("status", "-t", "10", "-d", Node);
        Assert.Equal($"->  {Node}: OK\n\n1 node online.\n", Lf(status.Out));
    }

    [Fact]
    public async Task Celeriacs_events_command_prints_a_python_workers_events_as_pythons_dumper_does()
    {
        const string Node = "pyevents@interop";
        await using var python = PythonProcess.Start(
            Environment("events"),
            "-m", "celery", "-A", "interop_tasks", "worker", "-P", "solo", "-c", "1", "-Q", "events", "-E",
            "--without-gossip", "--without-mingle", "-n", Node, "--loglevel", "INFO");
        Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
        await using var dumper = PythonProcess.Start(Environment("events"), "-m", "celery", "-A", "interop_tasks", "events", "--dump");
        using var stop = new CancellationTokenSource();
        var readable = new LineWriter();
        var json = new LineWriter();
        var ourEvents = CeleriacCliAsync(readable, stop.Token, "events");
        var ourDump = CeleriacCliAsync(json, stop.Token, "events", "--dump");
        try
        {
            // A heartbeat seen by all three proves each is subscribed (they come every 2 s).
            Assert.True(await readable.WaitForAsync(t => t.Contains(Node + " [", StringComparison.Ordinal), ProcessTimeout), readable.Text);
            Assert.True(await json.WaitForAsync(t => t.Contains(Node, StringComparison.Ordinal), ProcessTimeout), json.Text);
            Assert.True(await dumper.WaitForOutputAsync(Node + " [", ProcessTimeout), dumper.Output);

            await using var app = CreateApp();
            var result = await app.SendTaskAsync("interop.add", [2, 3], options: new ApplyOptions { Queue = "events" });
            Assert.Equal(5, await result.GetAsync<int>(TimeSpan.FromSeconds(30)));
            var succeeded = $"task succeeded: interop.add({result.Id})";
            Assert.True(await readable.WaitForAsync(t => t.Contains(succeeded, StringComparison.Ordinal), ProcessTimeout), readable.Text);
            Assert.True(await dumper.WaitForOutputAsync(succeeded, ProcessTimeout), dumper.Output);
            Assert.True(await json.WaitForAsync(t => t.Contains("\"task-succeeded\"", StringComparison.Ordinal), ProcessTimeout), json.Text);

            // The same three task lines and the same heartbeats, but for when each receiver received them.
            var theirs = Lf(dumper.Output).Split('\n');
            var ours = Lf(readable.Text).Split('\n');
            Assert.Equal("-> evdump: starting capture...", ours[0]);
            var taskLines = (string[] lines) => lines.Where(l => l.Contains(result.Id, StringComparison.Ordinal)).Select(MaskReceived).ToList();
            Assert.Equal(3, taskLines(theirs).Count);
            Assert.Equal(taskLines(theirs), taskLines(ours));
            // Both are subscribed now, so the next heartbeat (every 2 s) reaches both.
            var beats = (string text) => Lf(text).Split('\n').Where(l => l.Contains("] heartbeat: active=", StringComparison.Ordinal)).Select(MaskReceived).ToHashSet();
            Assert.True(await readable.WaitForAsync(t => beats(t).Overlaps(beats(dumper.Output)), ProcessTimeout), readable.Text + "\n---\n" + dumper.Output);

            var dumped = Lf(json.Text).Trim().Split('\n').Select(l => JsonNode.Parse(l)!.AsObject()).Where(e => Str(e, "uuid") == result.Id).ToList();
            Assert.Equal(["task-received", "task-started", "task-succeeded"], dumped.Select(e => Str(e, "type")));
            Assert.All(dumped, e => Assert.Equal(Node, Str(e, "hostname")));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(ourEvents, ourDump);
        }
    }

    private static string Str(JsonObject o, string key) => o[key]?.GetValue<string>() ?? "<null>";

    private static string Lf(string text) => text.Replace("\r", string.Empty, StringComparison.Ordinal);

    private static string MaskNumbers(string text) => Numbers().Replace(text, "N");

    private static string MaskReceived(string line) => Received().Replace(line, "local_received=?");

    [GeneratedRegex(@"-?\d+(\.\d+)?(e[+-]?\d+)?")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"local_received=[0-9.e+-]+")]
    private static partial Regex Received();

    private static PythonProcess StartPythonWorker(Dictionary<string, string> env, string queue, string node, params string[] extra) => PythonProcess.Start(
        env,
        ["-m", "celery", "-A", "interop_tasks", "worker", "-P", "solo", "-c", "1", "-Q", queue, "--without-gossip", "--without-heartbeat", "-n", node, "--loglevel", "INFO", .. extra]);

    private async Task<(int Exit, string Out, string Err)> CeleriacCliAsync(params string[] args)
    {
        var output = new LineWriter();
        var result = await CeleriacCliAsync(output, CancellationToken.None, args);
        return (result.Exit, output.Text, result.Err);
    }

    private async Task<(int Exit, string Err)> CeleriacCliAsync(TextWriter output, CancellationToken cancellationToken, params string[] args)
    {
        using var error = new StringWriter();
        var exit = await CeleriacCli.RunAsync(["-b", _server.Url(0), "--result-backend", _server.Url(1), .. args], null, null, output, error, cancellationToken);
        return (exit, error.ToString());
    }

    private CeleriacApp CreateApp() => new(
        new CeleriacOptions { BrokerUrl = _server.Url(0), ResultBackend = _server.Url(1) },
        new CeleriacServices().AddRedis());

    private Dictionary<string, string> Environment(string queue) => new()
    {
        ["CELERY_BROKER_URL"] = _server.Url(0),
        ["CELERY_RESULT_BACKEND"] = _server.Url(1),
        ["INTEROP_QUEUE"] = queue,
    };
}
