using System.Text.Json.Nodes;
using Celeriac.Backends;
using Celeriac.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Celeriac.Conformance;

/// <summary>
/// What every result backend must do, driven only through <see cref="IResultBackend"/>. The clock is a
/// <see cref="FakeTimeProvider"/> that tests move by hand: expiry is exact, and a waiter can only be woken by the
/// store's own notification, never by a poll timer.
/// </summary>
public abstract class ResultBackendConformanceTests : IAsyncLifetime
{
    private static readonly TimeSpan Expires = TimeSpan.FromHours(1);
    private readonly List<IAsyncDisposable> _opened = [];

    protected FakeTimeProvider Clock { get; } = new(TimeProvider.System.GetUtcNow());

    /// <summary>
    /// Opens a backend on this test's store: every call during one test reaches the same store, and no other test's.
    /// </summary>
    protected abstract IResultBackend OpenBackend(TimeSpan? resultExpires, TimeProvider timeProvider);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            await _opened[i].DisposeAsync();
        }
    }

    [Fact]
    public async Task Stored_state_reads_back_unchanged()
    {
        var backend = Open();
        var meta = new ResultMeta
        {
            TaskId = NewId(),
            Status = TaskStates.Success,
            Result = new JsonObject { ["sum"] = 5, ["items"] = new JsonArray("a", 2.5, null) },
            Children = [new JsonArray(new JsonArray("child-id", null), null)],
            DateDone = new DateTime(2026, 11, 24, 6, 7, 20, 990, DateTimeKind.Utc),
            GroupId = "group-1",
            ParentId = "parent-1",
        };

        await backend.StoreAsync(meta);
        var read = await backend.GetAsync(meta.TaskId);

        Assert.NotNull(read);
        Assert.Equal(meta.TaskId, read.TaskId);
        Assert.Equal(TaskStates.Success, read.Status);
        Assert.True(JsonNode.DeepEquals(meta.Result, read.Result), read.Result?.ToJsonString());
        Assert.True(JsonNode.DeepEquals(meta.Children, read.Children), read.Children?.ToJsonString());
        Assert.Equal(meta.DateDone, read.DateDone);
        Assert.Equal("group-1", read.GroupId);
        Assert.Equal("parent-1", read.ParentId);
        Assert.Null(read.Traceback);
    }

    [Fact]
    public async Task Unknown_task_reads_as_nothing_stored()
    {
        var backend = Open();

        Assert.Null(await backend.GetAsync(NewId()));
    }

    [Fact]
    public async Task Success_is_never_overwritten_by_a_later_failure()
    {
        var backend = Open();
        var id = NewId();

        await backend.StoreAsync(Success(id, 42));
        await backend.StoreAsync(Failure(id));

        var read = await backend.GetAsync(id);
        Assert.Equal(TaskStates.Success, read?.Status);
        Assert.Equal(42, (int?)read?.Result);
    }

    [Fact]
    public async Task Failure_is_overwritten_by_the_success_of_a_retry()
    {
        var backend = Open();
        var id = NewId();

        await backend.StoreAsync(new ResultMeta { TaskId = id, Status = TaskStates.Started });
        await backend.StoreAsync(Failure(id));
        Assert.Equal("ValueError", (await backend.GetAsync(id))?.Exception?.Type);
        await backend.StoreAsync(Success(id, 7));

        var read = await backend.GetAsync(id);
        Assert.Equal(TaskStates.Success, read?.Status);
        Assert.Equal(7, (int?)read?.Result);
    }

    [Fact]
    public async Task Stored_state_expires_after_result_expires()
    {
        var backend = Open();
        var id = NewId();
        await backend.StoreAsync(Success(id, 1));

        await AdvanceAsync(Expires - TimeSpan.FromSeconds(1));
        Assert.NotNull(await backend.GetAsync(id));

        await AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Null(await backend.GetAsync(id));

        // A fresh write after expiry stores again, with a fresh expiry.
        await backend.StoreAsync(Success(id, 2));
        Assert.Equal(2, (int?)(await backend.GetAsync(id))?.Result);
    }

    [Fact]
    public async Task Without_result_expires_states_are_kept()
    {
        var backend = OpenBackend(resultExpires: null, Clock);
        _opened.Add(backend);
        var id = NewId();
        await backend.StoreAsync(Success(id, 1));

        await AdvanceAsync(TimeSpan.FromDays(400));

        Assert.NotNull(await backend.GetAsync(id));
    }

    [Fact]
    public async Task Forget_deletes_the_stored_state()
    {
        var backend = Open();
        var id = NewId();
        await backend.StoreAsync(Success(id, 1));

        await backend.ForgetAsync(id);

        Assert.Null(await backend.GetAsync(id));
        await backend.ForgetAsync(id);
    }

    [Fact]
    public async Task WaitForReady_returns_at_once_when_the_task_is_ready()
    {
        var backend = Open();
        var id = NewId();
        await backend.StoreAsync(Success(id, 3));

        var meta = await backend.WaitForReadyAsync(id).AsTask().WaitAsync(TestTimeouts.Arrival);

        Assert.Equal(3, (int?)meta.Result);
    }

    [Fact]
    public async Task WaitForReady_returns_when_another_backend_instance_stores_a_ready_state()
    {
        var waiter = Open();
        var writer = Open();
        var id = NewId();

        var waiting = waiter.WaitForReadyAsync(id).AsTask();
        await writer.StoreAsync(new ResultMeta { TaskId = id, Status = TaskStates.Started });
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted, "STARTED is not ready");

        await writer.StoreAsync(Success(id, 99));
        var meta = await waiting.WaitAsync(TestTimeouts.Arrival);

        Assert.Equal(TaskStates.Success, meta.Status);
        Assert.Equal(99, (int?)meta.Result);
    }

    [Fact]
    public async Task WaitForReady_returns_for_failure_and_revoked()
    {
        var backend = Open();
        var failed = NewId();
        var revoked = NewId();

        var waitFailed = backend.WaitForReadyAsync(failed).AsTask();
        var waitRevoked = backend.WaitForReadyAsync(revoked).AsTask();
        await backend.StoreAsync(Failure(failed));
        await backend.StoreAsync(new ResultMeta
        {
            TaskId = revoked,
            Status = TaskStates.Revoked,
            Result = ExceptionInfo.Celery("TaskRevokedError", "revoked").ToJson(),
        });

        Assert.Equal(TaskStates.Failure, (await waitFailed.WaitAsync(TestTimeouts.Arrival)).Status);
        Assert.Equal(TaskStates.Revoked, (await waitRevoked.WaitAsync(TestTimeouts.Arrival)).Status);
    }

    [Fact]
    public async Task WaitForReady_honours_cancellation()
    {
        var backend = Open();
        using var cancel = new CancellationTokenSource();

        var waiting = backend.WaitForReadyAsync(NewId(), cancel.Token).AsTask();
        await Task.Delay(20);
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestTimeouts.Arrival));
    }

    /// <summary>
    /// Lets time pass for the store. The clock moves; a store that keeps its own time (a Redis server expires keys
    /// on its own clock) moves its time as well.
    /// </summary>
    protected virtual Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        return Task.CompletedTask;
    }

    protected static string NewId() => Guid.NewGuid().ToString();

    protected static ResultMeta Success(string id, int result) => new()
    {
        TaskId = id,
        Status = TaskStates.Success,
        Result = result,
        DateDone = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
    };

    protected static ResultMeta Failure(string id) => new()
    {
        TaskId = id,
        Status = TaskStates.Failure,
        Result = ExceptionInfo.Builtin("ValueError", "boom").ToJson(),
        Traceback = "Traceback (most recent call last):\n  ...\nValueError: boom\n",
        DateDone = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
    };

    /// <summary>Opens a backend with <c>result_expires</c> of one hour on the test's fake clock, disposed at the end of the test.</summary>
    protected IResultBackend Open()
    {
        var backend = OpenBackend(Expires, Clock);
        _opened.Add(backend);
        return backend;
    }
}
