using System.Text.Json.Nodes;
using Celeriac.Transport;

namespace Celeriac.RabbitMQ;

/// <summary>
/// Celery 5.5's native delayed delivery on RabbitMQ (<see cref="NativeDelayedDelivery"/>), declared exactly as kombu's
/// <c>declare_native_delayed_delivery_exchanges_and_queues</c> and <c>bind_queue_to_native_delayed_delivery_exchange</c>
/// do, so that Celery 5.5 workers and clients on the same vhost share the levels.
/// Source: kombu/transport/native_delayed_delivery.py.
/// </summary>
public sealed partial class AmqpTransport : IDelayedDeliveryTransport
{
    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="queueType"/> is not <c>quorum</c> or <c>classic</c>.</exception>
    /// <exception cref="AmqpBrokerException">The broker refused a declaration or binding.</exception>
    public async ValueTask DeclareDelayedDeliveryAsync(string queueType, CancellationToken cancellationToken = default)
    {
        if (queueType is not (Celeriac.TaskOptions.QuorumQueueType or Celeriac.TaskOptions.ClassicQueueType))
        {
            throw new ArgumentException($"'{queueType}' is not a queue type for delayed delivery; use 'quorum' or 'classic'", nameof(queueType));
        }

        for (var level = NativeDelayedDelivery.Levels - 1; level >= 0; level--)
        {
            var name = NativeDelayedDelivery.LevelName(level);
            await DeclareExchangeAsync(new ExchangeDeclaration(name, ExchangeType.Topic), cancellationToken).ConfigureAwait(false);
            var arguments = LevelQueueArguments(level, queueType);
            await RunAsync(
                $"declare delay queue '{name}' (arguments={Describe(arguments)})",
                (channel, ct) => channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments, passive: false, noWait: false, cancellationToken: ct),
                cancellationToken).ConfigureAwait(false);
            _queueTypes[name] = queueType;
            _durableQueues[name] = true;
            await BindQueueAsync(name, name, NativeDelayedDelivery.LevelBindingKey(level, '1'), cancellationToken).ConfigureAwait(false);
        }

        for (var level = NativeDelayedDelivery.Levels - 1; level >= 1; level--)
        {
            await BindExchangeAsync(NativeDelayedDelivery.LevelName(level - 1), NativeDelayedDelivery.LevelName(level), NativeDelayedDelivery.LevelBindingKey(level, '0'), cancellationToken).ConfigureAwait(false);
        }

        await DeclareExchangeAsync(new ExchangeDeclaration(NativeDelayedDelivery.DeliveryExchange, ExchangeType.Topic), cancellationToken).ConfigureAwait(false);
        await BindExchangeAsync(NativeDelayedDelivery.DeliveryExchange, NativeDelayedDelivery.LevelName(0), NativeDelayedDelivery.LevelBindingKey(0, '0'), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="AmqpBrokerException">The broker refused a binding (for example, an exchange is missing).</exception>
    public async ValueTask BindDelayedDeliveryAsync(string queue, string exchange, string routingKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentException.ThrowIfNullOrEmpty(exchange);
        var key = NativeDelayedDelivery.DeliveryBindingKey(routingKey);
        await BindExchangeAsync(exchange, NativeDelayedDelivery.DeliveryExchange, key, cancellationToken).ConfigureAwait(false);
        await BindQueueAsync(queue, exchange, key, cancellationToken).ConfigureAwait(false);

        // Retries of delayed tasks are sent to the delivery exchange: they must not vanish unroutable either.
        _routedExchanges[NativeDelayedDelivery.DeliveryExchange] = true;
    }

    /// <summary>
    /// The level queue's arguments in kombu's order: <c>x-queue-type</c>, <c>x-overflow=reject-publish</c>,
    /// <c>x-message-ttl</c> = 2^level s, <c>x-dead-letter-exchange</c> = the next level (the delivery exchange after
    /// level 0), and for quorum queues <c>x-dead-letter-strategy=at-least-once</c> so that no message is lost between
    /// levels.
    /// </summary>
    internal static Dictionary<string, object?> LevelQueueArguments(int level, string queueType)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AmqpLiterals.QueueType] = queueType,
            [AmqpLiterals.Overflow] = AmqpLiterals.RejectPublish,
            [AmqpLiterals.MessageTtl] = AmqpHeaders.ToField(JsonValue.Create((1L << level) * 1000)),
            [AmqpLiterals.DeadLetterExchange] = level > 0 ? NativeDelayedDelivery.LevelName(level - 1) : NativeDelayedDelivery.DeliveryExchange,
        };
        if (queueType == Celeriac.TaskOptions.QuorumQueueType)
        {
            arguments[AmqpLiterals.DeadLetterStrategy] = AmqpLiterals.AtLeastOnce;
        }

        return arguments;
    }

    /// <summary>Binds exchange <paramref name="destination"/> to exchange <paramref name="source"/> (a RabbitMQ extension).</summary>
    private async Task BindExchangeAsync(string destination, string source, string routingKey, CancellationToken cancellationToken)
    {
        await RunAsync(
            $"bind exchange '{destination}' to exchange '{source}' with routing key '{routingKey}'",
            (channel, ct) => channel.ExchangeBindAsync(destination, source, routingKey, null, noWait: false, ct),
            cancellationToken).ConfigureAwait(false);
    }
}
