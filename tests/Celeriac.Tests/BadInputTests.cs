using System.Text;
using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Tests;

public sealed class BadInputTests
{
    [Fact]
    public async Task Wrong_arity_fails_with_a_python_type_error_and_the_worker_keeps_going()
    {
        await using var app = TestApp.Create();
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync();

        var bad = await add.DelayAsync(1, 2, 3);
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await bad.GetAsync(TestApp.Timeout));
        Assert.Equal("TypeError", error.ExcType);
        Assert.Equal("builtins", error.ExcModule);
        Assert.Equal("tasks.add() takes 2 positional arguments but 3 were given", error.ExcMessage);

        var missing = await add.DelayAsync(1);
        error = await Assert.ThrowsAsync<TaskFailedException>(async () => await missing.GetAsync(TestApp.Timeout));
        Assert.Equal("tasks.add() missing 1 required positional argument: 'y'", error.ExcMessage);

        Assert.Equal(3, await (await add.DelayAsync(1, 2)).GetAsync(TestApp.Timeout));
    }

    [Fact]
    public async Task Keyword_arguments_bind_by_name_and_snake_case_finds_camel_case()
    {
        await using var app = TestApp.Create();
        var f = app.Task<string>("tasks.describe", (string userName, int count = 2) => $"{userName}:{count}");
        await using var worker = await app.StartWorkerAsync();

        var r1 = await f.ApplyAsync(kwargs: new Dictionary<string, object?> { ["user_name"] = "ann" });
        Assert.Equal("ann:2", await r1.GetAsync(TestApp.Timeout));
        var r2 = await f.ApplyAsync(["bob"], new Dictionary<string, object?> { ["count"] = 5 });
        Assert.Equal("bob:5", await r2.GetAsync(TestApp.Timeout));

        var r3 = await f.ApplyAsync(["bob"], new Dictionary<string, object?> { ["nope"] = 1 });
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await r3.GetAsync(TestApp.Timeout));
        Assert.Equal("tasks.describe() got an unexpected keyword argument 'nope'", error.ExcMessage);

        var r4 = await f.ApplyAsync(["bob"], new Dictionary<string, object?> { ["user_name"] = "x" });
        error = await Assert.ThrowsAsync<TaskFailedException>(async () => await r4.GetAsync(TestApp.Timeout));
        Assert.Equal("tasks.describe() got multiple values for argument 'user_name'", error.ExcMessage);
    }

    [Fact]
    public async Task Wrong_argument_types_fail_with_a_clear_type_error()
    {
        await using var app = TestApp.Create();
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync();

        var bad = await add.DelayAsync("a", 2);
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await bad.GetAsync(TestApp.Timeout));
        Assert.Equal("TypeError", error.ExcType);
        Assert.Equal("tasks.add() argument 'x' must be int, got 'a'", error.ExcMessage);

        var none = await add.DelayAsync(null, 2);
        error = await Assert.ThrowsAsync<TaskFailedException>(async () => await none.GetAsync(TestApp.Timeout));
        Assert.Equal("tasks.add() argument 'x' must be int, not None", error.ExcMessage);
    }

    [Fact]
    public async Task Unknown_task_is_stored_as_not_registered_and_removed_from_the_queue()
    {
        await using var app = TestApp.Create();
        app.Task("tasks.known", () => 1);
        await using var worker = await app.StartWorkerAsync();

        var result = await app.SendTaskAsync("tasks.unknown", [1]);
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("NotRegistered", error.ExcType);
        Assert.Equal("celery.exceptions", error.ExcModule);
        Assert.Equal("tasks.unknown", error.ExcMessage);
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync("celery"));
        Assert.Equal(1, await (await app.SendTaskAsync("tasks.known")).GetAsync<int>(TestApp.Timeout));
    }

    [Fact]
    public async Task Malformed_body_is_rejected_with_the_reason_stored_under_its_id()
    {
        await using var app = TestApp.Create();
        app.Task("tasks.known", () => 1);
        await using var worker = await app.StartWorkerAsync();
        var id = Guid.NewGuid().ToString();

        await app.Transport.PublishAsync(
            new TransportMessage
            {
                Body = Encoding.UTF8.GetBytes("[[1, 2], {}, {"),
                Headers = new JsonObject { ["task"] = "tasks.known", ["id"] = id },
            },
            string.Empty,
            "celery");

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await app.AsyncResult(id).GetAsync(TestApp.Timeout));
        Assert.Equal("InvalidTaskError", error.ExcType);
        Assert.Contains("not valid JSON", error.ExcMessage, StringComparison.Ordinal);
        Assert.Equal(1, await (await app.SendTaskAsync("tasks.known")).GetAsync<int>(TestApp.Timeout));
    }

    [Fact]
    public async Task Pickle_is_refused_and_never_deserialized()
    {
        await using var app = TestApp.Create();
        app.Task("tasks.known", () => 1);
        await using var worker = await app.StartWorkerAsync();
        var id = Guid.NewGuid().ToString();

        await app.Transport.PublishAsync(
            new TransportMessage
            {
                Body = new byte[] { 0x80, 0x04, 0x95 },
                ContentType = ContentTypes.Pickle,
                ContentEncoding = ContentTypes.BinaryEncoding,
                Headers = new JsonObject { ["task"] = "tasks.known", ["id"] = id },
            },
            string.Empty,
            "celery");

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await app.AsyncResult(id).GetAsync(TestApp.Timeout));
        Assert.Equal("ContentDisallowed", error.ExcType);
        Assert.Contains("pickle (application/x-python-serialize) is refused", error.ExcMessage, StringComparison.Ordinal);
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync("celery"));
        Assert.Equal(1, await (await app.SendTaskAsync("tasks.known")).GetAsync<int>(TestApp.Timeout));
    }

    [Fact]
    public async Task A_task_exception_is_stored_with_celery_fields_and_a_traceback()
    {
        await using var app = TestApp.Create();
        var boom = app.Task("tasks.boom", int (string m) => throw new InvalidOperationException(m));
        var py = app.Task("tasks.py", int (string m) => throw TaskFailedException.Python("ValueError", m));
        await using var worker = await app.StartWorkerAsync();

        var r = await boom.DelayAsync("bad state");
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await r.GetAsync(TestApp.Timeout));
        Assert.Equal("InvalidOperationException", error.ExcType);
        Assert.Equal("System", error.ExcModule);
        Assert.Equal("bad state", error.ExcMessage);
        Assert.StartsWith("Traceback (most recent call last):", error.RemoteTraceback, StringComparison.Ordinal);
        Assert.True(r.Failed);

        var r2 = await py.DelayAsync("boom");
        error = await Assert.ThrowsAsync<TaskFailedException>(async () => await r2.GetAsync(TestApp.Timeout));
        Assert.Equal("ValueError('boom')", error.Message);
        var meta = await app.Backend.GetAsync(r2.Id);
        Assert.Equal("""{"exc_type":"ValueError","exc_message":["boom"],"exc_module":"builtins"}""", meta!.Result!.ToJsonString());

        var noThrow = await r2.GetAsync(TestApp.Timeout, propagate: false);
        Assert.Equal("ValueError", noThrow!["exc_type"]!.GetValue<string>());
    }
}
