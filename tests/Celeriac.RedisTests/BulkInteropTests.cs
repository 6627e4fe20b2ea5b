using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Celeriac.Client;
using Celeriac.Redis;
using Celeriac.Worker;

namespace Celeriac.RedisTests;

/// <summary>
/// The 10,000-task acceptance runs, both ways, on one loopback redis-server with real Python Celery 5.2.6: a Python
/// worker with default settings (prefork) drains a queue a Celeriac client fed, and a Celeriac worker drains a queue
/// Python's own client fed. Every task runs once (counted by the worker that ran it) and every result is read back.
/// </summary>
public sealed partial class BulkInteropTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const int Tasks = 10_000;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly RedisServer _server;

    public BulkInteropTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_python_prefork_worker_runs_10000_tasks_a_celeriac_client_sent_each_once_with_every_result_read()
    {
        const string Queue = "bulk-py";
        await using var app = CreateApp();
        var sent = new List<AsyncResult>(Tasks);
        for (var i = 0; i < Tasks; i += 500)
        {
            sent.AddRange(await Task.WhenAll(Enumerable.Range(i, 500).Select(n => app.SendTaskAsync("interop.add", [n, n], options: new ApplyOptions { Queue = Queue }))));
        }

        Assert.Equal(Tasks, await app.Transport.GetQueueLengthAsync(Queue));

        // Default settings: prefork pool, concurrency = CPU count; INFO logs one 'succeeded' line per run.
        await using var python = PythonProcess.Start(Environment(Queue), "-m", "celery", "-A", "interop_tasks", "worker", "-Q", Queue, "-n", "bulk@%h", "--loglevel", "INFO");
        for (var i = 0; i < Tasks; i += 500)
        {
            var values = await Task.WhenAll(sent.Skip(i).Take(500).Select(r => r.GetAsync<int>(Patience).AsTask()));
            for (var k = 0; k < values.Length; k++)
            {
                Assert.Equal(2 * (i + k), values[k]);
            }
        }

        // A pool process logs 'succeeded' after it stored the result: wait until every line is in (or a duplicate shows).
        var succeeded = new List<string>();
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(100))
        {
            succeeded = [.. SucceededLine().Matches(python.Output).Select(m => m.Groups[1].Value)];
            if (succeeded.Count >= Tasks)
            {
                break;
            }
        }

        Assert.Equal(Tasks, succeeded.Count);
        Assert.Equal(Tasks, succeeded.Distinct().Count());
        Assert.True(sent.Select(r => r.Id).ToHashSet().SetEquals(succeeded));
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public async Task A_celeriac_worker_runs_10000_tasks_pythons_client_sent_each_once_and_python_reads_every_result()
    {
        const string Queue = "bulk-cs";
        await using var app = CreateApp();
        var runs = new ConcurrentDictionary<int, int>();
        app.Task<int>("interop.add", (int x, int y) =>
        {
            runs.AddOrUpdate(x, 1, (_, n) => n + 1);
            return x + y;
        });
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 4, Queues = [Queue] });

        await using var client = PythonProcess.Start(Environment(Queue), "bulk_client.py", Tasks.ToString(System.Globalization.CultureInfo.InvariantCulture), "280");
        var exit = await client.WaitForExitAsync(Patience);

        Assert.True(exit == 0, client.Output);
        Assert.Contains($"{Tasks} passed, 0 failed", client.Output, StringComparison.Ordinal);
        Assert.Equal(Tasks, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Value));
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync(Queue));
    }

    [GeneratedRegex(@"Task interop\.add\[([0-9a-f-]{36})\] succeeded")]
    private static partial Regex SucceededLine();

    private CeleriacApp CreateApp() => new(new CeleriacOptions { BrokerUrl = _server.Url(0), ResultBackend = _server.Url(1) }, new CeleriacServices().AddRedis());

    private Dictionary<string, string> Environment(string queue) => new()
    {
        ["CELERY_BROKER_URL"] = _server.Url(0),
        ["CELERY_RESULT_BACKEND"] = _server.Url(1),
        ["INTEROP_QUEUE"] = queue,
    };
}
