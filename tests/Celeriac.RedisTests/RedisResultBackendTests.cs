using System.Text;
using Celeriac.Backends;
using Celeriac.Protocol;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Celeriac.RedisTests;

/// <summary>What the Redis result backend writes (Celery §5): the key, its TTL, and the same JSON published on the key's channel.</summary>
public sealed class RedisResultBackendTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _server;

    public RedisResultBackendTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private RedisResultBackend NewBackend() =>
        new(new ResultBackendContext(BrokerUrl.Parse(_server.Url(1)), TimeSpan.FromDays(1), TimeProvider.System, NullLoggerFactory.Instance));

    [Fact]
    public async Task A_stored_state_is_setex_result_expires_and_published_on_the_key_channel()
    {
        await using var backend = NewBackend();
        var id = Guid.NewGuid().ToString();
        var key = "celery-task-meta-" + id;
        var published = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = await _server.Admin.GetSubscriber().SubscribeAsync(RedisChannel.Literal(key));
        subscription.OnMessage(m => published.TrySetResult(m.Message!));
        var meta = new ResultMeta { TaskId = id, Status = TaskStates.Success, Result = 5, DateDone = new DateTime(2026, 11, 24, 6, 7, 20, 990, DateTimeKind.Utc) };

        await backend.StoreAsync(meta);

        var db = _server.Db(1);
        var stored = (string)(await db.StringGetAsync(key))!;
        Assert.Equal(Encoding.UTF8.GetString(ResultMetaCodec.Encode(meta)), stored);
        Assert.StartsWith("{\"status\": \"SUCCESS\", \"result\": 5, \"traceback\": null, \"children\": [], \"date_done\": \"2026-11-24T06:07:20.990000\", \"task_id\": ", stored, StringComparison.Ordinal);
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value.TotalSeconds, 86390, 86400);
        Assert.Equal(stored, await published.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(_server.Db(0).Multiplexer.GetServer("127.0.0.1", _server.Port).Keys(0, "*"));
        await subscription.UnsubscribeAsync();
    }

    [Fact]
    public async Task Forget_deletes_the_key()
    {
        await using var backend = NewBackend();
        var id = Guid.NewGuid().ToString();
        await backend.StoreAsync(new ResultMeta { TaskId = id, Status = TaskStates.Success, Result = 1 });

        await backend.ForgetAsync(id);

        Assert.False(await _server.Db(1).KeyExistsAsync("celery-task-meta-" + id));
    }

    [Fact]
    public async Task A_waiter_wakes_on_a_publish_by_another_writer_and_leaves_no_subscription_behind()
    {
        await using var backend = NewBackend();
        var id = Guid.NewGuid().ToString();
        var key = "celery-task-meta-" + id;
        var waiting = backend.WaitForReadyAsync(id).AsTask();
        var subscribed = false;
        for (var i = 0; i < 100 && !subscribed; i++)
        {
            var channels = (RedisResult[])(await _server.Db(1).ExecuteAsync("PUBSUB", "CHANNELS", key))!;
            subscribed = channels.Length == 1;
            await Task.Delay(20);
        }

        Assert.True(subscribed);

        // A writer that is not us (Python's worker does exactly this): SETEX and PUBLISH in one transaction.
        var json = "{\"status\": \"FAILURE\", \"result\": {\"exc_type\": \"ValueError\", \"exc_message\": [\"boom\"], \"exc_module\": \"builtins\"}, \"traceback\": \"Traceback...\", \"children\": [], \"date_done\": \"2026-11-24T06:07:20.990504\", \"task_id\": \"" + id + "\"}";
        var tran = _server.Db(1).CreateTransaction();
        _ = tran.StringSetAsync(key, json, TimeSpan.FromDays(1));
        _ = tran.PublishAsync(RedisChannel.Literal(key), json);
        await tran.ExecuteAsync();

        var meta = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TaskStates.Failure, meta.Status);
        Assert.Equal("ValueError", meta.Exception?.Type);
        Assert.Equal("builtins", meta.Exception?.Module);
        var left = (RedisResult[])(await _server.Db(1).ExecuteAsync("PUBSUB", "CHANNELS", key))!;
        Assert.Empty(left);
    }
}
