using Celeriac.Backends;
using Celeriac.Conformance;
using Celeriac.Protocol;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>The exact Redis commands, in order, compared with what kombu and Celery issue (Celery §4.3, §4.5, §5.5).</summary>
public sealed class RedisCommandTraceTests : IClassFixture<RedisServer>
{
    private readonly RedisServer _server;

    public RedisCommandTraceTests(RedisServer server)
    {
        _server = server;
        server.FlushAll();
    }

    [Fact]
    public async Task Publish_consume_ack_and_result_store_issue_kombus_and_celerys_commands()
    {
        await using var transport = new RedisTransport(new TransportContext(BrokerUrl.Parse(_server.Url(0)), new Dictionary<string, string>(), TimeProvider.System, NullLoggerFactory.Instance));
        await using var backend = new RedisResultBackend(new ResultBackendContext(BrokerUrl.Parse(_server.Url(1)), TimeSpan.FromDays(1), TimeProvider.System, NullLoggerFactory.Instance));
        await transport.GetQueueLengthAsync("warm-up");
        await backend.GetAsync("warm-up");
        await using var monitor = await RedisMonitor.StartAsync(_server.Port);

        await transport.PublishAsync(TestMessages.Text("x"), string.Empty, "celery");
        var consumer = await transport.ConsumeAsync(["celery"], 1);
        await using (var reader = new DeliveryReader(consumer))
        {
            var delivery = await reader.ReceiveAsync();
            await delivery.AckAsync();
        }

        var id = Guid.NewGuid().ToString();
        await backend.StoreAsync(new ResultMeta { TaskId = id, Status = TaskStates.Success, Result = 5 });
        await Task.Delay(200);

        var commands = monitor.Commands.Where(c => !c.StartsWith("\"PING\"", StringComparison.Ordinal) && !c.StartsWith("\"ECHO\"", StringComparison.Ordinal)
            && !c.StartsWith("\"CLIENT\"", StringComparison.Ordinal) && !c.StartsWith("\"INFO\"", StringComparison.Ordinal)
            && !c.StartsWith("\"CONFIG\"", StringComparison.Ordinal) && !c.StartsWith("\"CLUSTER\"", StringComparison.Ordinal)
            && !c.StartsWith("\"SUBSCRIBE\"", StringComparison.Ordinal) && !c.StartsWith("\"HELLO\"", StringComparison.Ordinal)
            && !c.StartsWith("\"SELECT\"", StringComparison.Ordinal) && !c.StartsWith("\"GET\" \"__Booksleeve", StringComparison.Ordinal)).ToList();
        var text = string.Join("\n", commands);

        Assert.Matches(@"""LPUSH"" ""celery"" ""\{\\""body\\"": ", text);
        Assert.Matches(@"""SET"" ""unacked_mutex"" ""[0-9a-f]{32}"" ""PX"" ""300000"" ""NX""\n(.*\n)*?""ZREVRANGEBYSCORE"" ""unacked_index"" ""[0-9.]+"" ""0"" ""WITHSCORES""", text);
        Assert.Contains("\"BRPOP\" \"celery\" \"celery\\x06\\x163\" \"celery\\x06\\x166\" \"celery\\x06\\x169\" \"1\"", text, StringComparison.Ordinal);
        Assert.Matches(@"""MULTI""\n""ZADD"" ""unacked_index"" ""[0-9.]+"" ""[0-9a-f-]{36}""\n""HSET"" ""unacked"" ""[0-9a-f-]{36}"" ""\[\{\\""body", text);
        Assert.Matches(@"""MULTI""\n""ZREM"" ""unacked_index"" ""[0-9a-f-]{36}""\n""HDEL"" ""unacked"" ""[0-9a-f-]{36}""\n""EXEC""", text);
        Assert.Matches(@"""GET"" ""celery-task-meta-" + id + @"""\n(""[A-Z]+"".*\n)*?""MULTI""\n""SETEX"" ""celery-task-meta-" + id + @""" ""86400"" ""\{\\""status\\"": \\""SUCCESS\\"".*\n""PUBLISH"" ""celery-task-meta-" + id + @""" ""\{\\""status\\"": \\""SUCCESS\\"".*\n""EXEC""", text);
    }
}
