using Celeriac.Transport;
using static Celeriac.Conformance.TestMessages;

namespace Celeriac.Conformance;

/// <summary>
/// A running consumer whose queues change (<see cref="ITransportConsumer.AddQueueAsync"/> /
/// <see cref="ITransportConsumer.RemoveQueueAsync"/>), which Celery's <c>add_consumer</c> and <c>cancel_consumer</c>
/// need. Its own suite, subclassed by each transport that supports it (memory, SQLite, Redis), so that the base suite
/// stays what every transport must do.
/// </summary>
public abstract class ConsumerQueueChangeConformanceTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _opened = [];

    /// <summary>Opens a transport on this test's broker (every call of one test reaches the same broker).</summary>
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
    public async Task An_added_queue_is_consumed_under_the_same_prefetch_limit()
    {
        var transport = await OpenAsync("a", "b");
        await transport.PublishAsync(Text("a1"), string.Empty, "a");
        await transport.PublishAsync(Text("b1"), string.Empty, "b");
        var reader = await ConsumeAsync(transport, 1, "a");
        var a1 = await reader.ReceiveAsync();
        Assert.Equal("a1", BodyOf(a1));

        await reader.Consumer.AddQueueAsync("b");
        await reader.Consumer.AddQueueAsync("b");

        Assert.Equal(["a", "b"], reader.Consumer.Queues);
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        await a1.AckAsync();
        Assert.Equal("b1", BodyOf(await reader.ReceiveAsync()));
    }

    [Fact]
    public async Task A_cancelled_queue_is_fetched_no_more_and_what_was_fetched_from_it_still_settles()
    {
        var transport = await OpenAsync("a", "b");
        await transport.PublishAsync(Text("a1"), string.Empty, "a");
        var reader = await ConsumeAsync(transport, 0, "a", "b");
        var a1 = await reader.ReceiveAsync();

        Assert.True(await reader.Consumer.RemoveQueueAsync("a"));
        Assert.False(await reader.Consumer.RemoveQueueAsync("a"));
        await transport.PublishAsync(Text("a2"), string.Empty, "a");
        await transport.PublishAsync(Text("b1"), string.Empty, "b");

        Assert.Equal(["b"], reader.Consumer.Queues);
        Assert.Equal("b1", BodyOf(await reader.ReceiveAsync()));
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        await a1.AckAsync();
        Assert.Equal(1, await transport.GetQueueLengthAsync("a"));
    }

    [Fact]
    public async Task A_consumer_left_with_no_queue_waits_and_then_takes_an_added_one()
    {
        var transport = await OpenAsync("a", "b");
        var reader = await ConsumeAsync(transport, 0, "a");
        Assert.True(await reader.Consumer.RemoveQueueAsync("a"));
        await transport.PublishAsync(Text("a1"), string.Empty, "a");
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));

        await reader.Consumer.AddQueueAsync("b");
        await transport.PublishAsync(Text("b1"), string.Empty, "b");

        Assert.Equal("b1", BodyOf(await reader.ReceiveAsync()));
        Assert.Equal(1, await transport.GetQueueLengthAsync("a"));
    }

    [Fact]
    public async Task A_disposed_consumer_returns_what_it_held_from_an_added_queue()
    {
        var transport = await OpenAsync("a", "b");
        await transport.PublishAsync(Text("b1"), string.Empty, "b");
        var consumer = await transport.ConsumeAsync(["a"], 0);
        var reader = new DeliveryReader(consumer);
        await consumer.AddQueueAsync("b");
        Assert.Equal("b1", BodyOf(await reader.ReceiveAsync()));

        await reader.DisposeAsync();

        Assert.Equal(1, await transport.GetQueueLengthAsync("b"));
    }

    private async Task<ITransport> OpenAsync(params string[] queues)
    {
        var transport = OpenTransport(new Dictionary<string, string>(StringComparer.Ordinal), TimeProvider.System);
        _opened.Add(transport);
        foreach (var queue in queues)
        {
            await transport.DeclareQueueAsync(new QueueDeclaration(queue));
        }

        return transport;
    }

    private async Task<DeliveryReader> ConsumeAsync(ITransport transport, int prefetchCount, params string[] queues)
    {
        var reader = new DeliveryReader(await transport.ConsumeAsync(queues, prefetchCount));
        _opened.Add(reader);
        return reader;
    }
}
