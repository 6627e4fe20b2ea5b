using System.Globalization;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Celeriac.Dashboard.Api;
using Celeriac.Dashboard.History;

namespace Celeriac.Benchmarks;

/// <summary>
/// The dashboard's task list with 100,000 tasks in its history: what one page request costs on the server (the SQLite
/// count and page queries, and the JSON written), for the newest page, each filter, searches and a deep page.
/// The history is built once, from events like a worker's (received, started, succeeded or failed).
/// </summary>
[MemoryDiagnoser]
public class DashboardHistoryBenchmarks : IAsyncDisposable
{
    public const int Tasks = 100_000;

    // Built once and reused by every case (and by later runs): building 100,000 tasks from events takes minutes here.
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"celeriac-bench-history-v{HistorySql.SchemaVersion}-{Tasks}.db");
    private HistoryStore _store = null!;
    private string _someId = string.Empty;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _store = new HistoryStore(_path);
        await _store.OpenAsync();
        if (await _store.CountAsync() == Tasks)
        {
            _someId = (await _store.QueryAsync(new TaskQuery { Offset = Tasks / 2, Limit = 1 })).Items[0].Id;
            return;
        }

        await _store.PruneAsync(double.MaxValue, Tasks);
        var start = 1_780_000_000.0;
        var batch = new List<JsonObject>(3_000);
        for (var i = 0; i < Tasks; i++)
        {
            var id = Guid.NewGuid().ToString();
            if (i == Tasks / 2)
            {
                _someId = id;
            }

            var t = start + (i * 0.05);
            var worker = "celery@worker" + (i % 4);
            var name = "proj.tasks.task" + (i % 20);
            batch.Add(Event("task-received", id, t, worker, new JsonObject { ["name"] = name, ["args"] = $"({i}, 'user-{i}')", ["kwargs"] = "{'region': 'eu'}", ["retries"] = 0 }));
            batch.Add(Event("task-started", id, t + 0.001, worker, []));
            batch.Add(i % 12 == 0
                ? Event("task-failed", id, t + 0.02, worker, new JsonObject { ["exception"] = $"ValueError('bad input {i}')", ["traceback"] = "Traceback (most recent call last):\n  ...\nValueError: bad input" })
                : Event("task-succeeded", id, t + 0.02, worker, new JsonObject { ["result"] = (i * 2).ToString(CultureInfo.InvariantCulture), ["runtime"] = 0.019 }));
            if (batch.Count >= 3_000)
            {
                await _store.WriteEventsAsync(batch);
                batch.Clear();
            }
        }

        await _store.WriteEventsAsync(batch);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _store.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Description = "newest page")]
    public Task<int> NewestPage() => PageAsync(new TaskQuery { Limit = 25 });

    [Benchmark(Description = "state = FAILURE")]
    public Task<int> ByState() => PageAsync(new TaskQuery { Limit = 25, States = ["FAILURE"] });

    [Benchmark(Description = "name + worker")]
    public Task<int> ByNameAndWorker() => PageAsync(new TaskQuery { Limit = 25, Name = "proj.tasks.task7", Worker = "celery@worker3" });

    [Benchmark(Description = "last hour")]
    public Task<int> ByTime() => PageAsync(new TaskQuery { Limit = 25, SeenFrom = 1_780_000_000.0 + (Tasks * 0.05) - 3600 });

    [Benchmark(Description = "search args (1 match)")]
    public Task<int> SearchArgs() => PageAsync(new TaskQuery { Limit = 25, Search = "user-54321'" });

    [Benchmark(Description = "search (no match)")]
    public Task<int> SearchNothing() => PageAsync(new TaskQuery { Limit = 25, Search = "no-such-text" });

    [Benchmark(Description = "search by task id")]
    public Task<int> SearchId() => PageAsync(new TaskQuery { Limit = 25, Search = _someId });

    [Benchmark(Description = "page 2,000 of 4,000")]
    public Task<int> DeepPage() => PageAsync(new TaskQuery { Limit = 25, Offset = 50_000 });

    [Benchmark(Description = "sort by runtime")]
    public Task<int> SortByRuntime() => PageAsync(new TaskQuery { Limit = 25, Sort = TaskSort.Runtime });

    // What the list endpoint does: the queries, then the page as JSON text.
    private async Task<int> PageAsync(TaskQuery query)
    {
        var page = await _store.QueryAsync(query);
        var json = new JsonObject
        {
            ["total"] = page.Total,
            ["items"] = new JsonArray([.. page.Items.Select(t => (JsonNode)DashboardJson.TaskRow(t))]),
        };
        return json.ToJsonString().Length;
    }

    private static JsonObject Event(string type, string id, double timestamp, string hostname, JsonObject fields)
    {
        var e = new JsonObject { ["hostname"] = hostname, ["utcoffset"] = 0, ["pid"] = 1234, ["clock"] = 1, ["uuid"] = id };
        foreach (var (k, v) in fields)
        {
            e[k] = v?.DeepClone();
        }

        e["timestamp"] = timestamp;
        e["type"] = type;
        return e;
    }
}
