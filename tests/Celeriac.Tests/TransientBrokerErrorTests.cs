using Celeriac.Memory;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.Tests;

public sealed class TransientBrokerErrorTests
{
    [Fact]
    public async Task A_consumer_keeps_going_after_the_broker_fails_for_a_while()
    {
        await using var transport = new FlakyTransport(failures: 3);
        await transport.PublishAsync(new TransportMessage { Body = "[[], {}, {}]"u8.ToArray() }, string.Empty, "q");
        await using var consumer = await transport.ConsumeAsync(["q"], 1);

        using var timeout = new CancellationTokenSource(TestApp.Timeout);
        await using var deliveries = consumer.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await deliveries.MoveNextAsync());
        await deliveries.Current.AckAsync();
        Assert.True(transport.FailuresLeft < 0, "every planned failure happened before the delivery");
    }

    /// <summary>A memory broker whose first fetches throw, as a broker that restarts does.</summary>
    private sealed class FlakyTransport(int failures) : VirtualTransport(new TransportContext(BrokerUrl.Parse("memory://flaky"), new Dictionary<string, string>(), TimeProvider.System, NullLoggerFactory.Instance))
    {
        private readonly MemoryBroker _broker = new();
        private int _failuresLeft = failures;

        public int FailuresLeft => Volatile.Read(ref _failuresLeft);

        public override TransportCapabilities Capabilities { get; } = new("flaky", false, false, true);

        public override ValueTask<long> PurgeAsync(string queue, CancellationToken cancellationToken = default) => ValueTask.FromResult(_broker.Purge(queue, TimeProvider.GetUtcNow()));

        public override ValueTask DeleteQueueAsync(string queue, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override ValueTask<long> GetQueueLengthAsync(string queue, CancellationToken cancellationToken = default) => ValueTask.FromResult(_broker.Size(queue, TimeProvider.GetUtcNow()));

        protected internal override ValueTask PutAsync(string queue, TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken)
        {
            _broker.Put(queue, message, exchange, routingKey, TimeProvider.GetUtcNow());
            return ValueTask.CompletedTask;
        }

        protected internal override ValueTask<LeasedMessage?> TryGetAsync(string queue, string consumerId, CancellationToken cancellationToken) =>
            Interlocked.Decrement(ref _failuresLeft) >= 0
                ? throw new IOException("connection reset by peer")
                : ValueTask.FromResult(_broker.TryGet(queue, consumerId, TimeProvider.GetUtcNow(), VisibilityTimeout));

        protected internal override ValueTask AckAsync(LeasedMessage message, CancellationToken cancellationToken)
        {
            _broker.Ack(message.Tag);
            return ValueTask.CompletedTask;
        }

        protected internal override ValueTask RequeueAsync(LeasedMessage message, CancellationToken cancellationToken)
        {
            _broker.Requeue(message.Tag);
            return ValueTask.CompletedTask;
        }

        protected internal override ValueTask RenewLeasesAsync(string consumerId, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected internal override Task WaitForMessagesAsync(IReadOnlyList<string> queues, TimeSpan maxWait, CancellationToken cancellationToken) =>
            _broker.Arrived.WaitAsync(maxWait, TimeProvider, cancellationToken);

        protected override ValueTask DeclareQueueCoreAsync(QueueDeclaration queue, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected internal override ValueTask TouchQueuesAsync(IReadOnlyList<string> queues, int consumers, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected internal override ValueTask DeleteExpiredAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected override ValueTask AddBindingAsync(QueueBinding binding, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected override ValueTask<IReadOnlyList<QueueBinding>> GetBindingsAsync(string exchange, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<QueueBinding>>([]);
    }
}
