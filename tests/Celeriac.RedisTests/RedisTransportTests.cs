using System.Text;
using System.Text.Json.Nodes;
using Celeriac.Conformance;
using Celeriac.Protocol;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Celeriac.RedisTests;

/// <summary>What the Redis transport writes, key by key and byte by byte, as kombu does (Celery §4).</summary>
public sealed class RedisTransportTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const string Sep = "\x06\x16";
    private readonly RedisServer _server;
    private readonly List<IAsyncDisposable> _opened = [];

    public RedisTransportTests(RedisServer server)
    {
        _server = server;
    }

    private IDatabase Db => _server.Db(0);

    public Task InitializeAsync() => _server.FlushAllAsync();

    public async Task DisposeAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            await _opened[i].DisposeAsync();
        }
    }

    [Fact]
    public async Task Published_envelope_is_byte_for_byte_what_kombu_lpushes()
    {
        var fixture = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "01-add-delay.raw"));
        var message = KombuEnvelope.Decode(fixture).Message;
        var transport = Open();

        await transport.PublishAsync(message, string.Empty, "celery");

        Assert.Equal("list", await TypeAsync("celery"));
        var pushed = (byte[])(await Db.ListRangeAsync("celery"))[0]!;
        var ours = KombuEnvelope.Decode(pushed).DeliveryTag;
        Assert.True(Guid.TryParse(ours, out var tag) && tag.Version == 4, ours);
        var expected = Encoding.UTF8.GetString(fixture).Replace("208de955-ce5b-4f82-95c2-77f7d7ae8c6f", ours, StringComparison.Ordinal);
        Assert.Equal(expected, Encoding.UTF8.GetString(pushed));
    }

    [Fact]
    public async Task An_envelope_without_body_encoding_carries_its_body_as_text()
    {
        // Celery §2.6: a producer that writes the JSON body as is, without body_encoding, is accepted by Python workers.
        const string Raw = "{\"body\": \"[[2, 3], {}, {}]\", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", "
            + "\"headers\": {\"task\": \"interop.add\", \"id\": \"raw-1\"}, \"properties\": {\"delivery_info\": {\"exchange\": \"\", \"routing_key\": \"celery\"}, "
            + "\"delivery_tag\": \"raw-tag\"}}";
        await Db.ListLeftPushAsync("celery", Raw);
        var transport = Open();

        await using var reader = await ConsumeAsync(transport, 1, "celery");
        var delivery = await reader.ReceiveAsync();

        Assert.Equal("[[2, 3], {}, {}]", TestMessages.BodyOf(delivery));
        Assert.Equal("raw-tag", ((RedisDelivery)delivery).Tag);
        Assert.True(await Db.HashExistsAsync("unacked", "raw-tag"));
        await delivery.AckAsync();
    }

    [Fact]
    public async Task Priorities_land_in_kombus_step_lists_and_lower_steps_are_consumed_first()
    {
        var transport = Open();
        var fixture = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "07-priority-5.raw"));
        await transport.PublishAsync(KombuEnvelope.Decode(fixture).Message, string.Empty, "celery");
        await transport.PublishAsync(TestMessages.Text("p9", priority: 9), string.Empty, "celery");
        await transport.PublishAsync(TestMessages.Text("p3", priority: 3), string.Empty, "celery");
        await transport.PublishAsync(TestMessages.Text("p0", priority: 0), string.Empty, "celery");
        await transport.PublishAsync(TestMessages.Text("p2", priority: 2), string.Empty, "celery");
        await transport.PublishAsync(TestMessages.Text("p12", priority: 12), string.Empty, "celery");

        Assert.Equal(2, await Db.ListLengthAsync("celery"));
        Assert.Equal(2, await Db.ListLengthAsync("celery" + Sep + "3"));
        Assert.Equal(0, await Db.ListLengthAsync("celery" + Sep + "6"));
        Assert.Equal(2, await Db.ListLengthAsync("celery" + Sep + "9"));
        Assert.Equal(6, await transport.GetQueueLengthAsync("celery"));

        await using var reader = await ConsumeAsync(transport, 0, "celery");
        var bodies = (await reader.ReceiveAsync(6)).Select(d => d.Message.Headers["task"] is null ? TestMessages.BodyOf(d) : "fixture-p5");

        // Within a step, publish order: 5 and 3 share the step-3 list (kombu's default steps).
        Assert.Equal(["p0", "p2", "fixture-p5", "p3", "p9", "p12"], bodies);
    }

    [Fact]
    public async Task With_topic_task_exchanges_tasks_go_through_the_queues_exchange_by_kombus_topic_binding_and_run()
    {
        var url = _server.Url(0);
        await using var app = new CeleriacApp(
            new CeleriacOptions { BrokerUrl = url, ResultBackend = url, Task = new TaskOptions { DefaultExchangeType = TaskOptions.TopicExchangeType } },
            new CeleriacServices().AddRedis());
        app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await Celeriac.Worker.CeleriacAppWorkerExtensions.StartWorkerAsync(app, app.Options.Worker with { Concurrency = 1, Queues = ["topical"] });

        var result = await app.SendTaskAsync("tasks.add", [1, 2], options: new Celeriac.Client.ApplyOptions { Queue = "topical" });

        Assert.Equal(3, await result.GetAsync<int>(TimeSpan.FromSeconds(30)));
        Assert.Equal(["topical" + Sep + "^topical$" + Sep + "topical"], (await Db.SetMembersAsync("_kombu.binding.topical")).Select(m => m.ToString()));
    }

    [Fact]
    public async Task Bindings_are_kombu_set_members_and_named_exchanges_route_through_them()
    {
        var transport = Open();
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("celery"));
        await transport.BindQueueAsync("celery", "celery", "celery");
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("tasks", ExchangeType.Topic));
        await transport.BindQueueAsync("images", "tasks", "image.*");

        Assert.Equal(["celery" + Sep + Sep + "celery"], (await Db.SetMembersAsync("_kombu.binding.celery")).Select(m => m.ToString()));
        Assert.Equal(["image.*" + Sep + @"^image\..*?[^\.]$" + Sep + "images"], (await Db.SetMembersAsync("_kombu.binding.tasks")).Select(m => m.ToString()));

        // A Python producer publishing to the named exchange finds the same binding (checklist 11).
        await transport.PublishAsync(TestMessages.Text("x"), "celery", "celery");
        var envelope = KombuEnvelope.Decode((byte[])(await Db.ListRightPopAsync("celery"))!);
        Assert.Equal("celery", envelope.Exchange);
        Assert.Equal("celery", envelope.RoutingKey);
    }

    [Fact]
    public async Task A_held_delivery_is_in_unacked_and_unacked_index_until_acked()
    {
        var transport = Open();
        await transport.PublishAsync(TestMessages.Text("held"), string.Empty, "celery");
        var envelope = (byte[])(await Db.ListRangeAsync("celery"))[0]!;
        var tag = KombuEnvelope.Decode(envelope).DeliveryTag;
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        await using var reader = await ConsumeAsync(transport, 1, "celery");
        var delivery = await reader.ReceiveAsync();

        Assert.Equal("hash", await TypeAsync("unacked"));
        Assert.Equal("zset", await TypeAsync("unacked_index"));
        var entry = (byte[])(await Db.HashGetAsync("unacked", tag))!;
        Assert.Equal("[" + Encoding.UTF8.GetString(envelope) + ", \"\", \"celery\"]", Encoding.UTF8.GetString(entry));
        var score = await Db.SortedSetScoreAsync("unacked_index", tag);
        Assert.InRange(score!.Value, before - 1, before + 5);
        Assert.Equal(0, await Db.ListLengthAsync("celery"));

        await delivery.AckAsync();

        Assert.False(await Db.KeyExistsAsync("unacked"));
        Assert.False(await Db.KeyExistsAsync("unacked_index"));
    }

    [Fact]
    public async Task Reject_with_requeue_goes_to_the_back_and_dispose_puts_held_ones_at_the_head_flagged_redelivered()
    {
        var transport = Open();
        foreach (var body in new[] { "a", "b", "c" })
        {
            await transport.PublishAsync(TestMessages.Text(body), string.Empty, "celery");
        }

        await using (var reader = await ConsumeAsync(transport, 1, "celery"))
        {
            var a = await reader.ReceiveAsync();
            await a.RejectAsync(requeue: true);
            Assert.Equal("b", TestMessages.BodyOf(await reader.ReceiveAsync()));
        }

        // RPOP order is consumption order: b (restored to the head), c, then a (requeued to the back).
        var order = new List<string>();
        while ((byte[]?)await Db.ListRightPopAsync("celery") is { } raw)
        {
            var envelope = KombuEnvelope.Decode(raw);
            order.Add(Encoding.UTF8.GetString(envelope.Message.Body.Span) + (envelope.Redelivered ? "*" : string.Empty));
            if (envelope.Redelivered)
            {
                var json = JsonNode.Parse(raw)!;
                Assert.True((bool)json["headers"]!["redelivered"]!);
                Assert.True((bool)json["properties"]!["delivery_info"]!["redelivered"]!);
            }
        }

        Assert.Equal(["b*", "c", "a*"], order);
        Assert.False(await Db.KeyExistsAsync("unacked"));
    }

    [Fact]
    public async Task A_stale_entry_left_by_a_crashed_python_worker_is_restored_at_consumer_start()
    {
        // What a Python worker killed mid-task leaves behind: the envelope in `unacked`, an old score in `unacked_index`.
        var fixture = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "01-add-delay.raw"));
        const string Tag = "208de955-ce5b-4f82-95c2-77f7d7ae8c6f";
        var old = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0) - 30;
        await Db.HashSetAsync("unacked", Tag, "[" + Encoding.UTF8.GetString(fixture) + ", \"\", \"celery\"]");
        await Db.SortedSetAddAsync("unacked_index", Tag, old);
        var transport = Open(("visibility_timeout", "10"));

        await using var reader = await ConsumeAsync(transport, 1, "celery");
        var delivery = await reader.ReceiveAsync();

        Assert.True(delivery.Redelivered);
        Assert.Equal("interop.add", (string?)delivery.Message.Headers["task"]);
        Assert.Equal(Tag, ((RedisDelivery)delivery).Tag);
        await delivery.AckAsync();
        Assert.False(await Db.KeyExistsAsync("unacked"));

        // The restore releases kombu's mutex after it has pushed the message back, and the fetch loop may deliver that
        // message first: wait for the release (a mutex left behind would live for its 300 s expiry).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await Db.KeyExistsAsync("unacked_mutex") && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        Assert.False(await Db.KeyExistsAsync("unacked_mutex"), "the restore did not release unacked_mutex");
    }

    [Fact]
    public async Task A_live_consumer_keeps_the_score_of_what_it_holds_fresh()
    {
        var transport = Open(("visibility_timeout", "1.5"));
        await transport.PublishAsync(TestMessages.Text("long task"), string.Empty, "celery");
        await using var reader = await ConsumeAsync(transport, 1, "celery");
        var delivery = (RedisDelivery)await reader.ReceiveAsync();
        var first = (await Db.SortedSetScoreAsync("unacked_index", delivery.Tag))!.Value;

        await Task.Delay(TimeSpan.FromSeconds(3));

        // Still held, never restored (the consumer's own restore pass ran too), and its score moved on.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var score = (await Db.SortedSetScoreAsync("unacked_index", delivery.Tag))!.Value;
        Assert.True(score > first + 1.5, $"score {score} vs first {first}");
        Assert.True(now - score < 1.5, $"score is {now - score}s old");
        Assert.Equal(0, await Db.ListLengthAsync("celery"));
        Assert.False(delivery.Redelivered);
        await delivery.AckAsync();
    }

    [Fact]
    public async Task Fanout_is_publish_on_the_db_prefixed_channel_and_the_binding_key_filters_by_glob()
    {
        var transport = Open();
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("celeryev", ExchangeType.Fanout));
        await transport.BindQueueAsync("monitor", "celeryev", "#");
        await transport.BindQueueAsync("workers-only", "celeryev", "worker.#");
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("celery.pidbox", ExchangeType.Fanout));
        await transport.BindQueueAsync("node.celery.pidbox", "celery.pidbox", string.Empty);

        var raw = new List<string>();
        var sub = _server.Admin.GetSubscriber();
        var queue = await sub.SubscribeAsync(RedisChannel.Pattern("/0.*"));
        queue.OnMessage(m =>
        {
            lock (raw)
            {
                raw.Add(m.Channel.ToString());
            }
        });

        await using var monitor = await ConsumeAsync(transport, 0, "monitor");
        await using var workers = await ConsumeAsync(transport, 0, "workers-only");
        await using var pidbox = await ConsumeAsync(transport, 0, "node.celery.pidbox");

        await transport.PublishAsync(TestMessages.Text("hb"), "celeryev", "worker.heartbeat");
        await transport.PublishAsync(TestMessages.Text("task"), "celeryev", "task.multi");
        await transport.PublishAsync(TestMessages.Text("ping"), "celery.pidbox", string.Empty);

        Assert.Equal(["hb", "task"], (await monitor.ReceiveAsync(2)).Select(TestMessages.BodyOf));
        Assert.Equal("hb", TestMessages.BodyOf(await workers.ReceiveAsync()));
        Assert.Null(await workers.TryReceiveAsync(TestTimeouts.Silence));
        var ping = await pidbox.ReceiveAsync();
        Assert.Equal("ping", TestMessages.BodyOf(ping));
        await ping.AckAsync();
        await Assert.ThrowsAsync<MessageStateException>(() => ping.AckAsync().AsTask());

        lock (raw)
        {
            Assert.Equal(["/0.celeryev/worker.heartbeat", "/0.celeryev/task.multi", "/0.celery.pidbox"], raw);
        }

        Assert.Equal(["#" + Sep + Sep + "monitor", "worker.#" + Sep + Sep + "workers-only"], (await Db.SetMembersAsync("_kombu.binding.celeryev")).Select(m => m.ToString()).Order());
        await queue.UnsubscribeAsync();
    }

    [Fact]
    public async Task Global_keyprefix_prefixes_every_key_and_channel()
    {
        var transport = Open(("global_keyprefix", "app:"));
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("celery"));
        await transport.BindQueueAsync("celery", "celery", "celery");
        await transport.PublishAsync(TestMessages.Text("x", priority: 9), "celery", "celery");

        Assert.True(await Db.KeyExistsAsync("app:_kombu.binding.celery"));
        Assert.True(await Db.KeyExistsAsync("app:celery" + Sep + "9"));
        await using var reader = await ConsumeAsync(transport, 1, "celery");
        var delivery = await reader.ReceiveAsync();
        Assert.Equal("celery", delivery.Queue);
        Assert.True(await Db.KeyExistsAsync("app:unacked"));
        Assert.True(await Db.KeyExistsAsync("app:unacked_index"));
        await delivery.AckAsync();
    }

    [Fact]
    public async Task Purge_and_delete_cover_every_priority_list_and_the_bindings()
    {
        var transport = Open();
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("jobs"));
        await transport.BindQueueAsync("work", "jobs", "work");
        await transport.BindQueueAsync("other", "jobs", "other");
        foreach (var p in new[] { 0, 3, 6, 9 })
        {
            await transport.PublishAsync(TestMessages.Text("m", priority: p), string.Empty, "work");
        }

        Assert.Equal(4, await transport.PurgeAsync("work"));
        await transport.PublishAsync(TestMessages.Text("m", priority: 6), string.Empty, "work");
        await transport.DeleteQueueAsync("work");

        Assert.Equal(0, await transport.GetQueueLengthAsync("work"));
        Assert.Equal(["other" + Sep + Sep + "other"], (await Db.SetMembersAsync("_kombu.binding.jobs")).Select(m => m.ToString()));
    }

    [Fact]
    public async Task Stop_ends_a_pending_blocking_pop_at_once()
    {
        var transport = Open();
        await using var reader = await ConsumeAsync(transport, 1, "idle");
        Assert.Null(await reader.TryReceiveAsync(TimeSpan.FromMilliseconds(300)));

        var sw = System.Diagnostics.Stopwatch.StartNew();
        await reader.Consumer.StopAsync();

        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(900), $"stop took {sw.Elapsed}");
    }

    /// <summary>The Redis TYPE reply itself (list, hash, zset, ...).</summary>
    private async Task<string> TypeAsync(string key) => (string)(await Db.ExecuteAsync("TYPE", key))!;

    private RedisTransport Open(params (string Key, string Value)[] options)
    {
        var transport = new RedisTransport(new TransportContext(
            BrokerUrl.Parse(_server.Url(0)),
            options.ToDictionary(o => o.Key, o => o.Value),
            TimeProvider.System,
            NullLoggerFactory.Instance));
        _opened.Add(transport);
        return transport;
    }

    private async Task<DeliveryReader> ConsumeAsync(RedisTransport transport, int prefetch, string queue)
    {
        var reader = new DeliveryReader(await transport.ConsumeAsync([queue], prefetch));
        _opened.Add(reader);
        return reader;
    }
}
