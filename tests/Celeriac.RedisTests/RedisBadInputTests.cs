using System.Text;
using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Redis;
using Celeriac.Worker;
using StackExchange.Redis;

namespace Celeriac.RedisTests;

/// <summary>
/// Bad input on the wire, pushed raw (LPUSH) into a real redis-server beside good tasks: each bad element is logged,
/// moved byte for byte to <c>_celeriac.dead.&lt;queue&gt;</c>, a FAILURE is stored when its task id could be read,
/// nothing stays in <c>unacked</c>, and the worker goes on running the good tasks. The dead list requeues with LMOVE.
/// </summary>
public sealed class RedisBadInputTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const string Queue = "dirty";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly RedisServer _server;

    public RedisBadInputTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string> Cases() => ["garbage-json", "not-an-object", "invalid-utf8", "bad-base64", "no-task", "unknown-content-type", "pickle", "unknown-task"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_element_is_logged_moved_to_the_dead_letter_list_and_the_worker_goes_on(string kind)
    {
        var logs = new ListLogger();
        await using var app = CreateApp(logs);
        app.Task<int>("interop.add", (int x, int y) => x + y);
        var id = Guid.NewGuid().ToString();
        var raw = BadElement(kind, id);
        var db = _server.Db(0);
        var before = await app.SendTaskAsync("interop.add", [1, 1], options: new ApplyOptions { Queue = Queue });
        await db.ListLeftPushAsync(Queue, raw);
        var after = await app.SendTaskAsync("interop.add", [2, 2], options: new ApplyOptions { Queue = Queue });

        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = [Queue] });

        Assert.Equal(2, await before.GetAsync<int>(Wait));
        Assert.Equal(4, await after.GetAsync<int>(Wait));
        var dead = await db.ListRangeAsync("_celeriac.dead." + Queue);
        Assert.Single(dead);
        Assert.Equal(raw, (byte[])dead[0]!);
        Assert.Equal(0, await db.HashLengthAsync("unacked"));
        Assert.Equal(0, await db.SortedSetLengthAsync("unacked_index"));
        Assert.Equal(0, await app.Transport.GetQueueLengthAsync(Queue));
        Assert.Contains(logs.Lines, l => l.Contains("_celeriac.dead." + Queue, StringComparison.Ordinal));

        var expected = kind switch
        {
            "bad-base64" or "no-task" => "InvalidTaskError",
            "unknown-content-type" or "pickle" => "ContentDisallowed",
            "unknown-task" => "NotRegistered",
            _ => null,
        };
        if (expected is null)
        {
            // No readable id: nothing to record a result against; the log line and the dead list hold it.
            Assert.False(await _server.Db(1).KeyExistsAsync("celery-task-meta-" + id));
            return;
        }

        var result = app.AsyncResult(id);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(Wait));
        Assert.Equal(expected, failure.ExcType);
        Assert.Equal("FAILURE", result.State);
    }

    [Fact]
    public async Task A_dead_lettered_task_requeued_with_lmove_runs_once_its_task_is_known()
    {
        var db = _server.Db(0);
        await using (var first = CreateApp(new ListLogger()))
        {
            await using var worker = await first.StartWorkerAsync(first.Options.Worker with { Concurrency = 1, Queues = [Queue] });
            var unknown = await first.SendTaskAsync("interop.mul", [6, 7], options: new ApplyOptions { Queue = Queue });
            await Assert.ThrowsAsync<TaskFailedException>(async () => await unknown.GetAsync(Wait));
            Assert.Equal(1, await db.ListLengthAsync("_celeriac.dead." + Queue));
            await first.Backend.ForgetAsync(unknown.Id);

            // The documented requeue: the oldest dead letter back to the consumed end of its queue.
            await worker.StopAsync();
            await db.ExecuteAsync("LMOVE", (RedisKey)("_celeriac.dead." + Queue), (RedisKey)Queue, "RIGHT", "RIGHT");
            await using var second = CreateApp(new ListLogger());
            second.Task<int>("interop.mul", (int x, int y) => x * y);
            await using var fixedWorker = await second.StartWorkerAsync(second.Options.Worker with { Concurrency = 1, Queues = [Queue] });
            Assert.Equal(42, await second.AsyncResult(unknown.Id).GetAsync<int>(Wait));
        }

        Assert.Equal(0, await db.ListLengthAsync("_celeriac.dead." + Queue));
    }

    /// <summary>A real Python envelope (fixture 01) spoiled one way, or not an envelope at all.</summary>
    private static byte[] BadElement(string kind, string id)
    {
        var template = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "01-add-delay.raw"));
        var env = JsonNode.Parse(template)!.AsObject();
        var headers = env["headers"]!.AsObject();
        headers["id"] = id;
        headers["root_id"] = id;
        env["properties"]!["correlation_id"] = id;
        env["properties"]!["delivery_info"]!["routing_key"] = Queue;
        env["properties"]!["delivery_tag"] = Guid.NewGuid().ToString();
        switch (kind)
        {
            case "garbage-json":
                return "{\"body\": \"W1syLCAzXSwge30sIHt9XQ==\", \"headers\": {\"id\": "u8.ToArray();
            case "not-an-object":
                return "[\"a JSON list is no envelope\"]"u8.ToArray();
            case "invalid-utf8":
                return [0xff, 0xfe, 0x00, 0x7b, 0x22, 0xc3];
            case "bad-base64":
                env["body"] = "not base64 at all!";
                break;
            case "no-task":
                headers.Remove("task");
                break;
            case "unknown-content-type":
                env["content-type"] = "application/x-made-up";
                break;
            case "pickle":
                // A real pickle of (2, 3): it must be refused, never unpickled.
                env["content-type"] = "application/x-python-serialize";
                env["content-encoding"] = "binary";
                env["body"] = Convert.ToBase64String([0x80, 0x04, 0x95, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x02, 0x4b, 0x03, 0x86, 0x94, 0x2e]);
                break;
            case "unknown-task":
                headers["task"] = "nobody.knows.me";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }

        return Encoding.UTF8.GetBytes(env.ToJsonString());
    }

    private CeleriacApp CreateApp(ListLogger logs) => new(
        new CeleriacOptions { BrokerUrl = _server.Url(0), ResultBackend = _server.Url(1) },
        new CeleriacServices { LoggerFactory = logs }.AddRedis());
}
