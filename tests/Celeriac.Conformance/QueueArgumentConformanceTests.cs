using Celeriac.Transport;
using Microsoft.Extensions.Time.Testing;
using static Celeriac.Conformance.TestMessages;

namespace Celeriac.Conformance;

/// <summary>
/// The queue arguments <c>x-message-ttl</c> and <c>x-expires</c>, for transports that keep queues of their own
/// (memory, SQLite; RabbitMQ natively). kombu's Redis transport has no such arguments: Celery routes events and remote
/// control over Redis PUB/SUB, so no queue is left behind there, and Redis runs only the base suite.
/// </summary>
public abstract class QueueArgumentConformanceTests : TransportConformanceTests
{
    [Fact]
    public async Task Message_ttl_drops_messages_that_waited_too_long_and_they_are_not_counted()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Open(Options(), clock);
        await transport.DeclareQueueAsync(new QueueDeclaration("ttl", Durable: false) { MessageTtl = TimeSpan.FromSeconds(5) });
        await transport.PublishAsync(Text("old"), string.Empty, "ttl");
        clock.Advance(TimeSpan.FromSeconds(3));
        await transport.PublishAsync(Text("young"), string.Empty, "ttl");
        Assert.Equal(2, await transport.GetQueueLengthAsync("ttl"));

        clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(1, await transport.GetQueueLengthAsync("ttl"));
        await using (var reader = await ConsumeAsync(transport, "ttl"))
        {
            var delivery = await reader.ReceiveAsync();
            Assert.Equal("young", BodyOf(delivery));
            await delivery.AckAsync();
            Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        }

        // With no consumer to take it in time, a later message expires too: not counted, not purged, not delivered.
        clock.Advance(TimeSpan.FromSeconds(10));
        await transport.PublishAsync(Text("late"), string.Empty, "ttl");
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(0, await transport.GetQueueLengthAsync("ttl"));
        Assert.Equal(0, await transport.PurgeAsync("ttl"));
        await using var again = await ConsumeAsync(transport, "ttl");
        Assert.Null(await again.TryReceiveAsync(TestTimeouts.Silence));
    }

    [Fact]
    public async Task Message_ttl_counts_from_each_put_and_queues_without_it_keep_their_messages()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Open(Options(), clock);
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("fan", ExchangeType.Fanout));
        await transport.DeclareQueueAsync(new QueueDeclaration("short") { MessageTtl = TimeSpan.FromSeconds(1) });
        await transport.DeclareQueueAsync(new QueueDeclaration("plain"));
        await transport.BindQueueAsync("short", "fan", string.Empty);
        await transport.BindQueueAsync("plain", "fan", string.Empty);

        await transport.PublishAsync(Text("both"), "fan", string.Empty);
        clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, await transport.GetQueueLengthAsync("short"));
        Assert.Equal(1, await transport.GetQueueLengthAsync("plain"));
    }

    [Fact]
    public async Task Leased_message_outlives_its_ttl_until_settled()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Open(Options(), clock);
        await transport.DeclareQueueAsync(new QueueDeclaration("ttl") { MessageTtl = TimeSpan.FromSeconds(5) });
        await transport.PublishAsync(Text("held"), string.Empty, "ttl");
        await using var reader = await ConsumeAsync(transport, "ttl", prefetchCount: 1);
        var delivery = await reader.ReceiveAsync();

        // Past the TTL, and past a clean-up (a publish runs it): the consumer still holds the message.
        clock.Advance(TimeSpan.FromSeconds(30));
        await transport.PublishAsync(Text("later"), string.Empty, "ttl");

        Assert.Equal("held", BodyOf(delivery));
        Assert.Equal(1, await transport.GetQueueLengthAsync("ttl"));
        await delivery.AckAsync();
        Assert.True(delivery.IsSettled);
        Assert.Equal("later", BodyOf(await reader.ReceiveAsync()));
    }

    [Fact]
    public async Task Queue_unused_for_its_expires_is_deleted_with_its_binding()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Open(Options(), clock);
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("fan", ExchangeType.Fanout));
        await transport.DeclareQueueAsync(new QueueDeclaration("dead", Durable: false, AutoDelete: true) { Expires = TimeSpan.FromSeconds(10) });
        await transport.DeclareQueueAsync(new QueueDeclaration("kept"));
        await transport.BindQueueAsync("dead", "fan", string.Empty);
        await transport.BindQueueAsync("kept", "fan", string.Empty);
        await transport.PublishAsync(Text("1"), "fan", string.Empty);
        clock.Advance(TimeSpan.FromSeconds(9));
        await transport.PublishAsync(Text("2"), "fan", string.Empty);
        Assert.Equal(2, await transport.GetQueueLengthAsync("dead"));

        clock.Advance(TimeSpan.FromSeconds(2));
        await transport.PublishAsync(Text("3"), "fan", string.Empty);
        clock.Advance(TimeSpan.FromSeconds(2));
        await transport.PublishAsync(Text("4"), "fan", string.Empty);

        Assert.Equal(0, await transport.GetQueueLengthAsync("dead"));
        Assert.Equal(4, await transport.GetQueueLengthAsync("kept"));
    }

    [Fact]
    public async Task Redeclaring_a_queue_restarts_its_expiry()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Open(Options(), clock);
        var declaration = new QueueDeclaration("q", Durable: false) { Expires = TimeSpan.FromSeconds(10) };
        await transport.DeclareQueueAsync(declaration);
        await transport.PublishAsync(Text("1"), string.Empty, "q");

        clock.Advance(TimeSpan.FromSeconds(8));
        await transport.DeclareQueueAsync(declaration);
        clock.Advance(TimeSpan.FromSeconds(8));
        await transport.PublishAsync(Text("2"), string.Empty, "q");
        Assert.Equal(2, await transport.GetQueueLengthAsync("q"));

        clock.Advance(TimeSpan.FromSeconds(3));
        await transport.PublishAsync(Text("3"), "unbound", "q");
        Assert.Equal(0, await transport.GetQueueLengthAsync("q"));
    }

    [Fact]
    public async Task Queue_with_a_live_consumer_does_not_expire()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Open(Options(), clock);
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("fan", ExchangeType.Fanout));
        await transport.DeclareQueueAsync(new QueueDeclaration("watched", Durable: false, AutoDelete: true) { Expires = TimeSpan.FromSeconds(10) });
        await transport.BindQueueAsync("watched", "fan", string.Empty);
        var reader = await ConsumeAsync(transport, "watched");

        for (var step = 0; step < 12; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            await transport.PublishAsync(Text($"m{step}"), "fan", string.Empty);
            var delivery = await reader.ReceiveAsync();
            Assert.Equal($"m{step}", BodyOf(delivery));
            await delivery.AckAsync();
        }

        // Gone with its last consumer, the queue expires x-expires after that, not after its last delivery.
        await reader.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(6));
        await transport.PublishAsync(Text("after"), "fan", string.Empty);
        Assert.Equal(1, await transport.GetQueueLengthAsync("watched"));
        clock.Advance(TimeSpan.FromSeconds(6));
        await transport.PublishAsync(Text("expired"), "fan", string.Empty);
        Assert.Equal(0, await transport.GetQueueLengthAsync("watched"));
    }

    [Fact]
    public async Task Queue_declared_through_one_transport_expires_while_only_another_publishes()
    {
        // The declarer stands for a crashed event receiver: it declared and bound its queue, then went silent.
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var declarer = Open(Options(), clock);
        var publisher = Open(Options(), clock);
        await declarer.DeclareExchangeAsync(new ExchangeDeclaration("events", ExchangeType.Topic));
        await declarer.DeclareQueueAsync(new QueueDeclaration("celeryev.dead", Durable: false, AutoDelete: true) { MessageTtl = TimeSpan.FromSeconds(5), Expires = TimeSpan.FromSeconds(60) });
        await declarer.BindQueueAsync("celeryev.dead", "events", "#");
        await publisher.DeclareExchangeAsync(new ExchangeDeclaration("events", ExchangeType.Topic));

        for (var second = 0; second < 59; second++)
        {
            await publisher.PublishAsync(Text($"e{second}"), "events", "worker.heartbeat");
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        // Publishing is not use: the queue is still bound, holding the events younger than 5 s (put at 55..58 s).
        Assert.Equal(4, await publisher.GetQueueLengthAsync("celeryev.dead"));
        clock.Advance(TimeSpan.FromSeconds(2));
        await publisher.PublishAsync(Text("after-expiry"), "events", "worker.heartbeat");

        Assert.Equal(0, await publisher.GetQueueLengthAsync("celeryev.dead"));
        Assert.Equal(0, await declarer.GetQueueLengthAsync("celeryev.dead"));
    }
}
