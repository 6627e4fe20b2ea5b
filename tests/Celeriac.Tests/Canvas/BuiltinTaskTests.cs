using System.Text.Json.Nodes;
using Celeriac.Canvas;
using Celeriac.Client;
using Celeriac.Worker;
using static Celeriac.Canvas.Workflow;

namespace Celeriac.Tests.Canvas;

/// <summary>Celery's builtin tasks on a Celeriac worker: map, starmap, chunks, chord_unlock, accumulate, the old group/chord/chain tasks.</summary>
public sealed class BuiltinTaskTests : IAsyncLifetime
{
    private CeleriacApp _app = null!;
    private CanvasTasks _t = null!;
    private CeleriacTask<long> _double = null!;
    private WorkerHost _worker = null!;

    public async Task InitializeAsync()
    {
        _app = TestApp.Create();
        _t = new CanvasTasks(_app);
        _double = _app.Task<long>("t.double", (long x) => 2 * x);
        _worker = await _app.StartWorkerAsync(concurrency: 4);
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Map_calls_the_task_once_per_item_in_one_worker_task()
    {
        var result = await _double.Map([1, 2, 3]).ApplyAsync();

        var values = await result.GetAsync<long[]>(TestApp.Timeout);
        Assert.Equal(new long[] { 2, 4, 6 }, values);
        await TestApp.WaitUntilAsync(() => _worker.State.Processed >= 1, "the map task to be counted");
        Assert.Equal(1, _worker.State.Processed);
    }

    [Fact]
    public async Task Starmap_spreads_each_item_as_the_arguments()
    {
        var result = await _t.Add.Starmap([[1, 2], [3, 4]]).ApplyAsync();

        var values = await result.GetAsync<long[]>(TestApp.Timeout);
        Assert.Equal(new long[] { 3, 7 }, values);
    }

    [Fact]
    public async Task Chunks_run_as_a_group_of_starmaps_and_return_a_list_per_slice()
    {
        var pairs = Enumerable.Range(0, 10).Select(i => new object?[] { i, i });

        var result = Assert.IsType<GroupResult>(await _t.Add.Chunks(pairs, 3).ApplyAsync());

        Assert.Equal(4, result.Count);
        Assert.Equal("[[0,2,4],[6,8,10],[12,14,16],[18]]", (await result.GetAsync(TestApp.Timeout))!.ToJsonString());
    }

    [Fact]
    public async Task Chunks_sent_by_a_worker_go_as_the_celery_chunks_task_which_sends_the_group()
    {
        var chunks = _t.Add.Chunks([[1, 1], [2, 2], [3, 3]], 2).Freeze();

        var result = await Chain(_t.Add.Signature(0, 0), chunks).ApplyAsync();

        Assert.Equal(chunks.Id, result.Id);
        var tuple = await result.GetAsync(TestApp.Timeout);
        var group = Assert.IsType<GroupResult>(ResultTuples.FromTuple(tuple, _app));
        Assert.Equal("[[2,4],[6]]", (await group.GetAsync(TestApp.Timeout))!.ToJsonString());
    }

    [Fact]
    public async Task Map_of_a_task_this_worker_does_not_know_fails_with_not_registered()
    {
        var result = await Map(Signature.Create("elsewhere.task"), [1]).ApplyAsync(_app);

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("NotRegistered", error.ExcType);
    }

    [Fact]
    public async Task Starmap_of_an_item_that_is_not_a_list_fails_with_python_type_error()
    {
        var result = await _app.SendTaskAsync(CanvasNames.StarmapTask, kwargs: new Dictionary<string, object?> { ["task"] = _t.Add.Signature().ToJson(), ["it"] = new JsonArray(5) });

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("TypeError", error.ExcType);
        Assert.Contains("argument after * must be an iterable, not int", error.ExcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accumulate_returns_its_arguments_or_the_one_at_index()
    {
        var all = await _app.SendTaskAsync(CanvasNames.AccumulateTask, [1, 2, 3]);
        var one = await _app.SendTaskAsync(CanvasNames.AccumulateTask, [1, 2, 3], new Dictionary<string, object?> { ["index"] = 1 });

        Assert.Equal("[1,2,3]", (await all.GetAsync(TestApp.Timeout))!.ToJsonString());
        Assert.Equal(2, await one.GetAsync<int>(TestApp.Timeout));
    }

    [Fact]
    public async Task The_chain_task_is_not_a_real_task_as_in_celery()
    {
        var result = await _app.SendTaskAsync(CanvasNames.ChainTask);

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("NotImplementedError", error.ExcType);
        Assert.Equal("chain is not a real task", error.ExcMessage);
    }

    [Fact]
    public async Task The_old_group_task_sends_its_tasks_with_the_group_id()
    {
        var members = new[] { _t.Add.Signature(1).Freeze(), _t.Add.Signature(2).Freeze() };
        var tasks = new JsonArray([.. members.Select(m => (JsonNode)m.ToJson())]);

        var sent = await _app.SendTaskAsync(CanvasNames.GroupTask, [tasks, null, "old-group", new JsonArray(10)]);
        await sent.GetAsync(TestApp.Timeout);

        Assert.Equal(11, await _app.AsyncResult(members[0].Id!).GetAsync<long>(TestApp.Timeout));
        Assert.Equal(12, await _app.AsyncResult(members[1].Id!).GetAsync<long>(TestApp.Timeout));
        Assert.Equal("old-group", (await _app.Backend.GetAsync(members[1].Id!))!.GroupId);
    }

    [Fact]
    public async Task The_old_chord_task_sends_the_chord()
    {
        var body = _t.Xsum.Signature().Freeze();
        var header = new JsonArray(_t.Add.Signature(1, 1).ToJson(), _t.Add.Signature(2, 2).ToJson());

        var sent = await _app.SendTaskAsync(CanvasNames.ChordTask, [header, body.ToJson()]);
        await sent.GetAsync(TestApp.Timeout);

        Assert.Equal(6, await _app.AsyncResult(body.Id!).GetAsync<long>(TestApp.Timeout));
    }

    [Fact]
    public async Task Builtins_are_registered_but_not_listed_as_the_apps_own_tasks()
    {
        Assert.True(_app.Tasks.TryGet(CanvasNames.ChordUnlockTask, out var unlock));
        Assert.True(unlock.Settings.RetryForever);
        Assert.True(unlock.Settings.IgnoreResult);
        Assert.True(_app.Tasks.TryGet(CanvasNames.BackendCleanupTask, out _));
        var cleanup = await _app.SendTaskAsync(CanvasNames.BackendCleanupTask);
        Assert.Null(await cleanup.GetAsync(TestApp.Timeout));
    }
}
