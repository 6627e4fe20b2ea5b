using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Celeriac.Cli;
using Celeriac.Client;

namespace Celeriac.E2E;

/// <summary>One side of the comparison: how it publishes N no-op tasks, starts a worker, and times round trips.</summary>
internal interface IContender : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Publishes <paramref name="n"/> tasks to the bench queue with no worker running; returns the seconds taken.</summary>
    Task<double> PublishAsync(int n);

    ChildProcess StartWorker();

    /// <summary><paramref name="m"/> round trips, one task at a time, send to result read, in milliseconds.</summary>
    Task<List<double>> RoundTripsAsync(int m);
}

/// <summary>Celeriac: the client in this process (batched publishes), the worker as its own process (this program's <c>worker</c> command).</summary>
internal sealed class CeleriacContender : IContender
{
    private readonly CeleriacApp _app;
    private readonly CeleriacTask<int> _noop;
    private readonly string _broker;
    private readonly string _backend;
    private readonly int _concurrency;

    public CeleriacContender(string broker, string backend, int concurrency)
    {
        _broker = broker;
        _backend = backend;
        _concurrency = concurrency;
        _app = new CeleriacApp(
            new CeleriacOptions { BrokerUrl = broker, ResultBackend = backend, Task = new TaskOptions { DefaultQueue = BenchQueue.Name } },
            Transports.Register(new CeleriacServices()));
        _noop = _app.Task<int>(BenchQueue.Task, (int i) => i);
    }

    public string Name => string.Create(CultureInfo.InvariantCulture, $"celeriac -c {_concurrency}");

    public async Task<double> PublishAsync(int n)
    {
        var sw = Stopwatch.StartNew();
        var batch = new List<Task>(BenchQueue.PublishBatch);
        for (var i = 0; i < n; i++)
        {
            batch.Add(_noop.DelayAsync(i));
            if (batch.Count == BenchQueue.PublishBatch)
            {
                await Task.WhenAll(batch);
                batch.Clear();
            }
        }

        await Task.WhenAll(batch);
        return sw.Elapsed.TotalSeconds;
    }

    public ChildProcess StartWorker()
    {
        var self = typeof(CeleriacContender).Assembly.Location;
        var host = Environment.ProcessPath!;
        var args = new List<string>();
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            args.Add(self);
        }

        args.AddRange(["worker", "-b", _broker, "--result-backend", _backend, "-Q", BenchQueue.Name, "-c", _concurrency.ToString(CultureInfo.InvariantCulture), "-l", "warning"]);
        return ChildProcess.Start(host, args, new Dictionary<string, string>());
    }

    public async Task<List<double>> RoundTripsAsync(int m)
    {
        await (await _noop.DelayAsync(-1)).GetAsync(TimeSpan.FromSeconds(30));
        var samples = new List<double>(m);
        for (var i = 0; i < m; i++)
        {
            var sw = Stopwatch.StartNew();
            await (await _noop.DelayAsync(i)).GetAsync(TimeSpan.FromSeconds(30));
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }

        return samples;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>Python Celery 5.2 (/usr/bin/python3): its own client publishes and times round trips; its worker with a given pool.</summary>
internal sealed class PythonContender(string broker, string backend, string name, string[] poolArgs) : IContender
{
    public const string Python = "/usr/bin/python3";

    private static readonly string ScriptDirectory = Path.Combine(AppContext.BaseDirectory, "python");

    public string Name => name;

    private Dictionary<string, string> Env => new()
    {
        ["CELERY_BROKER_URL"] = broker,
        ["CELERY_RESULT_BACKEND"] = backend,
        ["BENCH_QUEUE"] = BenchQueue.Name,
        ["PYTHONPATH"] = ScriptDirectory,
        ["PYTHONUNBUFFERED"] = "1",
    };

    public async Task<double> PublishAsync(int n)
    {
        var output = await ChildProcess.RunAsync(Python, [Path.Combine(ScriptDirectory, "celery_bench.py"), "publish", n.ToString(CultureInfo.InvariantCulture)], Env, TimeSpan.FromMinutes(10));
        using var doc = JsonDocument.Parse(LastJsonLine(output));
        return doc.RootElement.GetProperty("seconds").GetDouble();
    }

    public ChildProcess StartWorker() =>
        ChildProcess.Start(Python, ["-m", "celery", "-A", "celery_bench", "worker", "-Q", BenchQueue.Name, "-l", "WARNING", "-n", "bench@%h", .. poolArgs], Env, ScriptDirectory);

    public async Task<List<double>> RoundTripsAsync(int m)
    {
        var output = await ChildProcess.RunAsync(Python, [Path.Combine(ScriptDirectory, "celery_bench.py"), "rtt", m.ToString(CultureInfo.InvariantCulture)], Env, TimeSpan.FromMinutes(10));
        using var doc = JsonDocument.Parse(LastJsonLine(output));
        return [.. doc.RootElement.GetProperty("rtt_ms").EnumerateArray().Select(e => e.GetDouble())];
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string LastJsonLine(string output) =>
        output.Split('\n', StringSplitOptions.TrimEntries).Last(l => l.StartsWith('{'));
}

internal static class BenchQueue
{
    public const string Name = "bench";
    public const string Task = "bench.noop";
    public const int PublishBatch = 1000;
}
