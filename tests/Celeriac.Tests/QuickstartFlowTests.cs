using Celeriac.Protocol;

namespace Celeriac.Tests;

public sealed class QuickstartFlowTests
{
    [Fact]
    public async Task Delay_runs_on_the_worker_and_the_result_reads_back()
    {
        await using var app = TestApp.Create();
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync();

        var result = await add.DelayAsync(4, 5);
        Assert.Equal(9, await result.GetAsync(TestApp.Timeout));
        Assert.Equal(TaskStates.Success, result.State);
        Assert.True(result.Successful);
    }

    [Fact]
    public async Task Async_tasks_with_cancellation_token_and_context_run()
    {
        await using var app = TestApp.Create();
        var echo = app.Task<string>("tasks.who", async (Tasks.TaskContext ctx, string greeting, CancellationToken ct) =>
        {
            await Task.Yield();
            return $"{greeting} from {ctx.Request.TaskName}[{ctx.Request.Id}] retries={ctx.Request.Retries} canceled={ct.IsCancellationRequested}";
        });
        await using var worker = await app.StartWorkerAsync();

        var result = await echo.DelayAsync("hi");
        Assert.Equal($"hi from tasks.who[{result.Id}] retries=0 canceled=False", await result.GetAsync(TestApp.Timeout));
    }

    [Fact]
    public async Task Send_task_by_name_reaches_a_task_registered_elsewhere()
    {
        await using var app = TestApp.Create();
        app.Task("proj.mul", (int x, int y) => x * y);
        await using var worker = await app.StartWorkerAsync();

        var result = await app.SendTaskAsync("proj.mul", [6, 7]);
        Assert.Equal(42, await result.GetAsync<int>(TestApp.Timeout));
        var again = app.AsyncResult(result.Id);
        Assert.Equal(TaskStates.Success, await again.GetStateAsync());
    }

    [Fact]
    public async Task Pending_is_the_state_of_an_unknown_id_and_forget_deletes()
    {
        await using var app = TestApp.Create();
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync();

        Assert.Equal(TaskStates.Pending, await app.AsyncResult(Guid.NewGuid().ToString()).GetStateAsync());
        var result = await add.DelayAsync(1, 1);
        await result.GetAsync(TestApp.Timeout);
        await result.ForgetAsync();
        Assert.Equal(TaskStates.Pending, await app.AsyncResult(result.Id).GetStateAsync());
    }

    [Fact]
    public async Task Get_times_out_when_no_worker_runs_the_task()
    {
        await using var app = TestApp.Create();
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        var result = await add.DelayAsync(1, 2);
        await Assert.ThrowsAsync<TimeoutException>(async () => await result.GetAsync(TimeSpan.FromMilliseconds(100)));
    }
}
