using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Tests;

public sealed class RemoteControlTests
{
    [Fact]
    public async Task Inspect_answers_in_celerys_shapes()
    {
        await using var app = TestApp.Create();
        var gate = new TaskCompletionSource();
        var slow = app.Task<int>("tasks.slow", async () =>
        {
            await gate.Task;
            return 1;
        });
        app.Task("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(concurrency: 2);
        var running = await slow.DelayAsync();
        var later = await slow.ApplyAsync(options: new ApplyOptions { Countdown = TimeSpan.FromHours(1) });
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(running.Id) && worker.State.ScheduledIds.Contains(later.Id), "one running, one scheduled");

        var node = worker.Hostname;
        var registered = (await app.Control.InspectAsync("registered", destination: [node], timeout: TestApp.Timeout))[node]!.AsArray();
        Assert.Equal(["tasks.add", "tasks.slow"], registered.Select(n => n!.GetValue<string>()));

        var active = (await app.Control.InspectAsync("active", destination: [node], timeout: TestApp.Timeout))[node]!.AsArray().Single()!.AsObject();
        Assert.Equal(["id", "name", "args", "kwargs", "type", "hostname", "time_start", "acknowledged", "delivery_info", "worker_pid"], active.Select(p => p.Key));
        Assert.Equal((running.Id, true, Environment.ProcessId), (active["id"]!.GetValue<string>(), active["acknowledged"]!.GetValue<bool>(), active["worker_pid"]!.GetValue<int>()));

        var scheduled = (await app.Control.InspectAsync("scheduled", destination: [node], timeout: TestApp.Timeout))[node]!.AsArray().Single()!.AsObject();
        Assert.Equal(later.Id, scheduled["request"]!["id"]!.GetValue<string>());
        Assert.True(WireTime.TryParse(scheduled["eta"]!.GetValue<string>(), out _));

        var query = (await app.Control.InspectAsync("query_task", new JsonObject { ["ids"] = new JsonArray(running.Id, later.Id, "nope") }, [node], TestApp.Timeout))[node]!.AsObject();
        Assert.Equal("active", query[running.Id]![0]!.GetValue<string>());
        Assert.Equal("scheduled", query[later.Id]![0]!.GetValue<string>());
        Assert.False(query.ContainsKey("nope"));

        var stats = (await app.Control.InspectAsync("stats", destination: [node], timeout: TestApp.Timeout))[node]!.AsObject();
        Assert.Equal(2, stats["pool"]!["max-concurrency"]!.GetValue<int>());
        Assert.Equal((2 * 4) + 1, stats["prefetch_count"]!.GetValue<int>());
        Assert.Equal("memory", stats["broker"]!["transport"]!.GetValue<string>());
        Assert.IsType<string>(stats["clock"]!.GetValue<string>());

        Assert.True((await app.Control.InspectAsync("clock", destination: [node], timeout: TestApp.Timeout))[node]!["clock"]!.GetValue<long>() > 0);
        Assert.Equal("memory://", ((await app.Control.InspectAsync("conf", destination: [node], timeout: TestApp.Timeout))[node]!["broker_url"]!.GetValue<string>())[..9]);
        gate.SetResult();
    }

    [Fact]
    public async Task A_revoke_from_another_app_reaches_the_worker_and_terminate_cancels_a_running_task()
    {
        await using var app = TestApp.Create();
        var started = new TaskCompletionSource();
        var slow = app.Task<int>("tasks.slow", async (CancellationToken ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return 1;
        });
        await using var worker = await app.StartWorkerAsync(concurrency: 1);
        await using var client = new CeleriacApp(app.Options);   // another app: shares only the broker

        var running = await client.SendTaskAsync("tasks.slow");
        await started.Task.WaitAsync(TestApp.Timeout);
        var waiting = await client.SendTaskAsync("tasks.slow", options: new ApplyOptions { Countdown = TimeSpan.FromHours(1) });
        await TestApp.WaitUntilAsync(() => worker.State.ScheduledIds.Contains(waiting.Id), "the ETA task to be held");

        await waiting.RevokeAsync();
        await running.RevokeAsync(terminate: true);

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await running.GetAsync(TestApp.Timeout));
        Assert.Equal("terminated", error.ExcMessage);
        await TestApp.WaitUntilAsync(() => app.Revocations.Contains(waiting.Id), "the revoke to arrive");
        var revoked = (await client.Control.InspectAsync("revoked", destination: [worker.Hostname], timeout: TestApp.Timeout))[worker.Hostname]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Contains(waiting.Id, revoked);
    }

    [Fact]
    public async Task Control_commands_change_the_worker_at_runtime()
    {
        await using var app = TestApp.Create();
        app.Task("tasks.add", (int x, int y) => x + y);
        var worker = await app.StartWorkerAsync(concurrency: 2);
        var node = worker.Hostname;

        Assert.Equal("task events enabled", (await app.Control.InspectAsync("enable_events", destination: [node], timeout: TestApp.Timeout))[node]!["ok"]!.GetValue<string>());
        Assert.Equal("task events already enabled", (await app.Control.InspectAsync("enable_events", destination: [node], timeout: TestApp.Timeout))[node]!["ok"]!.GetValue<string>());
        Assert.Equal("task events disabled", (await app.Control.InspectAsync("disable_events", destination: [node], timeout: TestApp.Timeout))[node]!["ok"]!.GetValue<string>());

        Assert.Equal("pool will grow", (await app.Control.InspectAsync("pool_grow", new JsonObject { ["n"] = 2 }, [node], TestApp.Timeout))[node]!["ok"]!.GetValue<string>());
        Assert.Equal((4, 16), (worker.Concurrency, worker.PrefetchCount));
        Assert.Equal("pool will shrink", (await app.Control.InspectAsync("pool_shrink", new JsonObject { ["n"] = 1 }, [node], TestApp.Timeout))[node]!["ok"]!.GetValue<string>());
        Assert.Equal((3, 12), (worker.Concurrency, worker.PrefetchCount));

        Assert.Equal("time limits set successfully", (await app.Control.InspectAsync("time_limit", new JsonObject { ["task_name"] = "tasks.add", ["soft"] = 10, ["hard"] = 20 }, [node], TestApp.Timeout))[node]!["ok"]!.GetValue<string>());
        Assert.Equal("unknown task", (await app.Control.InspectAsync("time_limit", new JsonObject { ["task_name"] = "nope" }, [node], TestApp.Timeout))[node]!["error"]!.GetValue<string>());

        await app.Control.CastAsync("shutdown", destination: [node]);
        await worker.Completion.WaitAsync(TestApp.Timeout);
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task Revoked_ids_survive_a_worker_restart_with_its_state_file()
    {
        var stateFile = Path.Combine(Path.GetTempPath(), "celeriac-state-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var name = "memory://sdb" + Guid.NewGuid().ToString("N");
            var options = new CeleriacOptions
            {
                BrokerUrl = name,
                ResultBackend = name,
                Worker = new WorkerOptions { Concurrency = 1, StateDb = stateFile, ShutdownTimeout = TimeSpan.FromSeconds(5) },
            };
            var id = Guid.NewGuid().ToString();
            await using (var first = new CeleriacApp(options))
            {
                first.Task("tasks.add", (int x, int y) => x + y);
                await using var worker = await first.StartWorkerAsync();
                var reply = await first.Control.InspectAsync("revoke", new JsonObject { ["task_id"] = new JsonArray(id) }, [worker.Hostname], TestApp.Timeout);
                Assert.Equal($"tasks {id} flagged as revoked", reply[worker.Hostname]!["ok"]!.GetValue<string>());
            }

            Assert.Contains(id, await File.ReadAllTextAsync(stateFile));

            // A new process: nothing in memory but the file.
            await using var second = new CeleriacApp(options);
            var runs = 0;
            second.Task("tasks.add", (int x, int y) => Interlocked.Increment(ref runs));
            await using var restarted = await second.StartWorkerAsync();
            var result = await second.SendTaskAsync("tasks.add", [1, 2], options: new ApplyOptions { TaskId = id });
            var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
            Assert.Equal(("REVOKED", "revoked", 0), (error.State, error.ExcMessage, runs));
        }
        finally
        {
            File.Delete(stateFile);
        }
    }
}
