namespace Celeriac.Transport;

/// <summary>
/// A transport that can keep a message on the broker until its delay has passed, so that no worker holds an ETA task
/// in memory: RabbitMQ's native delayed delivery of Celery 5.5 (<see cref="NativeDelayedDelivery"/>). Clients and
/// workers use it for ETA and countdown tasks when every task queue is a quorum queue and the task exchanges are not
/// direct, as Celery does.
/// </summary>
public interface IDelayedDeliveryTransport
{
    /// <summary>
    /// Declares the delay levels (idempotent): the exchanges and queues <c>celery_delayed_27</c> … <c>celery_delayed_0</c>
    /// and the exchange <c>celery_delayed_delivery</c> that due messages leave by.
    /// </summary>
    /// <param name="queueType"><c>quorum</c> or <c>classic</c>: the type of the level queues (<c>broker_native_delayed_delivery_queue_type</c>).</param>
    /// <param name="cancellationToken">Cancels the declarations.</param>
    ValueTask DeclareDelayedDeliveryAsync(string queueType, CancellationToken cancellationToken = default);

    /// <summary>
    /// Routes due messages for <paramref name="routingKey"/> on to <paramref name="queue"/>: binds
    /// <paramref name="exchange"/> to <c>celery_delayed_delivery</c> and <paramref name="queue"/> to
    /// <paramref name="exchange"/>, both with <c>#.routingKey</c> (idempotent).
    /// </summary>
    ValueTask BindDelayedDeliveryAsync(string queue, string exchange, string routingKey, CancellationToken cancellationToken = default);
}
