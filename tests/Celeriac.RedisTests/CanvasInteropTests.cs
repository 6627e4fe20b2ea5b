using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Celeriac.Canvas;
using Celeriac.Client;
using Celeriac.Redis;
using Celeriac.Worker;
using static Celeriac.Canvas.Workflow;

namespace Celeriac.RedisTests;

/// <summary>
/// Canvas across languages on one loopback redis-server: the shared harness's <c>py-client.py check --extra</c> against
/// the samples/Interop worker process; Python's chains, groups and chords on Celeriac workers (alone and mixed with a
/// Python worker), read by Python; Celeriac's canvas on a Python worker, read by Celeriac.
/// </summary>
public sealed class CanvasInteropTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly RedisServer _server;

    public CanvasInteropTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_shared_harness_check_extra_passes_against_the_interop_sample_worker()
    {
        const string Queue = "sample";
        var dll = Path.Combine(AppContext.BaseDirectory, "Interop.dll");
        await using var worker = PythonProcess.StartProgram("dotnet", AppContext.BaseDirectory, new Dictionary<string, string>(), dll, "worker", "-b", _server.Url(0), "--result-backend", _server.Url(1), "-Q", Queue, "-c", "4", "-l", "info");
        Assert.True(await worker.WaitForOutputAsync("ready.", ProcessTimeout), worker.Output);

        await using var check = PythonProcess.StartProgram(PythonProcess.Python, Path.Combine(PythonProcess.ScriptDirectory, "harness"), Environment(Queue), "py-client.py", "--queue", Queue, "check", "--extra");
        var exit = await ExitCodeAsync(check, worker);

        Assert.True(exit == 0, check.Output + "\n--- worker ---\n" + worker.Output);
        Assert.Contains("15 passed, 0 failed", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Python_chains_groups_and_chords_run_on_celeriac_workers_and_python_reads_the_results()
    {
        const string Queue = "canvas-cs";
        await using var app = CreateApp();
        var xsumRuns = RegisterTasks(app);
        var errors = new System.Collections.Concurrent.ConcurrentBag<(string Id, string Exception, string? Traceback, string Tag)>();
        // A new-style errback: the failing task's Celeriac worker calls it in-process with (request, exc, traceback).
        app.Task("interop.on_error", (Celeriac.Tasks.TaskRequest request, Protocol.ExceptionInfo exc, string? traceback, string tag) => errors.Add((request.Id, exc.ToString(), traceback, tag)));
        await using var worker1 = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 4, Queues = [Queue], Hostname = "cs1@canvas" });
        await using var worker2 = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 4, Queues = [Queue], Hostname = "cs2@canvas" });
        var saved = Assert.IsType<GroupResult>(await Group(Enumerable.Range(0, 3).Select(i => app.GetTask("interop.add").Signature(i, i).Set("queue", Queue))).ApplyAsync());
        await saved.GetAsync(Wait);
        await saved.SaveAsync();

        var env = Environment(Queue, chordSize: 200);
        env["CANVAS_CELERIAC_GROUP"] = saved.Id;
        await using var client = PythonProcess.Start(env, "canvas_client.py");
        var exit = await client.WaitForExitAsync(ProcessTimeout);

        Assert.True(exit == 0, client.Output);
        Assert.Contains("12 passed, 0 failed", client.Output, StringComparison.Ordinal);
        // chord_n, chord_in_chain, the chain of groups, the group of three chords, chord_unlock: each body ran once;
        // the failing chord's body never ran.
        Assert.Equal(7, xsumRuns.Value);
        await AssertNoChordKeyWithoutTtlAsync();

        var pythonGroup = await GroupResult.RestoreAsync(app, Line(client.Output, "SAVED_GROUP "));
        Assert.NotNull(pythonGroup);
        var restored = await pythonGroup.GetAsync<long[]>(Wait);
        Assert.Equal(new long[] { 10, 11, 12 }, restored);
        Assert.Equal(3, await pythonGroup.CompletedCountAsync());

        var failedId = Line(client.Output, "NEW_STYLE_FAILED ");
        var error = Assert.Single(errors);
        Assert.Equal(failedId, error.Id);
        Assert.Equal("ValueError('new-style')", error.Exception);
        Assert.Equal("tag", error.Tag);
        Assert.Contains("ValueError", error.Traceback, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chord_whose_header_runs_on_python_and_celeriac_workers_at_once_completes_once()
    {
        const string Queue = "canvas-mixed";
        await using var python = PythonProcess.Start(Environment(Queue), "-m", "celery", "-A", "interop_tasks", "worker", "-P", "threads", "-c", "2", "-Q", Queue, "--without-gossip", "--without-mingle", "-n", "py@%h", "--loglevel", "INFO");
        Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
        await using var app = CreateApp();
        var xsumRuns = RegisterTasks(app);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = [Queue], Hostname = "cs@mixed" });

        await using var client = PythonProcess.Start(Environment(Queue, chordSize: 100), "canvas_client.py");
        var exit = await ExitCodeAsync(client, python);

        Assert.True(exit == 0, client.Output + "\n--- python worker ---\n" + python.Output);
        Assert.Contains("12 passed, 0 failed", client.Output, StringComparison.Ordinal);
        var pythonBodies = CountOccurrences(python.Output, "Task interop.xsum[");
        Assert.True(python.Output.Contains("Task interop.add[", StringComparison.Ordinal), "the Python worker ran header tasks too");
        Assert.True(app.Options.Worker.Concurrency > 0 && worker.State.Processed > 0, "the Celeriac worker ran header tasks too");
        // Every chord body ran exactly once, on one worker or the other; Python logs 'received' and 'succeeded' per run.
        Assert.Equal(7, xsumRuns.Value + (pythonBodies / 2));
    }

    [Fact]
    public async Task Celeriac_chains_groups_chords_and_links_run_on_a_python_worker_and_celeriac_reads_the_results()
    {
        const string Queue = "canvas-py";
        await using var python = PythonProcess.Start(Environment(Queue), "-m", "celery", "-A", "interop_tasks", "worker", "-P", "solo", "-Q", Queue, "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "py@%h", "--loglevel", "INFO");
        Assert.True(await python.WaitForOutputAsync(" ready.", ProcessTimeout), python.Output);
        await using var app = CreateApp();
        var q = new JsonObject { ["queue"] = Queue };
        Signature Sig(string task, params object?[] args) => Signature.Create(task, args).WithOptions(q);

        var chain = await (Sig("interop.add", 2, 3) | Sig("interop.mul", 4) | Sig("interop.add", 1)).ApplyAsync(app);
        var group = await Group(Enumerable.Range(0, 5).Select(i => Sig("interop.add", i, i))).ApplyAsync(app);
        var chord = await Chord(Enumerable.Range(0, 10).Select(i => Sig("interop.add", i, i)), Sig("interop.xsum")).ApplyAsync(app);
        var linked = await Sig("interop.add", 2, 3).Link(Sig("interop.mul", 10)).ApplyAsync(app);
        // A one-argument errback: Python sends it with the failed id (wider ones it calls in-process, storing nothing).
        var errback = Sig("interop.identity").Freeze();
        var failed = await Sig("interop.fail", "cs-boom").LinkError(errback).ApplyAsync(app);
        var badChord = await Chord([Sig("interop.add", 1, 1), Sig("interop.fail", "header")], Sig("interop.xsum")).ApplyAsync(app);
        var mapped = await Map(Sig("interop.identity"), [1, "a"]).ApplyAsync(app, options: new ApplyOptions { Queue = Queue });
        var starmapped = await Starmap(Sig("interop.add"), [[1, 2], [3, 4]]).ApplyAsync(app, options: new ApplyOptions { Queue = Queue });
        var chunked = await Chunks(Sig("interop.add"), Enumerable.Range(0, 5).Select(i => new object?[] { i, i }), 2).ApplyAsync(app, options: new ApplyOptions { Queue = Queue });
        var nested = await Chain(Sig("interop.add", 1, 1), Group(Sig("interop.add", 1), Sig("interop.add", 2)), Sig("interop.xsum"), Group(Sig("interop.mul", 2), Sig("interop.mul", 3))).ApplyAsync(app);

        Assert.Equal(21, await chain.GetAsync<int>(Wait));
        var groupValues = await group.GetAsync<int[]>(Wait);
        Assert.Equal(new[] { 0, 2, 4, 6, 8 }, groupValues);
        Assert.IsType<GroupResult>(group);
        Assert.Equal(5, await ((GroupResult)group).CompletedCountAsync());
        Assert.Equal(90, await chord.GetAsync<int>(Wait));
        Assert.Equal(5, await linked.GetAsync<int>(Wait));
        var child = linked.Meta!.Children![0]![0]![0]!.GetValue<string>();
        Assert.Equal(50, await app.AsyncResult(child).GetAsync<int>(Wait));
        await Assert.ThrowsAsync<TaskFailedException>(async () => await failed.GetAsync(Wait));
        Assert.Equal(failed.Id, await app.AsyncResult(errback.Id!).GetAsync<string>(Wait));
        var chordError = await Assert.ThrowsAsync<TaskFailedException>(async () => await badChord.GetAsync(Wait));
        Assert.Equal("ChordError", chordError.ExcType);
        Assert.Contains("raised ValueError('header')", chordError.ExcMessage, StringComparison.Ordinal);
        Assert.Equal("[1,\"a\"]", (await mapped.GetAsync(Wait))!.ToJsonString());
        Assert.Equal("[3,7]", (await starmapped.GetAsync(Wait))!.ToJsonString());
        Assert.Equal("[[0,2],[4,6],[8]]", (await Assert.IsType<GroupResult>(chunked).GetAsync(Wait))!.ToJsonString());
        Assert.Equal("[14,21]", (await Assert.IsType<GroupResult>(nested).GetAsync(Wait))!.ToJsonString());
    }

    [Fact]
    public async Task A_chord_of_1000_header_tasks_on_four_celeriac_workers_completes_once_and_leaves_no_key_without_a_ttl()
    {
        const string Queue = "chord1000";
        await using var app = CreateApp();
        var xsumRuns = RegisterTasks(app);
        var workers = new List<WorkerHost>();
        for (var i = 0; i < 4; i++)
        {
            workers.Add(await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2, Queues = [Queue], Hostname = $"w{i}@chord" }));
        }

        try
        {
            var q = new JsonObject { ["queue"] = Queue };
            var header = Enumerable.Range(0, 1000).Select(i => app.GetTask("interop.add").Signature(i, 1).WithOptions(q));
            var result = await Chord(header, app.GetTask("interop.xsum").Signature().WithOptions(q)).ApplyAsync();

            Assert.Equal(Enumerable.Range(0, 1000).Sum(i => i + 1), await result.GetAsync<long>(TimeSpan.FromSeconds(120)));
            await Task.Delay(500); // a second body, if the join were wrong, would have been sent by now
            Assert.Equal(1, xsumRuns.Value);
            Assert.All(workers, w => Assert.True(w.State.Processed > 0, "every worker took part"));
            await AssertNoChordKeyWithoutTtlAsync();
        }
        finally
        {
            foreach (var w in workers)
            {
                await w.DisposeAsync();
            }
        }
    }

    /// <summary>The client's exit code; on timeout, the error also shows the workers' output and the server's log.</summary>
    private async Task<int> ExitCodeAsync(PythonProcess client, params PythonProcess[] workers)
    {
        try
        {
            return await client.WaitForExitAsync(ProcessTimeout);
        }
        catch (TimeoutException ex)
        {
            var others = string.Concat(workers.Select(w => "\n--- worker ---\n" + w.Output));
            throw new TimeoutException(ex.Message + others + "\n--- redis-server ---\n" + _server.Log, ex);
        }
    }

    private static StrongBox<int> RegisterTasks(CeleriacApp app)
    {
        var xsumRuns = new StrongBox<int>(0);
        app.Task<long>("interop.add", (long x, long y) => x + y);
        app.Task<long>("interop.mul", (long x, long y) => x * y);
        app.Task<long>("interop.xsum", (long[] numbers) =>
        {
            Interlocked.Increment(ref xsumRuns.Value);
            return numbers.Sum();
        });
        app.Task("interop.fail", new Func<string, int>(message => throw TaskFailedException.Python("ValueError", message)));
        app.Task("interop.identity", (JsonNode? value) => value?.DeepClone());
        return xsumRuns;
    }

    private async Task AssertNoChordKeyWithoutTtlAsync()
    {
        var server = _server.Admin.GetServer("127.0.0.1", _server.Port);
        foreach (var key in server.Keys(1, "celery-taskset-meta-*"))
        {
            Assert.True((await _server.Db(1).KeyTimeToLiveAsync(key)) is not null, $"{key} has no TTL");
        }
    }

    private static string Line(string output, string prefix)
    {
        var start = output.IndexOf(prefix, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no line starting with '{prefix}' in:\n{output}");
        var end = output.IndexOf('\n', start);
        return output[(start + prefix.Length)..(end < 0 ? output.Length : end)].Trim();
    }

    private static int CountOccurrences(string text, string value)
    {
        var n = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    private CeleriacApp CreateApp() => new(
        new CeleriacOptions { BrokerUrl = _server.Url(0), ResultBackend = _server.Url(1) },
        new CeleriacServices().AddRedis());

    private Dictionary<string, string> Environment(string queue, int chordSize = 10) => new()
    {
        ["CELERY_BROKER_URL"] = _server.Url(0),
        ["CELERY_RESULT_BACKEND"] = _server.Url(1),
        ["INTEROP_QUEUE"] = queue,
        ["CANVAS_CHORD_SIZE"] = chordSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
