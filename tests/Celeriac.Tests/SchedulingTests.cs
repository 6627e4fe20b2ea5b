using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Tasks;

namespace Celeriac.Tests;

public sealed class SchedulingTests
{
    [Fact]
    public async Task An_eta_task_is_held_unacked_with_raised_prefetch_and_runs_only_when_due()
    {
        var time = new TestClock();
        await using var app = TestApp.Create(time: time);
        var runs = 0;
        var add = app.Task<int>("tasks.add", (int x, int y) =>
        {
            Interlocked.Increment(ref runs);
            return x + y;
        });
        await using var worker = await app.StartWorkerAsync(concurrency: 2);

        var result = await add.ApplyAsync([20, 22], options: new ApplyOptions { Countdown = TimeSpan.FromSeconds(60) });
        await TestApp.WaitUntilAsync(() => worker.State.ScheduledIds.Contains(result.Id), "the ETA task to be held");
        Assert.Equal((2 * 4) + 1, worker.PrefetchCount);
        await time.WaitForTimerAsync("Admission", TimeSpan.FromSeconds(60));

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, runs);
        Assert.Equal(TaskStates.Pending, await result.GetStateAsync());

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(42, await result.GetAsync(TestApp.Timeout));
        Assert.Equal(1, runs);
        Assert.True((await app.Backend.GetAsync(result.Id))!.DateDone >= new DateTime(2026, 1, 1, 12, 1, 0));
        await TestApp.WaitUntilAsync(() => worker.PrefetchCount == 8, "prefetch to drop back");
    }

    [Fact]
    public async Task An_expired_task_ends_revoked_without_running()
    {
        var time = new TestClock();
        await using var app = TestApp.Create(time: time);
        var runs = 0;
        var add = app.Task<int>("tasks.add", (int x, int y) => Interlocked.Increment(ref runs));
        await using var worker = await app.StartWorkerAsync();

        var past = await add.ApplyAsync([1, 1], options: new ApplyOptions { Expires = time.GetUtcNow().AddSeconds(-60) });
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await past.GetAsync(TestApp.Timeout));
        Assert.Equal(TaskStates.Revoked, error.State);
        Assert.Equal("TaskRevokedError", error.ExcType);
        Assert.Equal("expired", error.ExcMessage);

        // Expires while waiting for its ETA.
        var later = await add.ApplyAsync([1, 1], options: new ApplyOptions { Countdown = TimeSpan.FromSeconds(30), ExpiresIn = TimeSpan.FromSeconds(10) });
        await TestApp.WaitUntilAsync(() => worker.State.ScheduledIds.Contains(later.Id), "the ETA task to be held");
        await time.WaitForTimerAsync("Admission", TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(30));
        error = await Assert.ThrowsAsync<TaskFailedException>(async () => await later.GetAsync(TestApp.Timeout));
        Assert.Equal("expired", error.ExcMessage);
        Assert.Equal(0, runs);
    }

    [Fact]
    public async Task Manual_retry_follows_the_countdown_and_stops_at_max_retries_with_the_last_error()
    {
        var time = new TestClock();
        await using var app = TestApp.Create(time: time);
        var attempts = new List<(int Retries, DateTimeOffset At)>();
        var flaky = app.Task<int>("tasks.flaky", int (TaskContext ctx) =>
        {
            lock (attempts)
            {
                attempts.Add((ctx.Request.Retries, time.GetUtcNow()));
            }

            throw ctx.Retry(new InvalidOperationException($"attempt {ctx.Request.Retries}"), countdown: TimeSpan.FromSeconds(10));
        });
        await using var worker = await app.StartWorkerAsync();

        var result = await flaky.DelayAsync();
        for (var retry = 1; retry <= 3; retry++)
        {
            await TestApp.WaitUntilAsync(() => attempts.Count == retry && worker.State.ScheduledIds.Contains(result.Id), $"retry {retry} to be scheduled");
            await time.WaitForTimerAsync("Admission", TimeSpan.FromSeconds(10));
            // The retry is published before RETRY is stored (as in Celery), so the new message may be held first.
            await WaitForStateAsync(app, result.Id, TaskStates.Retry, $"attempt {retry - 1}");
            time.Advance(TimeSpan.FromSeconds(9));
            Assert.Equal(retry, attempts.Count);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("InvalidOperationException", error.ExcType);
        Assert.Equal("attempt 3", error.ExcMessage);
        Assert.Equal([0, 1, 2, 3], attempts.Select(a => a.Retries));
        Assert.Equal(TimeSpan.FromSeconds(10), attempts[1].At - attempts[0].At);
    }

    [Fact]
    public async Task Autoretry_backs_off_exponentially_and_then_succeeds()
    {
        var time = new TestClock();
        await using var app = TestApp.Create(time: time);
        var attempts = new List<DateTimeOffset>();
        var task = app.Task<string>(
            "tasks.fetch",
            (TaskContext ctx) =>
            {
                lock (attempts)
                {
                    attempts.Add(time.GetUtcNow());
                }

                return ctx.Request.Retries < 3 ? throw new HttpRequestException("503") : "ok";
            },
            new TaskSettings { AutoretryFor = [typeof(HttpRequestException)], RetryBackoff = TimeSpan.FromSeconds(2), RetryJitter = false, MaxRetries = 5 });
        await using var worker = await app.StartWorkerAsync();

        var result = await task.DelayAsync();
        var waits = new[] { 2, 4, 8 };
        for (var i = 0; i < waits.Length; i++)
        {
            var ran = i + 1;
            await TestApp.WaitUntilAsync(() => attempts.Count == ran && worker.State.ScheduledIds.Contains(result.Id), "the retry to be scheduled");
            await time.WaitForTimerAsync("Admission", TimeSpan.FromSeconds(waits[i]));
            time.Advance(TimeSpan.FromSeconds(waits[i]));
        }

        Assert.Equal("ok", await result.GetAsync(TestApp.Timeout));
        Assert.Equal([2.0, 4.0, 8.0], attempts.Zip(attempts.Skip(1), (a, b) => (b - a).TotalSeconds));
    }

    [Fact]
    public async Task Retry_without_countdown_uses_the_default_retry_delay_and_max_retries_exceeded_is_reported()
    {
        var time = new TestClock();
        await using var app = TestApp.Create(o => o with { Task = o.Task with { MaxRetries = 1 } }, time);
        var runs = 0;
        var task = app.Task<int>("tasks.again", int (TaskContext ctx) =>
        {
            Interlocked.Increment(ref runs);
            throw ctx.Retry();
        });
        await using var worker = await app.StartWorkerAsync();

        var result = await task.DelayAsync();
        await TestApp.WaitUntilAsync(() => worker.State.ScheduledIds.Contains(result.Id), "the retry to be scheduled");
        await time.WaitForTimerAsync("Admission", TimeSpan.FromSeconds(180));
        time.Advance(TimeSpan.FromSeconds(179));
        Assert.Equal(1, runs);
        time.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("MaxRetriesExceededError", error.ExcType);
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task Soft_time_limit_cancels_the_token_and_hard_limit_frees_the_slot()
    {
        var time = new TestClock();
        await using var app = TestApp.Create(time: time);
        var soft = app.Task<int>("tasks.soft", async (CancellationToken ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return 1;
        });
        var caught = app.Task<string>("tasks.caught", async (CancellationToken ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return "soft-caught";
        });
        var gate = new TaskCompletionSource();
        var runaway = app.Task<int>("tasks.runaway", async () =>
        {
            await gate.Task;
            return 1;
        });
        await using var worker = await app.StartWorkerAsync(concurrency: 1);

        var r1 = await soft.ApplyAsync(options: new ApplyOptions { SoftTimeLimit = TimeSpan.FromSeconds(5) });
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r1.Id), $"the task to start: reserved={string.Join(",", worker.State.ReservedIds)} sched={string.Join(",", worker.State.ScheduledIds)} done={worker.State.Processed}");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(5));
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await r1.GetAsync(TestApp.Timeout));
        Assert.Equal("SoftTimeLimitExceeded", error.ExcType);

        var r2 = await caught.ApplyAsync(options: new ApplyOptions { SoftTimeLimit = TimeSpan.FromSeconds(5) });
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r2.Id), "the task to start");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("soft-caught", await r2.GetAsync(TestApp.Timeout));

        var r3 = await runaway.ApplyAsync(options: new ApplyOptions { TimeLimit = TimeSpan.FromSeconds(3) });
        await TestApp.WaitUntilAsync(() => worker.State.ActiveIds.Contains(r3.Id), "the task to start");
        await time.WaitForTimerAsync("TaskRunner", TimeSpan.FromSeconds(3));
        time.Advance(TimeSpan.FromSeconds(3));
        error = await Assert.ThrowsAsync<TaskFailedException>(async () => await r3.GetAsync(TestApp.Timeout));
        Assert.Equal("TimeLimitExceeded", error.ExcType);
        Assert.Equal("billiard.exceptions", error.ExcModule);

        // The single slot is free again although the runaway body never returned.
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        Assert.Equal(3, await (await add.DelayAsync(1, 2)).GetAsync(TestApp.Timeout));
        gate.SetResult();
    }

    private static async Task WaitForStateAsync(CeleriacApp app, string id, string state, string message)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await app.Backend.GetAsync(id) is not { } meta || meta.Status != state || meta.Exception?.MessageText != message)
        {
            if (waited.Elapsed > TestApp.Timeout)
            {
                var last = await app.Backend.GetAsync(id);
                throw new TimeoutException($"timed out waiting for {state} '{message}'; stored: {last?.Status} '{last?.Exception?.MessageText}'");
            }

            await Task.Delay(5);
        }
    }
}
