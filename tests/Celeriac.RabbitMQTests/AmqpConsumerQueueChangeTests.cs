using Celeriac.Conformance;
using Celeriac.RabbitMQ;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// amqp://: queue changes of a running consumer (<c>basic.consume</c> / <c>basic.cancel</c> on its live channel), each
/// test on a vhost of its own of the run's RabbitMQ node.
/// </summary>
public sealed class AmqpConsumerQueueChangeTests : ConsumerQueueChangeConformanceTests
{
    private string? _url;

    // A vhost of its own per test, made before the test starts: asynchronously, so no pool thread blocks on it.
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var node = await RabbitMqNode.SharedAsync();
        _url = node.Url(await node.CreateVhostAsync());
    }

    protected override ITransport OpenTransport(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider)
    {
        return new AmqpTransport(new TransportContext(BrokerUrl.Parse(_url!), options, timeProvider, NullLoggerFactory.Instance));
    }

    [Fact]
    public async Task Adding_a_queue_that_does_not_exist_is_a_clear_error_and_the_consumer_keeps_consuming()
    {
        await using var transport = OpenTransport(new Dictionary<string, string>(), TimeProvider.System);
        await transport.DeclareQueueAsync(new QueueDeclaration("a"));
        await using var reader = new DeliveryReader(await transport.ConsumeAsync(["a"], 0));

        var error = await Assert.ThrowsAsync<AmqpBrokerException>(() => reader.Consumer.AddQueueAsync("missing").AsTask());

        Assert.Equal(404, error.ReplyCode);
        Assert.Contains("find queue 'missing'", error.Message, StringComparison.Ordinal);
        Assert.Equal(["a"], reader.Consumer.Queues);
        await transport.PublishAsync(TestMessages.Text("a1"), string.Empty, "a");
        Assert.Equal("a1", TestMessages.BodyOf(await reader.ReceiveAsync()));
    }

    [Fact]
    public async Task A_quorum_queue_cannot_join_a_consumer_whose_prefetch_limit_is_global()
    {
        await using var transport = OpenTransport(new Dictionary<string, string>(), TimeProvider.System);
        await transport.DeclareQueueAsync(new QueueDeclaration("classic"));
        await transport.DeclareQueueAsync(new QueueDeclaration("replicated") { QueueType = TaskOptions.QuorumQueueType });
        await using var reader = new DeliveryReader(await transport.ConsumeAsync(["classic"], 4));

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => reader.Consumer.AddQueueAsync("replicated").AsTask());

        Assert.Contains("quorum", error.Message, StringComparison.Ordinal);
        Assert.Equal(["classic"], reader.Consumer.Queues);
    }
}
