using Celeriac.Backends;
using Celeriac.Conformance;
using Celeriac.Protocol;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>
/// The exact Redis commands, in order, compared with what kombu and Celery issue (Celery §4.3, §4.5, §5.5): the same keys
/// and values; where Celeriac departs (a pop script while queues are busy, batched acks, a one-step result write) the
/// records it leaves are kombu's and Celery's (docs/wire-compat.md).
/// </summary>
public sealed class RedisCommandTraceTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _server;

    public RedisCommandTraceTests(RedisServer server)
    {
        _server = server;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Publish_consume_ack_and_result_store_issue_kombus_and_celerys_commands()
    {
        await using var transport = new RedisTransport(new TransportContext(BrokerUrl.Parse(_server.Url(0)), new Dictionary<string, string>(), TimeProvider.System, NullLoggerFactory.Instance));
        await using var backend = new RedisResultBackend(new ResultBackendContext(BrokerUrl.Parse(_server.Url(1)), TimeSpan.FromDays(1), TimeProvider.System, NullLoggerFactory.Instance));
        await transport.GetQueueLengthAsync("warm-up");
        await backend.GetAsync("warm-up");
        await using var monitor = await RedisMonitor.StartAsync(_server.Port);

        var consumer = await transport.ConsumeAsync(["celery"], 1);
        await using (var reader = new DeliveryReader(consumer))
        {
            // Idle: the consumer blocks in kombu's BRPOP, so the first message comes that way.
            for (var i = 0; i < 400 && !monitor.Commands.Any(c => c.StartsWith("\"BRPOP\"", StringComparison.Ordinal)); i++)
            {
                await Task.Delay(25);
            }

            await transport.PublishAsync(TestMessages.Text("x"), string.Empty, "celery");
            var first = await reader.ReceiveAsync();

            // Busy: the next one waits while the prefetch of 1 is full, then the pop script takes it.
            await transport.PublishAsync(TestMessages.Text("y"), string.Empty, "celery");
            await first.AckAsync();
            var second = await reader.ReceiveAsync();
            Assert.Equal("y", TestMessages.BodyOf(second));
            await second.AckAsync();
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

        // The pop script: the same unacked records as kombu's QoS.append, in the same atomic step as the pop.
        Assert.Matches(@"""EVAL(SHA)?"" "".*?"" ""10"" ""celery"" ""celery\\x06\\x163""(.*\n)*?""RPOP"" ""celery"" ""1""\n""ZADD"" ""unacked_index"" ""[0-9.]+"" ""[0-9a-f-]{36}""\n""HSET"" ""unacked"" ""[0-9a-f-]{36}"" ""\[\{\\""body", text);

        // Acks: HDEL then ZREM of every tag acked meanwhile (here one each).
        Assert.Matches(@"""HDEL"" ""unacked"" ""[0-9a-f-]{36}""\n""ZREM"" ""unacked_index"" ""[0-9a-f-]{36}""", text);

        // Celery's result write (GET, SETEX, PUBLISH) in one script.
        Assert.Matches(@"""EVAL(SHA)?"" "".*?"" ""1"" ""celery-task-meta-" + id + @"""(.*\n)*?""GET"" ""celery-task-meta-" + id + @"""\n""SETEX"" ""celery-task-meta-" + id + @""" ""86400"" ""\{\\""status\\"": \\""SUCCESS\\"".*\n""PUBLISH"" ""celery-task-meta-" + id + @""" ""\{\\""status\\"": \\""SUCCESS\\""", text);
    }
}
