using System.Collections.Concurrent;
using Celeriac.Cli;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Worker;

namespace Celeriac.IntegrationTests;

public sealed class SqliteWorkerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("celeriac-it-").FullName;

    private string Db => "sqlite:///" + Path.Combine(_dir, "broker.db");

    private static CeleriacApp CreateApp(CeleriacOptions options) => new(options, Transports.Register(new CeleriacServices()));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_thousand_tasks_on_four_slots_run_once_each_on_sqlite()
    {
        await using var app = CreateApp(new CeleriacOptions { BrokerUrl = Db, ResultBackend = Db });
        var seen = new ConcurrentDictionary<int, int>();
        var work = app.Task<int>("tasks.work", (int n) =>
        {
            seen.AddOrUpdate(n, 1, (_, c) => c + 1);
            return n + 1;
        });
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 4 });

        var sent = new List<AsyncResult<int>>();
        for (var i = 0; i < 1000; i++)
        {
            sent.Add(await work.DelayAsync(i));
        }

        foreach (var (r, i) in sent.Select((r, i) => (r, i)))
        {
            Assert.Equal(i + 1, await r.GetAsync(TimeSpan.FromSeconds(60)));
        }

        Assert.Equal(1000, seen.Count);
        Assert.All(seen.Values, c => Assert.Equal(1, c));
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync("celery"));
    }

    [Fact]
    public async Task A_late_ack_task_whose_worker_process_is_killed_runs_again_on_the_next_worker()
    {
        var env = new Dictionary<string, string>
        {
            ["CELERIAC_BROKER_URL"] = Db,
            ["CELERIAC_RESULT_BACKEND"] = Db,
            ["CELERIAC_TASK_ACKS_LATE"] = "true",
            ["CELERIAC_TASK_TRACK_STARTED"] = "true",
            ["CELERIAC_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT"] = "2",
        };
        await using var first = SampleProcess.Start("Proj", _dir, env, "worker", "-l", "info", "-c", "1");
        Assert.True(await first.WaitForOutputAsync("ready.", TimeSpan.FromSeconds(30)), first.Err);

        await using var app = CreateApp(new CeleriacOptions
        {
            BrokerUrl = Db,
            ResultBackend = Db,
            Task = new TaskOptions { AcksLate = true },
            Broker = new BrokerOptions { TransportOptions = new Dictionary<string, string> { ["visibility_timeout"] = "2" } },
        });
        var result = await app.SendTaskAsync("proj.tasks.sleep", [1.5]);
        for (var i = 0; i < 600 && await result.GetStateAsync() != TaskStates.Started; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(first.Id, result.Info?["pid"]?.GetValue<int>());
        first.Kill();

        // The killed worker never acked; after the visibility timeout the next worker gets it, flagged redelivered.
        app.Task<double>("proj.tasks.sleep", async (double seconds, CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            return seconds;
        });
        await using var second = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1 });
        Assert.Equal(1.5, await result.GetAsync<double>(TimeSpan.FromSeconds(60)));
    }
}
