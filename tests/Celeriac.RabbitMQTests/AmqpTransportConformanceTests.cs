using System.Text.Json.Nodes;
using Celeriac.Conformance;
using Celeriac.Protocol;
using Celeriac.RabbitMQ;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using static Celeriac.Conformance.TestMessages;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// amqp://: the transport suite against the run's RabbitMQ node, each test on a vhost of its own. RabbitMQ routes
/// only to queues that exist, so the queues the suite uses are declared first (Celery declares before it publishes).
/// Five tests state AMQP's own semantics instead of kombu's virtual transport's:
/// <list type="bullet">
/// <item>the 14 standard properties travel; others (<c>Extra</c>) are dropped, as py-amqp drops them;</item>
/// <item>priority: higher numbers first, on a queue declared with <c>x-max-priority</c>;</item>
/// <item>an unroutable publish raises <see cref="UnroutableMessageException"/> (mandatory + confirms), and one to an
/// exchange that does not exist raises <see cref="AmqpBrokerException"/> 404, instead of a silent drop;</item>
/// <item>no visibility timeout: a delivery is held as long as its connection lives, and comes again, flagged
/// redelivered, when that connection dies;</item>
/// <item>several queues on one channel: each queue's messages come in order, not in strict alternation.</item>
/// </list>
/// </summary>
public sealed class AmqpTransportConformanceTests : TransportConformanceTests
{
    private static readonly string[] SuiteQueues =
        ["conformance", "a", "b", "images", "videos", "one-word", "any-depth", "everything", "workers", "w1", "w2", "w3", "no-such-key", "qa", "qb", "other"];

    private string? _vhost;
    private RabbitMqNode? _node;

    // One vhost per test, its queues declared before the test starts: asynchronously, so no pool thread blocks on it.
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _node = await RabbitMqNode.SharedAsync();
        _vhost = await _node.CreateVhostAsync();
        await using var setup = Create(new Dictionary<string, string>(), TimeProvider.System);
        foreach (var queue in SuiteQueues)
        {
            await setup.DeclareQueueAsync(new QueueDeclaration(queue) { MaxPriority = queue == "conformance" ? 10 : null });
        }
    }

    protected override ITransport OpenTransport(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider)
    {
        return Create(options, timeProvider);
    }

    [Fact]
    public override async Task Published_message_arrives_with_its_body_headers_and_properties()
    {
        var transport = Open();
        var message = new TransportMessage
        {
            Body = new byte[] { 0, 1, 2, 250, 255, (byte)'{' },
            ContentType = "application/x-test",
            ContentEncoding = "binary",
            Headers = Headers(("task", "tasks.add"), ("id", "0b1c"), ("retries", 3), ("eta", null), ("big", 1L << 40), ("f", 1.5), ("b", true), ("nested", new JsonObject { ["a"] = new JsonArray(1, "two", null) })),
            Properties = new MessageProperties { CorrelationId = "0b1c", ReplyTo = "reply-oid", DeliveryMode = 2, Priority = 0, Expiration = "60000", Extra = new JsonObject { ["replaced_task_nesting"] = 1 } },
        };

        await transport.PublishAsync(message, string.Empty, "conformance");
        await using var reader = await ConsumeAsync(transport, "conformance");
        var delivery = await reader.ReceiveAsync();

        Assert.Equal(message.Body.ToArray(), delivery.Message.Body.ToArray());
        Assert.Equal("application/x-test", delivery.Message.ContentType);
        Assert.Equal("binary", delivery.Message.ContentEncoding);
        Assert.True(JsonNode.DeepEquals(message.Headers, delivery.Message.Headers), delivery.Message.Headers.ToJsonString());
        var p = delivery.Message.Properties;
        // Sent as 0 (as py-amqp does); RabbitMQ.Client reads a zero priority as absent.
        Assert.Equal(("0b1c", "reply-oid", 2, 0, "60000"), (p.CorrelationId, p.ReplyTo, p.DeliveryMode, p.Priority ?? 0, p.Expiration));
        Assert.Null(p.Extra);
        Assert.Equal(("conformance", string.Empty, "conformance", false), (delivery.Queue, delivery.Exchange, delivery.RoutingKey, delivery.Redelivered));
        await delivery.AckAsync();
        Assert.True(delivery.IsSettled);
    }

    [Fact]
    public override async Task Lower_priority_numbers_are_delivered_first()
    {
        // AMQP's order is the other way round: higher first; no priority counts as 0.
        var transport = Open();
        foreach (var (body, priority) in new (string, int?)[] { ("p5", 5), ("p0-a", 0), ("p9", 9), ("none", null), ("p0-b", 0), ("p3", 3) })
        {
            await transport.PublishAsync(Text(body, priority), string.Empty, "conformance");
        }

        await using var reader = await ConsumeAsync(transport, "conformance");
        var bodies = (await reader.ReceiveAsync(6)).Select(BodyOf);

        Assert.Equal(["p9", "p5", "p3", "p0-a", "none", "p0-b"], bodies);
    }

    [Fact]
    public override async Task Unroutable_message_reaches_no_queue()
    {
        var transport = Open();
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("jobs", ExchangeType.Direct));
        await transport.BindQueueAsync("images", "jobs", "resize");

        var noRoute = await Assert.ThrowsAsync<UnroutableMessageException>(() => transport.PublishAsync(Text("lost"), "jobs", "no-such-key").AsTask());
        Assert.Contains("exchange 'jobs' with routing key 'no-such-key'", noRoute.Message, StringComparison.Ordinal);
        var noQueue = await Assert.ThrowsAsync<UnroutableMessageException>(() => transport.PublishAsync(Text("lost"), string.Empty, "never-declared").AsTask());
        Assert.Contains("queue 'never-declared'", noQueue.Message, StringComparison.Ordinal);
        var noExchange = await Assert.ThrowsAsync<AmqpBrokerException>(() => transport.PublishAsync(Text("lost"), "undeclared-exchange", "images").AsTask());
        Assert.Equal(404, noExchange.ReplyCode);
        Assert.Contains("undeclared-exchange", noExchange.Message, StringComparison.Ordinal);

        // The transport carries on after the broker closed its channel for the 404.
        Assert.Equal(0, await transport.GetQueueLengthAsync("images"));
        await transport.PublishAsync(Text("found"), "jobs", "resize");
        Assert.Equal(1, await transport.GetQueueLengthAsync("images"));
    }

    [Fact]
    public override async Task Delivery_held_by_a_vanished_consumer_is_redelivered_after_the_visibility_timeout()
    {
        // AMQP has no visibility timeout: what a consumer holds comes back when its connection dies.
        var survivor = Open();
        var vanished = Create(Options(), TimeProvider.System);
        await survivor.PublishAsync(Text("orphan"), string.Empty, "conformance");
        var lost = new DeliveryReader(await vanished.ConsumeAsync(["conformance"], 1));
        var held = await lost.ReceiveAsync();
        Assert.False(held.Redelivered);
        await using var reader = await ConsumeAsync(survivor, "conformance", prefetchCount: 1);
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));

        await vanished.DisposeAsync(); // the connection goes, the delivery unsettled

        var again = await reader.ReceiveAsync();
        Assert.Equal("orphan", BodyOf(again));
        Assert.True(again.Redelivered);
        await again.AckAsync();
        await held.AckAsync(); // on a closed channel: nothing happens, nothing throws
        Assert.Equal(0, await survivor.GetQueueLengthAsync("conformance"));
    }

    [Fact]
    public override async Task Queues_are_consumed_round_robin()
    {
        var transport = Open();
        for (var i = 0; i < 3; i++)
        {
            await transport.PublishAsync(Text($"a{i}"), string.Empty, "qa");
            await transport.PublishAsync(Text($"b{i}"), string.Empty, "qb");
        }

        await using var reader = await ConsumeAsync(transport, "qa", "qb");
        var received = (await reader.ReceiveAsync(6)).ToList();

        Assert.Equal(["a0", "a1", "a2"], received.Where(d => d.Queue == "qa").Select(BodyOf));
        Assert.Equal(["b0", "b1", "b2"], received.Where(d => d.Queue == "qb").Select(BodyOf));
    }

    private AmqpTransport Create(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider) =>
        new(new TransportContext(BrokerUrl.Parse(_node!.Url(_vhost!)), options, timeProvider, NullLoggerFactory.Instance));
}
