using System.Collections.Concurrent;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Tasks;

namespace Celeriac.Tests;

public sealed class WorkerBehaviourTests
{
    [Fact]
    public async Task A_thousand_tasks_on_four_slots_run_once_each_and_none_is_lost()
    {
        await using var app = TestApp.Create();
        var seen = new ConcurrentDictionary<int, int>();
        var work = app.Task<int>("tasks.work", async (int n) =>
        {
            seen.AddOrUpdate(n, 1, (_, c) => c + 1);
            await Task.Yield();
            return n * 2;
        });
        await using var worker = await app.StartWorkerAsync(concurrency: 4);

        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => work.DelayAsync(i)));
        var values = await Task.WhenAll(results.Select(r => r.GetAsync(TestApp.Timeout).AsTask()));

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * 2).ToArray(), values.Select(v => (int)v!).ToArray());
        Assert.Equal(1000, seen.Count);
        Assert.All(seen.Values, c => Assert.Equal(1, c));
        Assert.Equal(1000, worker.State.Processed);
    }

    [Fact]
    public async Task Never_more_than_concurrency_tasks_run_at_once()
    {
        await using var app = TestApp.Create();
        var running = 0;
        var peak = 0;
        var work = app.Task<int>("tasks.work", async () =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(5);
            Interlocked.Decrement(ref running);
            return 0;
        });
        await using var worker = await app.StartWorkerAsync(concurrency: 3);

        var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => work.DelayAsync()));
        await Task.WhenAll(results.Select(r => r.GetAsync(TestApp.Timeout).AsTask()));
        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task Blocking_task_bodies_do_not_starve_async_ones()
    {
        await using var app = TestApp.Create();
        using var release = new ManualResetEventSlim();
        var blocker = app.Task<int>("tasks.block", () =>
        {
            release.Wait(TestApp.Timeout);
            return 1;
        });
        var quick = app.Task<int>("tasks.quick", async (int n) =>
        {
            await Task.Delay(1);
            return n;
        });
        await using var worker = await app.StartWorkerAsync(concurrency: 2);

        var blocked = await blocker.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(blocked.Id), "the blocking task to start");
        var quickOnes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => quick.DelayAsync(i)));
        var values = await Task.WhenAll(quickOnes.Select(r => r.GetAsync(TestApp.Timeout).AsTask()));
        Assert.Equal(Enumerable.Range(0, 20), values);
        Assert.Equal(TaskStates.Pending, await blocked.GetStateAsync());
        release.Set();
        Assert.Equal(1, await blocked.GetAsync(TestApp.Timeout));
    }

    [Fact]
    public async Task Revoke_before_start_discards_the_task_as_revoked()
    {
        await using var app = TestApp.Create();
        var runs = 0;
        var add = app.Task<int>("tasks.add", (int x, int y) => Interlocked.Increment(ref runs));
        var result = await add.DelayAsync(1, 2);
        await result.RevokeAsync();
        await using var worker = await app.StartWorkerAsync();

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal(TaskStates.Revoked, error.State);
        Assert.Equal("revoked", error.ExcMessage);
        Assert.Equal(0, runs);
    }

    [Fact]
    public async Task Revoke_with_terminate_cancels_a_running_task()
    {
        await using var app = TestApp.Create();
        var started = new TaskCompletionSource();
        var slow = app.Task<int>("tasks.slow", async (CancellationToken ct) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return 1;
        });
        await using var worker = await app.StartWorkerAsync();

        var result = await slow.DelayAsync();
        await started.Task.WaitAsync(TestApp.Timeout);
        await result.RevokeAsync(terminate: true);
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal(TaskStates.Revoked, error.State);
        Assert.Equal("terminated", error.ExcMessage);
    }

    [Fact]
    public async Task Track_started_stores_started_with_pid_and_hostname()
    {
        await using var app = TestApp.Create(o => o with { Task = o.Task with { TrackStarted = true } });
        var gate = new TaskCompletionSource();
        var slow = app.Task<int>("tasks.slow", async () =>
        {
            await gate.Task;
            return 1;
        });
        await using var worker = await app.StartWorkerAsync();

        var result = await slow.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(result.Id), "the task to start");
        await TestApp.WaitUntilAsync(() => result.GetStateAsync().AsTask().GetAwaiter().GetResult() == TaskStates.Started, "STARTED to be stored");
        Assert.Equal(Environment.ProcessId, result.Info!["pid"]!.GetValue<int>());
        Assert.Equal(worker.Hostname, result.Info!["hostname"]!.GetValue<string>());
        gate.SetResult();
        Assert.Equal(1, await result.GetAsync(TestApp.Timeout));
    }

    [Fact]
    public async Task Ignore_result_stores_nothing_for_a_success()
    {
        await using var app = TestApp.Create();
        var done = new TaskCompletionSource();
        var task = app.Task<int>("tasks.quiet", () =>
        {
            done.TrySetResult();
            return 1;
        });
        await using var worker = await app.StartWorkerAsync();

        var result = await task.ApplyAsync(options: new ApplyOptions { IgnoreResult = true });
        await done.Task.WaitAsync(TestApp.Timeout);
        await TestApp.WaitUntilAsync(() => worker.State.Processed == 1, "the task to finish");
        Assert.Null(await app.Backend.GetAsync(result.Id));
    }

    [Fact]
    public async Task Warm_shutdown_finishes_running_tasks_and_returns_prefetched_ones_to_the_queue()
    {
        await using var app = TestApp.Create();
        var gate = new TaskCompletionSource();
        var slow = app.Task<int>("tasks.slow", async (int n) =>
        {
            await gate.Task;
            return n;
        });
        var worker = await app.StartWorkerAsync(concurrency: 1);
        var results = new List<AsyncResult>();
        for (var i = 0; i < 5; i++)
        {
            results.Add(await slow.DelayAsync(i));
        }

        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Count == 1 && worker.State.ReservedIds.Count == 4, "one running (acked early) and four prefetched");
        var stopping = worker.StopAsync();
        gate.SetResult();
        await stopping;

        Assert.Equal(0, await results[0].GetAsync<int>(TestApp.Timeout));
        Assert.Equal(4, await app.Transport.GetQueueLengthAsync("celery"));

        // A new worker picks up where the old one left off, in order.
        await using var next = await app.StartWorkerAsync(concurrency: 1);
        var rest = await Task.WhenAll(results.Skip(1).Select(r => r.GetAsync<int>(TestApp.Timeout).AsTask()));
        Assert.Equal(new[] { 1, 2, 3, 4 }, rest);
    }

    [Fact]
    public async Task Late_ack_with_reject_on_worker_lost_requeues_a_task_interrupted_by_cold_shutdown()
    {
        await using var app = TestApp.Create();
        var gate = new TaskCompletionSource();
        var slow = app.Task<int>("tasks.slow", async (CancellationToken ct) =>
        {
            await gate.Task.WaitAsync(ct);
            return 1;
        }, new TaskSettings { AcksLate = true, RejectOnWorkerLost = true });
        var worker = await app.StartWorkerAsync(concurrency: 1);

        var result = await slow.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(result.Id), "the task to start");

        // Cold shutdown of a late-ack task: nothing stored, the message goes back to its place in the queue.
        var stopping = worker.StopAsync();
        worker.RequestColdShutdown();
        await stopping;
        Assert.Equal(TaskStates.Pending, await result.GetStateAsync());
        Assert.Equal(1, await app.Transport.GetQueueLengthAsync("celery"));

        gate.SetResult();
        await using var next = await app.StartWorkerAsync(concurrency: 1);
        Assert.Equal(1, await result.GetAsync<int>(TestApp.Timeout));
    }

    [Fact]
    public async Task Late_ack_without_reject_on_worker_lost_fails_an_interrupted_task_with_worker_lost_error()
    {
        await using var app = TestApp.Create(o => o with { Task = o.Task with { AcksLate = true } });
        var slow = app.Task<int>("tasks.slow", async (CancellationToken ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return 1;
        });
        var worker = await app.StartWorkerAsync(concurrency: 1);
        var result = await slow.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(result.Id), "the task to start");

        var stopping = worker.StopAsync();
        worker.RequestColdShutdown();
        await stopping;
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal(("WorkerLostError", "billiard.exceptions"), (error.ExcType, error.ExcModule));
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync("celery"));
    }

    [Fact]
    public async Task Tasks_run_from_every_consumed_queue_and_routes_pick_the_queue()
    {
        await using var app = TestApp.Create(o => o with
        {
            Task = o.Task with { Routes = [new Routing.TaskRoute("images.*", "images")] },
            Worker = o.Worker with { Queues = ["celery", "images"] },
        });
        var resize = app.Task<string>("images.resize", (TaskContext ctx) => ctx.Request.Queue);
        var add = app.Task<string>("tasks.add", (TaskContext ctx) => ctx.Request.Queue);
        await using var worker = await app.StartWorkerAsync();

        Assert.Equal("images", await (await resize.DelayAsync()).GetAsync(TestApp.Timeout));
        Assert.Equal("celery", await (await add.DelayAsync()).GetAsync(TestApp.Timeout));
        Assert.Equal("images", await (await add.ApplyAsync(options: new ApplyOptions { Queue = "images" })).GetAsync(TestApp.Timeout));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
