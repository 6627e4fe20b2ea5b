using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Tasks;

namespace Celeriac.Tests;

/// <summary>
/// Where a task's limits come from, in Celery's order: the call's <c>timelimit</c> header, the worker's runtime
/// <c>time_limit</c> command, the task's own settings, then the worker's <c>task_time_limit</c> /
/// <c>task_soft_time_limit</c>. All on fake time. The per-call limits and a soft limit caught by the task are in
/// SchedulingTests.
/// </summary>
public sealed class TimeLimitTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_tasks_own_limits_apply_when_the_call_sets_none()
    {
        var time = new TestClock(Start);
        await using var app = TestApp.Create(time: time);
        var soft = app.Task<int>("tasks.soft", Forever, new TaskSettings { SoftTimeLimit = TimeSpan.FromSeconds(4) });
        var gate = new TaskCompletionSource();
        var hard = app.Task<int>("tasks.hard", async () => await Deaf(gate), new TaskSettings { TimeLimit = TimeSpan.FromSeconds(6) });
        await using var worker = await app.StartWorkerAsync(concurrency: 1);

        var r1 = await soft.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r1.Id), "the task to start");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(4));
        time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.Contains(r1.Id, worker.State.ActiveIds);
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal("SoftTimeLimitExceeded", (await Assert.ThrowsAsync<TaskFailedException>(async () => await r1.GetAsync(TestApp.Timeout))).ExcType);

        var r2 = await hard.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r2.Id), "the task to start");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(6));
        time.Advance(TimeSpan.FromSeconds(6));
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await r2.GetAsync(TestApp.Timeout));
        Assert.Equal(("TimeLimitExceeded", "6.0"), (error.ExcType, error.ExcMessage));
        gate.SetResult();
    }

    [Fact]
    public async Task The_workers_limits_apply_to_every_task_and_a_calls_limit_wins_over_them()
    {
        var time = new TestClock(Start);
        await using var app = TestApp.Create(o => o with { Task = o.Task with { TimeLimit = TimeSpan.FromSeconds(10), SoftTimeLimit = TimeSpan.FromSeconds(8) } }, time);
        var forever = app.Task<int>("tasks.forever", Forever);
        await using var worker = await app.StartWorkerAsync(concurrency: 1);

        var r1 = await forever.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r1.Id), "the task to start");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(8));
        time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal("SoftTimeLimitExceeded", (await Assert.ThrowsAsync<TaskFailedException>(async () => await r1.GetAsync(TestApp.Timeout))).ExcType);

        var r2 = await forever.ApplyAsync(options: new ApplyOptions { SoftTimeLimit = TimeSpan.FromSeconds(2) });
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r2.Id), "the task to start");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("SoftTimeLimitExceeded", (await Assert.ThrowsAsync<TaskFailedException>(async () => await r2.GetAsync(TestApp.Timeout))).ExcType);
    }

    [Fact]
    public async Task The_time_limit_command_changes_a_task_types_limits_at_runtime_and_the_call_still_wins()
    {
        var time = new TestClock(Start);
        await using var app = TestApp.Create(time: time);
        var gate = new TaskCompletionSource();
        var runaway = app.Task<int>("tasks.runaway", async () => await Deaf(gate), new TaskSettings { TimeLimit = TimeSpan.FromHours(1) });
        await using var worker = await app.StartWorkerAsync(concurrency: 1);
        var node = worker.Hostname;

        var reply = await app.Control.InspectAsync("time_limit", new JsonObject { ["task_name"] = "tasks.runaway", ["soft"] = null, ["hard"] = 5 }, [node], TestApp.Timeout);
        Assert.Equal("time limits set successfully", reply[node]!["ok"]!.GetValue<string>());

        var r1 = await runaway.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r1.Id), "the task to start");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("5.0", (await Assert.ThrowsAsync<TaskFailedException>(async () => await r1.GetAsync(TestApp.Timeout))).ExcMessage);

        var r2 = await runaway.ApplyAsync(options: new ApplyOptions { TimeLimit = TimeSpan.FromSeconds(2) });
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r2.Id), "the task to start");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("2.0", (await Assert.ThrowsAsync<TaskFailedException>(async () => await r2.GetAsync(TestApp.Timeout))).ExcMessage);
        gate.SetResult();
    }

    [Fact]
    public async Task A_hard_limited_blocking_runaway_does_not_stop_the_worker_and_its_slot_is_freed()
    {
        var time = new TestClock(Start);
        await using var app = TestApp.Create(time: time);
        using var gate = new ManualResetEventSlim();
        var runaway = app.Task<int>("tasks.runaway", () =>
        {
            gate.Wait();
            return 1;
        });
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(concurrency: 1);

        var results = new List<AsyncResult>();
        for (var i = 0; i < 3; i++)
        {
            // Three runaways in a row on the single slot: each is cut off and the next one gets a fresh thread.
            var r = await runaway.ApplyAsync(options: new ApplyOptions { TimeLimit = TimeSpan.FromSeconds(3) });
            await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r.Id), "the runaway to start");
            await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(3));
            time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal("TimeLimitExceeded", (await Assert.ThrowsAsync<TaskFailedException>(async () => await r.GetAsync(TestApp.Timeout))).ExcType);
            results.Add(r);
        }

        Assert.Equal(3, await (await add.DelayAsync(1, 2)).GetAsync(TestApp.Timeout));
        Assert.False(worker.Completion.IsCompleted);
        gate.Set();
    }

    private static async Task<int> Forever(CancellationToken ct)
    {
        await Task.Delay(Timeout.Infinite, ct);
        return 1;
    }

    private static async Task<int> Deaf(TaskCompletionSource gate)
    {
        await gate.Task;
        return 1;
    }
}
