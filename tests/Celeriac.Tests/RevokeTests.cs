using Celeriac.Client;
using Celeriac.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Celeriac.Tests;

/// <summary>
/// Revoke in each place a task can be: held for its ETA, running and cooperative, running and deaf to its token
/// (async and blocking). Each ends REVOKED with nothing of the body run after the revoke, except what a deaf body does
/// in the background after it was abandoned, whose outcome is ignored. Revoke before start and across a restart are in
/// WorkerBehaviourTests and RemoteControlTests.
/// </summary>
public sealed class RevokeTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_held_eta_task_revoked_while_waiting_is_discarded_when_due()
    {
        var time = new TestClock(Start);
        await using var app = TestApp.Create(time: time);
        var runs = 0;
        var add = app.Task<int>("tasks.add", (int x, int y) => Interlocked.Increment(ref runs));
        await using var worker = await app.StartWorkerAsync(concurrency: 1);
        var result = await add.ApplyAsync([1, 2], options: new ApplyOptions { Countdown = TimeSpan.FromMinutes(5) });
        await TestApp.WaitUntilAsync(() => worker.State.ScheduledIds.Contains(result.Id), "the ETA task to be held");

        await result.RevokeAsync();
        await TestApp.WaitUntilAsync(() => app.Revocations.Contains(result.Id), "the revoke to arrive");
        await time.WaitForTimerAsync("Admission", TimeSpan.FromMinutes(5));
        time.Advance(TimeSpan.FromMinutes(5));

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal((TaskStates.Revoked, "revoked", 0), (error.State, error.ExcMessage, runs));
    }

    [Fact]
    public async Task Terminate_stops_a_cooperative_body_at_its_await_and_nothing_after_it_runs()
    {
        await using var app = TestApp.Create();
        var started = new TaskCompletionSource();
        var after = 0;
        var slow = app.Task<int>("tasks.slow", async (CancellationToken ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            Interlocked.Increment(ref after);
            return 1;
        });
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(concurrency: 1);

        var result = await slow.DelayAsync();
        await started.Task.WaitAsync(TestApp.Timeout);
        await result.RevokeAsync(terminate: true);

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal((TaskStates.Revoked, "terminated"), (error.State, error.ExcMessage));
        Assert.Equal(3, await (await add.DelayAsync(1, 2)).GetAsync(TestApp.Timeout));
        Assert.Equal(0, after);
    }

    [Fact]
    public async Task Terminate_abandons_an_async_body_deaf_to_its_token_after_the_grace_period_and_frees_its_slot()
    {
        var time = new FakeTimeProvider(Start);
        await using var app = TestApp.Create(time: time);
        var started = new TaskCompletionSource();
        var tokenFired = new TaskCompletionSource();
        var gate = new TaskCompletionSource();
        var finished = new TaskCompletionSource();
        var deaf = app.Task<int>("tasks.deaf", async (CancellationToken ct) =>
        {
            ct.Register(() => tokenFired.TrySetResult());
            started.TrySetResult();
            await gate.Task;
            finished.TrySetResult();
            return 1;
        });
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(concurrency: 1);

        var result = await deaf.DelayAsync();
        await started.Task.WaitAsync(TestApp.Timeout);
        await result.RevokeAsync(terminate: true);
        await tokenFired.Task.WaitAsync(TestApp.Timeout);
        Assert.Contains(result.Id, worker.State.ActiveIds);

        // The grace period (1 s here) is armed when the token fires; fake time moves on until the worker gives up.
        await AdvanceUntilAsync(time, () => !worker.State.ActiveIds.Contains(result.Id));

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal((TaskStates.Revoked, "terminated"), (error.State, error.ExcMessage));
        Assert.Equal(3, await (await add.DelayAsync(1, 2)).GetAsync(TestApp.Timeout));

        // The abandoned body ends later in the background: its result is ignored.
        gate.SetResult();
        await finished.Task.WaitAsync(TestApp.Timeout);
        Assert.Equal(TaskStates.Revoked, await result.GetStateAsync());
    }

    [Fact]
    public async Task Terminate_abandons_a_blocking_body_after_the_grace_period_and_a_fresh_thread_takes_its_slot()
    {
        var time = new FakeTimeProvider(Start);
        await using var app = TestApp.Create(time: time);
        using var gate = new ManualResetEventSlim();
        var started = new TaskCompletionSource();
        var blocking = app.Task<int>("tasks.blocking", () =>
        {
            started.TrySetResult();
            gate.Wait();
            return 1;
        });
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(concurrency: 1);

        var result = await blocking.DelayAsync();
        await started.Task.WaitAsync(TestApp.Timeout);
        await result.RevokeAsync(terminate: true);
        await AdvanceUntilAsync(time, () => !worker.State.ActiveIds.Contains(result.Id));

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal((TaskStates.Revoked, "terminated"), (error.State, error.ExcMessage));
        Assert.Equal(3, await (await add.DelayAsync(1, 2)).GetAsync(TestApp.Timeout));
        gate.Set();
    }

    /// <summary>Moves fake time a second at a time until <paramref name="done"/>: the worker arms its timers on its own threads.</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> done) =>
        await TestApp.WaitUntilAsync(
            () =>
            {
                if (done())
                {
                    return true;
                }

                time.Advance(TimeSpan.FromSeconds(1));
                return false;
            },
            "the worker to abandon the task");
}
