using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Time.Testing;
using static Celeriac.Conformance.TestMessages;

namespace Celeriac.Conformance;

/// <summary>
/// What every transport must do, driven only through <see cref="ITransport"/> (kombu's t/integration/common.py
/// plays this part for kombu). A subclass says how to open a transport on a broker private to each test. The few
/// tests that are virtual state kombu's virtual-transport semantics (priority 0 first, leases, round robin, silent
/// unroutable drops); a native broker whose semantics differ (AMQP) overrides them with its own, stated in its subclass.
/// </summary>
public abstract class TransportConformanceTests : IAsyncLifetime
{
    private const string Queue = "conformance";
    private readonly List<IAsyncDisposable> _opened = [];

    /// <summary>
    /// Opens a transport on this test's broker: every call during one test reaches the same broker (and so sees
    /// the same queues), and no other test's.
    /// </summary>
    protected abstract ITransport OpenTransport(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            await _opened[i].DisposeAsync();
        }
    }

    [Fact]
    public virtual async Task Published_message_arrives_with_its_body_headers_and_properties()
    {
        var transport = Open();
        var body = new byte[] { 0, 1, 2, 250, 255, (byte)'{' };
        var message = new TransportMessage
        {
            Body = body,
            ContentType = "application/x-test",
            ContentEncoding = "binary",
            Headers = Headers(("task", "tasks.add"), ("id", "0b1c"), ("retries", 3), ("eta", null), ("nested", new JsonObject { ["a"] = new JsonArray(1, "two") })),
            Properties = new MessageProperties
            {
                CorrelationId = "0b1c",
                ReplyTo = "reply-oid",
                DeliveryMode = 2,
                Priority = 0,
                Expiration = "60000",
                Extra = new JsonObject { ["replaced_task_nesting"] = 1 },
            },
        };

        await transport.PublishAsync(message, string.Empty, Queue);
        await using var reader = await ConsumeAsync(transport, Queue);
        var delivery = await reader.ReceiveAsync();

        Assert.Equal(body, delivery.Message.Body.ToArray());
        Assert.Equal("application/x-test", delivery.Message.ContentType);
        Assert.Equal("binary", delivery.Message.ContentEncoding);
        Assert.True(JsonNode.DeepEquals(message.Headers, delivery.Message.Headers), delivery.Message.Headers.ToJsonString());
        var p = delivery.Message.Properties;
        Assert.Equal("0b1c", p.CorrelationId);
        Assert.Equal("reply-oid", p.ReplyTo);
        Assert.Equal(2, p.DeliveryMode);
        Assert.Equal(0, p.Priority ?? 0);
        Assert.Equal("60000", p.Expiration);
        Assert.Equal(1, (int?)p.Extra?["replaced_task_nesting"]);
        Assert.Equal(Queue, delivery.Queue);
        Assert.Equal(string.Empty, delivery.Exchange);
        Assert.Equal(Queue, delivery.RoutingKey);
        Assert.False(delivery.Redelivered);
        Assert.False(delivery.IsSettled);
        await delivery.AckAsync();
        Assert.True(delivery.IsSettled);
    }

    [Fact]
    public async Task Messages_of_one_priority_arrive_in_publish_order()
    {
        var transport = Open();
        for (var i = 0; i < 20; i++)
        {
            await transport.PublishAsync(Text($"m{i}"), string.Empty, Queue);
        }

        await using var reader = await ConsumeAsync(transport, Queue);
        var bodies = (await reader.ReceiveAsync(20)).Select(BodyOf);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i}"), bodies);
    }

    [Fact]
    public virtual async Task Lower_priority_numbers_are_delivered_first()
    {
        var transport = Open();
        await transport.PublishAsync(Text("p5", priority: 5), string.Empty, Queue);
        await transport.PublishAsync(Text("p0-a", priority: 0), string.Empty, Queue);
        await transport.PublishAsync(Text("p9", priority: 9), string.Empty, Queue);
        await transport.PublishAsync(Text("none"), string.Empty, Queue);
        await transport.PublishAsync(Text("p0-b", priority: 0), string.Empty, Queue);
        await transport.PublishAsync(Text("p3", priority: 3), string.Empty, Queue);

        await using var reader = await ConsumeAsync(transport, Queue);
        var bodies = (await reader.ReceiveAsync(6)).Select(BodyOf);

        Assert.Equal(["p0-a", "none", "p0-b", "p3", "p5", "p9"], bodies);
    }

    [Fact]
    public async Task Default_exchange_routes_by_queue_name()
    {
        var transport = Open();
        await transport.DeclareQueueAsync(new QueueDeclaration("a"));
        await transport.DeclareQueueAsync(new QueueDeclaration("b"));

        await transport.PublishAsync(Text("to-a"), string.Empty, "a");

        Assert.Equal(1, await transport.GetQueueLengthAsync("a"));
        Assert.Equal(0, await transport.GetQueueLengthAsync("b"));
        await using var reader = await ConsumeAsync(transport, "a");
        var delivery = await reader.ReceiveAsync();
        Assert.Equal("to-a", BodyOf(delivery));
        Assert.Equal("a", delivery.Queue);
    }

    [Fact]
    public async Task Direct_exchange_routes_through_bindings()
    {
        var transport = Open();
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("jobs", ExchangeType.Direct));
        await transport.BindQueueAsync("images", "jobs", "resize");
        await transport.BindQueueAsync("videos", "jobs", "transcode");
        await transport.BindQueueAsync("videos", "jobs", "transcode");

        await transport.PublishAsync(Text("r"), "jobs", "resize");
        await transport.PublishAsync(Text("t"), "jobs", "transcode");

        Assert.Equal(1, await transport.GetQueueLengthAsync("images"));
        Assert.Equal(1, await transport.GetQueueLengthAsync("videos"));
        await using var reader = await ConsumeAsync(transport, "videos");
        var delivery = await reader.ReceiveAsync();
        Assert.Equal("t", BodyOf(delivery));
        Assert.Equal("jobs", delivery.Exchange);
        Assert.Equal("transcode", delivery.RoutingKey);
    }

    [Fact]
    public async Task Topic_exchange_matches_star_as_one_word_and_hash_as_any()
    {
        var transport = Open();
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("events", ExchangeType.Topic));
        await transport.BindQueueAsync("one-word", "events", "task.*");
        await transport.BindQueueAsync("any-depth", "events", "task.#");
        await transport.BindQueueAsync("everything", "events", "#");
        await transport.BindQueueAsync("workers", "events", "worker.*");

        await transport.PublishAsync(Text("1"), "events", "task.sent");
        await transport.PublishAsync(Text("2"), "events", "task.sent.retry");
        await transport.PublishAsync(Text("3"), "events", "task");
        await transport.PublishAsync(Text("4"), "events", "other.thing");

        Assert.Equal(1, await transport.GetQueueLengthAsync("one-word"));
        Assert.Equal(3, await transport.GetQueueLengthAsync("any-depth"));
        Assert.Equal(4, await transport.GetQueueLengthAsync("everything"));
        Assert.Equal(0, await transport.GetQueueLengthAsync("workers"));
    }

    [Fact]
    public async Task Fanout_exchange_copies_to_every_bound_queue()
    {
        var transport = Open();
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("broadcast", ExchangeType.Fanout));
        await transport.BindQueueAsync("w1", "broadcast", string.Empty);
        await transport.BindQueueAsync("w2", "broadcast", "ignored-key");
        await transport.BindQueueAsync("w3", "broadcast", string.Empty);

        // Consumers first: on brokers where fanout is PUB/SUB (kombu's Redis transport) only live subscribers get a copy.
        var readers = new List<DeliveryReader>();
        foreach (var queue in new[] { "w1", "w2", "w3" })
        {
            readers.Add(await ConsumeAsync(transport, queue));
        }

        await transport.PublishAsync(Text("ping"), "broadcast", "any");

        foreach (var reader in readers)
        {
            var delivery = await reader.ReceiveAsync();
            Assert.Equal("ping", BodyOf(delivery));
            await delivery.AckAsync();
            Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        }
    }

    [Fact]
    public virtual async Task Unroutable_message_reaches_no_queue()
    {
        var transport = Open();
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("jobs", ExchangeType.Direct));
        await transport.BindQueueAsync("images", "jobs", "resize");

        await transport.PublishAsync(Text("lost"), "jobs", "no-such-key");
        await transport.PublishAsync(Text("lost"), "undeclared-exchange", "images");

        Assert.Equal(0, await transport.GetQueueLengthAsync("images"));
        Assert.Equal(0, await transport.GetQueueLengthAsync("no-such-key"));
        await using var reader = await ConsumeAsync(transport, "images", "no-such-key");
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
    }

    [Fact]
    public async Task Prefetch_limits_outstanding_deliveries_and_can_be_raised()
    {
        var transport = Open();
        for (var i = 0; i < 5; i++)
        {
            await transport.PublishAsync(Text($"m{i}"), string.Empty, Queue);
        }

        await using var reader = await ConsumeAsync(transport, Queue, prefetchCount: 2);
        var first = await reader.ReceiveAsync(2);
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        Assert.Equal(3, await transport.GetQueueLengthAsync(Queue));
        Assert.Equal(2, reader.Consumer.PrefetchCount);

        reader.Consumer.SetPrefetchCount(3);
        var third = await reader.ReceiveAsync();
        Assert.Equal("m2", BodyOf(third));
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        Assert.Equal(2, await transport.GetQueueLengthAsync(Queue));

        await first[0].AckAsync();
        Assert.Equal("m3", BodyOf(await reader.ReceiveAsync()));
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        Assert.Equal(1, await transport.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public async Task Acked_message_is_gone_for_good()
    {
        var transport = Open();
        await transport.PublishAsync(Text("once"), string.Empty, Queue);

        await using (var reader = await ConsumeAsync(transport, Queue))
        {
            await (await reader.ReceiveAsync()).AckAsync();
        }

        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
        await using var again = await ConsumeAsync(transport, Queue);
        Assert.Null(await again.TryReceiveAsync(TestTimeouts.Silence));
    }

    [Fact]
    public async Task Settling_a_delivery_twice_throws_MessageStateException()
    {
        var transport = Open();
        await transport.PublishAsync(Text("a"), string.Empty, Queue);
        await transport.PublishAsync(Text("b"), string.Empty, Queue);
        await using var reader = await ConsumeAsync(transport, Queue);
        var acked = await reader.ReceiveAsync();
        var rejected = await reader.ReceiveAsync();

        await acked.AckAsync();
        await Assert.ThrowsAsync<MessageStateException>(() => acked.AckAsync().AsTask());
        await Assert.ThrowsAsync<MessageStateException>(() => acked.RejectAsync(requeue: true).AsTask());
        await rejected.RejectAsync(requeue: false);
        await Assert.ThrowsAsync<MessageStateException>(() => rejected.AckAsync().AsTask());
        await Assert.ThrowsAsync<MessageStateException>(() => rejected.RejectAsync(requeue: false).AsTask());

        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
    }

    [Fact]
    public async Task Rejected_with_requeue_is_delivered_again_flagged_redelivered()
    {
        var transport = Open();
        await transport.PublishAsync(Text("retry-me"), string.Empty, Queue);
        await using var reader = await ConsumeAsync(transport, Queue);

        var first = await reader.ReceiveAsync();
        Assert.False(first.Redelivered);
        await first.RejectAsync(requeue: true);

        var second = await reader.ReceiveAsync();
        Assert.Equal("retry-me", BodyOf(second));
        Assert.True(second.Redelivered);
        await second.AckAsync();
        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public async Task Rejected_without_requeue_is_dropped()
    {
        var transport = Open();
        await transport.PublishAsync(Text("poison"), string.Empty, Queue);
        await using var reader = await ConsumeAsync(transport, Queue);

        await (await reader.ReceiveAsync()).RejectAsync(requeue: false);

        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public async Task Disposing_a_consumer_returns_unsettled_deliveries_to_their_queue_in_order()
    {
        var transport = Open();
        for (var i = 0; i < 4; i++)
        {
            await transport.PublishAsync(Text($"m{i}"), string.Empty, Queue);
        }

        await using (var reader = await ConsumeAsync(transport, Queue, prefetchCount: 3))
        {
            var held = await reader.ReceiveAsync(3);

            // Stopped first: the ack frees a prefetch slot, and a running consumer could lease m3 into it before the
            // dispose, which would then return m3 flagged redelivered.
            await reader.Consumer.StopAsync();
            await held[1].AckAsync();
        }

        Assert.Equal(3, await transport.GetQueueLengthAsync(Queue));
        await using var next = await ConsumeAsync(transport, Queue);
        var again = await next.ReceiveAsync(3);
        Assert.Equal(["m0", "m2", "m3"], again.Select(BodyOf));
        Assert.True(again[0].Redelivered);
        Assert.True(again[1].Redelivered);
        Assert.False(again[2].Redelivered);
    }

    [Fact]
    public async Task Stopped_consumer_fetches_no_more_but_can_still_ack()
    {
        var transport = Open();
        await transport.PublishAsync(Text("a"), string.Empty, Queue);
        await using var reader = await ConsumeAsync(transport, Queue);
        var delivery = await reader.ReceiveAsync();

        await reader.Consumer.StopAsync();
        await transport.PublishAsync(Text("b"), string.Empty, Queue);
        await delivery.AckAsync();

        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        Assert.Equal(1, await transport.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public virtual async Task Delivery_held_by_a_vanished_consumer_is_redelivered_after_the_visibility_timeout()
    {
        var options = Options(("visibility_timeout", "0.5"), ("polling_interval", "0.05"));
        var sinceStart = Stopwatch.StartNew();

        // The vanished consumer's clock stands still: it never renews its lease, as if its process hung or died,
        // while the transport object stays reachable (nothing is disposed, nothing is given back).
        var vanished = Open(options, new FakeTimeProvider(TimeProvider.System.GetUtcNow()));
        var survivor = Open(options);
        await survivor.PublishAsync(Text("orphan"), string.Empty, Queue);
        var lost = await ConsumeAsync(vanished, Queue, prefetchCount: 1);
        var held = await lost.ReceiveAsync();
        Assert.False(held.Redelivered);

        await using var reader = await ConsumeAsync(survivor, Queue, prefetchCount: 1);
        var again = await reader.ReceiveAsync();

        Assert.True(sinceStart.Elapsed >= TimeSpan.FromSeconds(0.45), $"redelivered after {sinceStart.Elapsed}, before the lease ran out");
        Assert.Equal("orphan", BodyOf(again));
        Assert.True(again.Redelivered);
        await again.AckAsync();

        // A late ack from the consumer that lost its lease deletes nothing it no longer holds, and does not throw.
        await held.AckAsync();
        Assert.Equal(0, await survivor.GetQueueLengthAsync(Queue));
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
    }

    [Fact]
    public async Task Live_consumer_renews_its_leases_so_nobody_else_gets_its_deliveries()
    {
        // Both transports share a clock the test moves by hand, a fraction of the visibility timeout at a time:
        // each step fires the holder's renewal timer and the rival's poll timer, and a busy machine that runs
        // continuations late cannot make a lease look expired.
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var options = Options(("visibility_timeout", "1"), ("polling_interval", "0.05"));
        var holder = Open(options, clock);
        var rival = Open(options, clock);
        await holder.PublishAsync(Text("mine"), string.Empty, Queue);
        await using var held = await ConsumeAsync(holder, Queue, prefetchCount: 1);
        var delivery = await held.ReceiveAsync();
        await using var rivalReader = await ConsumeAsync(rival, Queue, prefetchCount: 1);

        for (var step = 0; step < 16; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(0.25));
            Assert.Null(await rivalReader.TryReceiveAsync(TimeSpan.FromMilliseconds(20)));
        }

        await delivery.AckAsync();
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await rivalReader.TryReceiveAsync(TestTimeouts.Silence));
        Assert.Equal(0, await rival.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public virtual async Task Queues_are_consumed_round_robin()
    {
        var transport = Open();
        for (var i = 0; i < 3; i++)
        {
            await transport.PublishAsync(Text($"a{i}"), string.Empty, "qa");
            await transport.PublishAsync(Text($"b{i}"), string.Empty, "qb");
        }

        await using var reader = await ConsumeAsync(transport, "qa", "qb");
        var bodies = (await reader.ReceiveAsync(6)).Select(BodyOf);

        Assert.Equal(["a0", "b0", "a1", "b1", "a2", "b2"], bodies);
    }

    [Fact]
    public async Task Purge_removes_ready_messages_and_queue_length_counts_them()
    {
        var transport = Open();
        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
        for (var i = 0; i < 5; i++)
        {
            await transport.PublishAsync(Text($"m{i}"), string.Empty, Queue);
        }

        await transport.PublishAsync(Text("other"), string.Empty, "other");
        Assert.Equal(5, await transport.GetQueueLengthAsync(Queue));

        Assert.Equal(5, await transport.PurgeAsync(Queue));
        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
        Assert.Equal(1, await transport.GetQueueLengthAsync("other"));
        Assert.Equal(0, await transport.PurgeAsync(Queue));
    }

    [Fact]
    public async Task Concurrent_publishers_and_two_consumers_lose_and_duplicate_nothing()
    {
        const int Publishers = 10;
        const int PerPublisher = 100;
        const int Total = Publishers * PerPublisher;
        var first = Open();
        var second = Open();
        var received = new ConcurrentDictionary<string, int>();
        var count = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        await using var c1 = await first.ConsumeAsync([Queue], 10);
        await using var c2 = await second.ConsumeAsync([Queue], 10);
        var consuming = new[] { c1, c2 }.Select(consumer => Task.Run(async () =>
        {
            try
            {
                await foreach (var delivery in consumer.ReadAllAsync(stop.Token))
                {
                    received.AddOrUpdate(BodyOf(delivery), 1, (_, n) => n + 1);
                    await delivery.AckAsync();
                    if (Interlocked.Increment(ref count) == Total)
                    {
                        all.TrySetResult();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        await Task.WhenAll(Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            var transport = p % 2 == 0 ? first : second;
            for (var i = 0; i < PerPublisher; i++)
            {
                await transport.PublishAsync(Text($"{p}:{i}"), string.Empty, Queue);
            }
        })));

        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(consuming);

        Assert.Equal(Total, received.Count);
        Assert.All(received, pair => Assert.Equal(1, pair.Value));
        Assert.Equal(0, await first.GetQueueLengthAsync(Queue));
    }

    /// <summary>Opens a transport with the real clock and no options.</summary>
    protected ITransport Open() => Open(Options(), TimeProvider.System);

    /// <summary>Opens a transport, disposed at the end of the test.</summary>
    protected ITransport Open(IReadOnlyDictionary<string, string> options, TimeProvider? timeProvider = null)
    {
        var transport = OpenTransport(options, timeProvider ?? TimeProvider.System);
        _opened.Add(transport);
        return transport;
    }

    protected static IReadOnlyDictionary<string, string> Options(params (string Key, string Value)[] options) =>
        options.ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);

    /// <summary>Starts consuming; the reader is disposed at the end of the test (or earlier by the test).</summary>
    protected async Task<DeliveryReader> ConsumeAsync(ITransport transport, params string[] queues) =>
        await ConsumeAsync(transport, 0, queues);

    protected Task<DeliveryReader> ConsumeAsync(ITransport transport, string queue, int prefetchCount) =>
        ConsumeAsync(transport, prefetchCount, [queue]);

    private async Task<DeliveryReader> ConsumeAsync(ITransport transport, int prefetchCount, string[] queues)
    {
        var reader = new DeliveryReader(await transport.ConsumeAsync(queues, prefetchCount));
        _opened.Add(reader);
        return reader;
    }
}
